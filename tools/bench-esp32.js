#!/usr/bin/env node
// `npm run bench:esp32`: CPU time per SIP message inside the emulated ESP32
// (QEMU's esp32 machine), portier's parse against kirm's `sip`, run the same
// way. A benchmark, not a test.
//
// The contenders are the bundles of tools/bench-xs.js (esbuild, one IIFE each,
// ES2022) and the same corpus (tools/corpus), with the same measured paths:
//   - parse: portier's lazy SipParser.parse; kirm's parse (which builds
//     everything);
//   - parseUa: parse + what a UA reads (top Via branch, Call-ID, CSeq, From
//     and To tags).
// portier runs with the firmware's native text helpers (the SDK's
// TextDecoder and TextEncoder), as on a panel.
//
// They are compiled by mcconfig into a small app of this tool's own (written
// to a scratch folder: main.js, the two bundles as modules, a native
// microsecond clock, esp_timer_get_time, in main.c), built for the project's emulation
// target (esp32:hosts/esp32/qemu, instrumented release as the tests build it),
// merged into a 4 MB flash image and booted in QEMU. The app calibrates a
// count per path (about ROUND_MS of emulated time), then runs interleaved
// rounds (the contenders' order alternating) and prints µs per message.
//
// QEMU is not cycle-accurate: it translates Xtensa code to host code, its
// clock is the host's, and other work on the host slows it. The µs printed
// are not an ESP32's; only the ratio between the contenders, measured in the
// same emulator in interleaved rounds, means something.
//
// Needs what `npm run test:esp32` needs (MODDABLE or mcconfig on PATH,
// IDF_PATH, xtensa-esp32-elf-gcc on PATH, QEMU_ESP32, ESP32_QEMU_BIOS; see
// docs/esp32.md); without them it prints one line and exits 0. The build is
// kept in the temporary folder (portier-bench-esp32-<checkout folder>), so a
// second run is incremental; the first one compiles ESP-IDF (2-3 minutes).
// QEMU's network is its user network with restrict=on (the target's DHCP
// client gets its address; nothing leaves the emulator).
//
// Environment: BENCH_ESP32_ROUNDS (default 5), BENCH_ESP32_ROUND_MS (default
// 1000). `--json` prints the figures as JSON.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HELPERS, PORTIER_PATHS, SIP_PATHS, bundles, loadCorpus, prelude } from "./bench-xs.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ESP32_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ESP32_ROUND_MS ?? 1000);
const MODES = ["parse", "parseUa"];
const APP = "portier-bench";

// A module per contender: the bundle at top level (it sets a global), the
// corpus and paths made when main asks, with the SDK's text classes passed in.
function contenderModule(bundle, paths, corpus, helpers) {
	return `${bundle}
export default function (TextDecoder, TextEncoder) {
${helpers}
${prelude(corpus)}
${paths}
	return paths;
}
`;
}

const MICROS_C = `
#include "xsmc.h"
#include "esp_timer.h"
/* esp_timer's microseconds since boot (the SDK's Time.ticks follows FreeRTOS's tick, which lags in QEMU) */
void xs_bench_microseconds(xsMachine *the)
{
	xsmcSetNumber(xsResult, (xsNumberValue)esp_timer_get_time());
}
`;

const MAIN_JS = `
import TextDecoder from "text/decoder";
import TextEncoder from "text/encoder";
import makePortier from "bench-portier";
import makeSip from "bench-sip";
import Debug from "debug";

function micros() { return native("xs_bench_microseconds").call(this); }

const ROUNDS = ${ROUNDS}, ROUND_MS = ${ROUND_MS}, MODES = ${JSON.stringify(MODES)};
function run(path, count) {
	const inputs = path.inputs, fn = path.fn, n = inputs.length;
	const start = micros();
	for (let i = 0; i < count; i++)
		fn(inputs[i % n]);
	return micros() - start;
}
try {
	const contenders = [["portier", makePortier(TextDecoder, TextEncoder)], ["sip", makeSip(TextDecoder, TextEncoder)]];
	const counts = {};
	for (const [name, paths] of contenders) {
		for (const mode of MODES) {
			const p = paths[mode];
			for (let w = 0; w < 3; w++) run(p, p.inputs.length);	// warm-up
			let n = p.inputs.length, t = run(p, n);
			while (t < 100000 && n < 1e6) { n *= 2; t = run(p, n); }
			trace("BENCH calibrated " + name + " " + mode + ": " + n + " messages in " + t + " us\\n");
			counts[name + " " + mode] = Math.max(p.inputs.length, Math.round(n * ROUND_MS * 1000 / t));
		}
	}
	trace("BENCH counts " + JSON.stringify(counts) + "\\n");
	for (let r = 0; r < ROUNDS; r++) {
		const order = r % 2 ? [...contenders].reverse() : contenders;
		for (const mode of MODES) {
			for (const [name, paths] of order) {
				const n = counts[name + " " + mode];
				Debug.gc();	// each run starts from a collected heap
				const us = run(paths[mode], n);
				trace("BENCH " + JSON.stringify({ round: r, name, mode, n, us }) + "\\n");
			}
		}
	}
	trace("BENCH DONE\\n");
}
catch (e) {
	trace("BENCH FAILED " + e + "\\n");
}
`;

function manifest() {
	return JSON.stringify({
		include: [
			"$(MODDABLE)/examples/manifest_base.json",
			"$(MODDABLE)/modules/io/manifest.json",
			"$(MODDABLE)/modules/data/text/decoder/manifest.json",
			"$(MODDABLE)/modules/data/text/encoder/manifest.json",
		],
		modules: { "*": "./main", "bench-portier": "./bench-portier", "bench-sip": "./bench-sip" },
		// preloaded, as the firmware's modules are: their code and closures in flash, not in the XS heap
		preload: ["bench-portier", "bench-sip"],
	}, null, "\t");
}

function findRouteOrNull() {
	return import(join(root, "build/tests/esp32/qemu.js")).then((m) => m.findRoute());
}

function build(route, dir, out) {
	const env = { ...process.env, MODDABLE: route.sdk.moddable, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}:${route.sdk.bin}` };
	const target = join(root, "hosts/esp32/qemu");
	const args = ["-i", "-m", "-p", `esp32:${target}`, "-t", "build", "-o", out, "audio=0", "probePort=0"];
	let text;
	try {
		text = execFileSync(join(route.sdk.bin, "mcconfig"), args, { cwd: dir, env, encoding: "utf8", stdio: "pipe", maxBuffer: 64 << 20, timeout: 1800000 });
	}
	catch (e) {
		throw new Error("the bench app did not build:\n" + ((e.stdout ?? "") + (e.stderr ?? "")).slice(-4000));
	}
	const b = join(out, "tmp/esp32/qemu/instrument", APP, "xsProj-esp32/build");
	if (!existsSync(join(b, "xs_esp32.bin")) || !/Built files at/.test(text))
		throw new Error("mcconfig finished without an image:\n" + text.slice(-3000));
	const flash = join(out, "flash-bench.bin");
	if (!existsSync(flash) || statSync(flash).mtimeMs < statSync(join(b, "xs_esp32.bin")).mtimeMs)
		execFileSync(route.python, ["-m", "esptool", "--chip", "esp32", "merge-bin", "--fill-flash-size", "4MB", "-o", flash, "@flash_args"], { cwd: b, stdio: "pipe" });
	return flash;
}

/** Boot the image and collect the BENCH lines; QEMU ignores SIGTERM: SIGKILL to its process group. */
function runInQemu(route, flash, timeoutMs) {
	return new Promise((resolve, reject) => {
		const args = ["-nographic", "-machine", "esp32", "-L", route.bios, "-drive", `file=${flash},if=mtd,format=raw`,
			"-nic", "user,model=open_eth,ipv6=off,restrict=on"];
		const child = spawn(route.qemu, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
		let text = "";
		const stop = () => {
			try {
				process.kill(-child.pid, "SIGKILL");
			}
			catch {
				child.kill("SIGKILL");
			}
		};
		const timer = setTimeout(() => { stop(); reject(new Error("no BENCH DONE within " + timeoutMs + " ms:\n" + text.slice(-3000))); }, timeoutMs);
		let shown = 0;
		const onData = (d) => {
			text += d.toString("latin1");
			for (let end = text.indexOf("\n", shown); end >= 0; end = text.indexOf("\n", shown)) {	// progress on stderr
				const line = text.slice(shown, end).trimEnd();
				shown = end + 1;
				if (/^(BENCH|XS abort|# )/.test(line))
					process.stderr.write(line + "\n");
			}
			if (/BENCH (DONE|FAILED[^\n]*)\r?\n/.test(text) || /XS abort|Guru Meditation/.test(text)) {
				clearTimeout(timer);
				stop();
				if (/BENCH DONE/.test(text))
					resolve(text);
				else
					reject(new Error("the bench app failed:\n" + text.slice(-3000)));
			}
		};
		child.stdout.on("data", onData);
		child.stderr.on("data", onData);
		child.once("exit", () => clearTimeout(timer));
	});
}

const stats = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return { median: +s[s.length >> 1].toFixed(1), min: +s[0].toFixed(1), max: +s[s.length - 1].toFixed(1) };
};

function figures(text, corpus, buildSeconds) {
	const samples = {};
	for (const line of text.split("\n")) {
		const m = /BENCH (\{.*\})/.exec(line);
		if (!m)
			continue;
		const r = JSON.parse(m[1]);
		((samples[r.name] ??= {})[r.mode] ??= []).push(r.us / r.n);
	}
	const out = { corpus, rounds: ROUNDS, roundMs: ROUND_MS, buildSeconds, usPerMessage: {}, ratios: {} };
	for (const [name, modes] of Object.entries(samples)) {
		out.usPerMessage[name] = {};
		for (const [mode, xs] of Object.entries(modes))
			out.usPerMessage[name][mode] = stats(xs);
	}
	// the ratio per round (the two contenders ran next to each other), then its median and range
	for (const mode of MODES) {
		const p = samples.portier[mode], s = samples.sip[mode];
		out.ratios[mode] = stats(p.map((v, i) => s[i] / v));
	}
	return out;
}

function report(r) {
	const range = (s) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
	const lines = [
		`SIP parse on the emulated ESP32 (QEMU esp32 machine, XS of the Moddable SDK, instrumented release); ${r.corpus} messages; median (range) of ${r.rounds} interleaved rounds of about ${r.roundMs} ms each`,
		"QEMU is not cycle-accurate: the µs are emulated time on this host, not an ESP32's; only the ratio means something.",
		"",
		"µs per message (emulated)      lazy parse                 parse + UA reads",
	];
	for (const [name, s] of Object.entries(r.usPerMessage))
		lines.push(`  ${name.padEnd(28)} ${range(s.parse).padEnd(26)} ${range(s.parseUa)}`);
	lines.push(`  sip / portier, per round: lazy parse ${range(r.ratios.parse)}x, parse + UA reads ${range(r.ratios.parseUa)}x`);
	return lines.join("\n") + "\n";
}

export async function run({ json = false } = {}) {
	const route = await findRouteOrNull();
	if (typeof route === "string") {
		process.stdout.write(`bench-esp32: skipped: ${route}\n`);
		return undefined;
	}
	const out = join(tmpdir(), `portier-bench-esp32-${root.replace(/\/+$/, "").split("/").pop()}`);
	const dir = join(out, APP);
	mkdirSync(dir, { recursive: true });
	const corpus = loadCorpus();
	const sources = await bundles(dir);
	const write = (file, text) => {	// unchanged files keep their time stamp: the build stays incremental
		const path = join(dir, file);
		if (!existsSync(path) || execFileSync("cat", [path], { encoding: "utf8", maxBuffer: 64 << 20 }) !== text)
			writeFileSync(path, text);
	};
	write("bench-portier.js", contenderModule(sources.portier, PORTIER_PATHS, corpus, HELPERS));
	write("bench-sip.js", contenderModule(sources.sip, SIP_PATHS, corpus, ""));
	write("main.js", MAIN_JS);
	write("main.c", MICROS_C);
	write("manifest.json", manifest());
	const started = Date.now();
	const flash = build(route, dir, out);
	const buildSeconds = Math.round((Date.now() - started) / 1000);
	const text = await runInQemu(route, flash, 1200000);
	const r = figures(text, corpus.length, buildSeconds);
	process.stdout.write(json ? JSON.stringify(r, null, 2) + "\n" : report(r));
	return r;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	run({ json: process.argv.includes("--json") }).catch((e) => {
		process.stderr.write(String(e && e.stack || e) + "\n");
		process.exit(1);
	});
}
