#!/usr/bin/env node
// The load part of `npm run bench`: SIPp places direct calls of 1 s (INVITE
// with SDP, 200, ACK, 1 s, BYE; tools/bench/uac-1s.xml) at the station as
// users start it (`npm start`, free ports on 127.0.0.1, its state in a
// temporary folder, set up through its API to auto-answer 127.0.0.1) and, the
// same way, at baresip set to auto-answer (`call_max_calls 4`, audio from and
// to files). SIPp keeps at most 4 calls open, the station's factory call cap,
// and steps the offered rate (1, 2, 3, 5, 8, 10 calls/s, a bounded number of
// calls each, each step on a freshly started peer) until a step has a failed
// call or the cap holds the rate down; when the first step fails, the rate
// goes down by halves to 0.25 calls/s.
// Reported per peer: the highest rate reached with no failed call, and the
// INVITE-to-200 set-up time (p50, p99) at that step, from SIPp's message
// trace (microseconds; its response-time counters count in 4 ms ticks).
//
// With --rounds N (default 1) the two peers are measured N times, their order
// alternating round by round (machine noise falls on both), and the table
// gives the median of each figure over the rounds with its range.
//
// Run alone: `node tools/bench-load.js [--json] [--calls N] [--rates 1,2,3] [--rounds N]`
// (after `npm run build`). Loopback only; every process it starts is stopped
// by its process id, and each SIPp run is bounded by -timeout.
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const SCENARIO = join(root, "tools/bench/uac-1s.xml");
const CALL_CAP = 4;
const HOLD_MS = 1000;
const WARMUP = Object.freeze({ calls: 150, rate: 25, holdMs: 10, cold: 40 });
export const DEFAULT_RATES = Object.freeze([1, 2, 3, 5, 8, 10]);
export const DEFAULT_CALLS = 40;

/* ---------- processes, stopped by their id ---------- */

const children = new Set();

/**
 * Start a program in its own process group (so that `npm start` and the node
 * it runs stop together), keeping the tail of its output.
 */
function launch(command, args, options = {}) {
	const child = spawn(command, args, { cwd: options.cwd ?? root, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
	let text = "";
	const keep = (d) => {
		text += d;
		if (text.length > 65536)
			text = text.slice(-32768);
	};
	child.stdout.on("data", keep);
	child.stderr.on("data", keep);
	const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
	const group = (signal) => {
		try {
			process.kill(-child.pid, signal);
		}
		catch { /* already gone */ }
	};
	const running = {
		child,
		output: () => text,
		exited,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				group("SIGTERM");
				const timer = setTimeout(() => group("SIGKILL"), 5000);
				await exited;
				clearTimeout(timer);
			}
			group("SIGKILL");	// anything of the group that outlived its leader
			children.delete(running);
		},
	};
	children.add(running);
	child.once("error", () => children.delete(running));
	return running;
}

async function stopAll() {
	for (const c of [...children])
		await c.stop();
}

async function waitFor(running, pattern, ms, what) {
	const deadline = Date.now() + ms;
	while (!pattern.test(running.output())) {
		if (running.child.exitCode !== null || running.child.signalCode !== null)
			throw new Error(`${what} exited: ${running.output().slice(-2000)}`);
		if (Date.now() > deadline)
			throw new Error(`${what} did not start: ${running.output().slice(-2000)}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** A port free on 127.0.0.1 for both UDP and TCP. */
async function freePort() {
	for (;;) {
		const port = await new Promise((resolve, reject) => {
			const s = net.createServer();
			s.once("error", reject);
			s.listen(0, "127.0.0.1", () => {
				const p = s.address().port;
				s.close(() => resolve(p));
			});
		});
		const udpFree = await new Promise((resolve) => {
			const u = dgram.createSocket("udp4");
			u.once("error", () => resolve(false));
			u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
		});
		if (udpFree)
			return port;
	}
}

/* ---------- the two peers ---------- */

/** `npm start` on free ports with its state in a temporary folder, auto-answering calls from 127.0.0.1. */
async function startPortier(dir) {
	const sipPort = await freePort();
	const httpPort = await freePort();
	const station = launch("npm", ["start", "--silent", "--", "--sip-port", String(sipPort), "--http-port", String(httpPort), "--bind", "127.0.0.1", "--state", join(dir, "state")]);
	await waitFor(station, /portier: SIP on/, 60000, "npm start");
	const base = `http://127.0.0.1:${httpPort}`;
	const session = await (await fetch(base + "/api/session")).json();
	const login = await fetch(base + (session.setup ? "/api/session/setup" : "/api/session"), { method: "POST", body: JSON.stringify({ password: "bench-admin-1" }) });
	if (login.status !== 200)
		throw new Error("portier: login failed: " + login.status + " " + await login.text());
	const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
	const { csrf } = await login.json();
	const change = { station: { whitelist: ["127.0.0.1"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } } };
	const put = await fetch(base + "/api/config", { method: "PUT", headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" }, body: JSON.stringify(change) });
	if (put.status !== 200)
		throw new Error("portier: PUT /api/config: " + put.status + " " + await put.text());
	return { name: "portier", target: "127.0.0.1:" + sipPort, process: station };
}

/** A mono 16-bit WAV tone, what baresip says into each call. */
function toneWav(seconds) {
	const rate = 8000, samples = rate * seconds;
	const b = Buffer.alloc(44 + samples * 2);
	b.write("RIFF", 0); b.writeUInt32LE(36 + samples * 2, 4); b.write("WAVEfmt ", 8);
	b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write("data", 36); b.writeUInt32LE(samples * 2, 40);
	for (let i = 0; i < samples; i++)
		b.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / rate)), 44 + i * 2);
	return b;
}

/** baresip answering every call to sip:door@127.0.0.1 at once, at most 4 at a time, no audio device. */
async function startBaresip(dir) {
	const port = await freePort();
	const rtp = 20000 + 2 * Math.floor(Math.random() * 10000);
	writeFileSync(join(dir, "accounts"), "<sip:door@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU\n");
	writeFileSync(join(dir, "contacts"), "");
	writeFileSync(join(dir, "tone.wav"), toneWav(2));
	writeFileSync(join(dir, "config"), [
		"poll_method epoll",
		`sip_listen 127.0.0.1:${port}`,
		`call_max_calls ${CALL_CAP}`,
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module aufile.so",
		"module_app account.so",
		"module_app menu.so",
		`audio_source aufile,${join(dir, "tone.wav")}`,
		"audio_player aufile,/dev/null",
		"audio_alert aufile,/dev/null",
		`rtp_ports ${rtp}-${rtp + 200}`,
		"net_interface 127.0.0.1",
		"",
	].join("\n"));
	const baresip = launch("baresip", ["-f", dir, "-4"], { cwd: dir, env: { ...process.env, HOME: dir } });
	await waitFor(baresip, /baresip is ready/, 15000, "baresip");
	return { name: "baresip", target: "127.0.0.1:" + port, process: baresip };
}

/* ---------- one step: SIPp at one rate ---------- */

/** Sent INVITE and received 200 times per Call-ID, from SIPp's -trace_msg log. */
function setupTimes(log) {
	const invites = new Map();
	const times = [];
	const starts = [];
	for (const entry of log.split(/^-{20,} /m)) {
		const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d{6})\n(?:UDP|TCP) message (sent|received)[^\n]*\n\n([^\r\n]*)/.exec(entry);
		if (!m)
			continue;
		const t = Date.parse(m[1] + "T" + m[2] + "Z") * 1000 + Number(m[3]);	// microseconds; the zone does not matter for differences
		const callId = /^Call-ID:\s*(\S+)/mi.exec(entry)?.[1];
		if (!callId)
			continue;
		if (m[4] === "sent" && m[5].startsWith("INVITE ")) {
			if (!invites.has(callId)) {
				invites.set(callId, t);
				starts.push(t);
			}
		}
		else if (m[4] === "received" && /^SIP\/2\.0 200 /.test(m[5]) && /^CSeq:\s*\d+\s+INVITE/mi.test(entry) && invites.has(callId)) {
			times.push((t - invites.get(callId)) / 1000);
			invites.delete(callId);
		}
	}
	return { times, starts };
}

function percentile(sorted, p) {
	if (!sorted.length)
		return null;
	return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
}

const round2 = (x) => (x === null ? null : Math.round(x * 100) / 100);

async function sippStep(peer, rate, calls, holdMs = HOLD_MS) {
	const dir = mkdtempSync(join(tmpdir(), "portier-bench-sipp-"));
	try {
		const [port, mediaPort] = [await freePort(), await freePort()];
		const period = Number.isInteger(rate) ? 1000 : 4000;	// SIPp's -r counts calls per -rp ms: quarter steps
		// long enough for every call at the rate, then SIPp gives up by itself
		const limit = Math.ceil(calls / rate + (holdMs / 1000) * 2 + 30);
		const sipp = launch("sipp", ["-sf", SCENARIO, "-d", String(holdMs), "-i", "127.0.0.1", "-p", String(port), "-mi", "127.0.0.1", "-mp", String(mediaPort),
			"-r", String(rate * period / 1000), "-rp", String(period), "-l", String(CALL_CAP), "-m", String(calls), "-nostdin",
			"-timeout", limit + "s", "-timeout_error", "-trace_msg", "-trace_stat", "-fd", "1", "-trace_err", peer.target], { cwd: dir });
		const code = await sipp.exited;
		await sipp.stop();
		const files = readdirSync(dir);
		const stat = files.find((f) => f.endsWith("_.csv"));
		const messages = files.find((f) => f.endsWith("_messages.log"));
		if (!stat || !messages)
			throw new Error(`sipp failed (exit ${code}): ${sipp.output().slice(-2000)}`);
		const lines = readFileSync(join(dir, stat), "utf8").trim().split("\n");
		const names = lines[0].split(";");
		const last = lines[lines.length - 1].split(";");
		const count = (name) => Number(last[names.indexOf(name)]);
		const { times: inOrder, starts } = setupTimes(readFileSync(join(dir, messages), "utf8"));
		const times = [...inOrder].sort((a, b) => a - b);
		const first = inOrder.slice(0, WARMUP.cold).sort((a, b) => a - b);
		const successful = count("SuccessfulCall(C)");
		const failed = count("FailedCall(C)");
		const span = starts.length > 1 ? (starts[starts.length - 1] - starts[0]) / 1e6 : 0;
		const errorsFile = files.find((f) => f.endsWith("_errors.log"));
		const errors = errorsFile ? readFileSync(join(dir, errorsFile), "utf8").trim() : "";
		if (errors && process.env.BENCH_KEEP_ERRORS)
			writeFileSync(join(process.env.BENCH_KEEP_ERRORS, `${peer.name}-${rate}-errors.log`), errors + "\n\n" + readFileSync(join(dir, messages), "utf8"));
		return {
			offered: rate,
			sippExit: code,	// 0: every call succeeded, 1: some failed, other: stopped (its -timeout)
			calls,
			successful,
			failed: failed + Math.max(0, calls - successful - failed),
			reached: span > 0 ? round2((starts.length - 1) / span) : rate,
			setupMs: { p50: round2(percentile(times, 50)), p99: round2(percentile(times, 99)), max: round2(times[times.length - 1] ?? null), samples: times.length },
			firstSetupMs: { p50: round2(percentile(first, 50)), p99: round2(percentile(first, 99)), samples: first.length },
			...(errors ? { sippErrors: errors.split("\n").filter((l) => l.trim()).slice(0, 12) } : {}),
		};
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/* ---------- the whole run ---------- */

/** One step against a peer started for it alone (no state left from the step before), then stopped. */
async function stepOnFreshPeer(name, start, rate, calls) {
	const dir = mkdtempSync(join(tmpdir(), "portier-bench-" + name + "-"));
	let peer;
	try {
		peer = await start(dir);
		const warm = await sippStep(peer, WARMUP.rate, WARMUP.calls, WARMUP.holdMs);
		const step = await sippStep(peer, rate, calls);
		step.warmup = { calls: warm.calls, failed: warm.failed, coldSetupMs: warm.firstSetupMs };
		delete step.firstSetupMs;
		if (peer.process.child.exitCode !== null || peer.process.child.signalCode !== null)
			throw new Error(`${name} exited during the step: ${peer.process.output().slice(-2000)}`);
		return step;
	}
	finally {
		await peer?.process.stop();
		rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * Up the rates until a step has a failed call or the cap holds the rate
 * down; when the first step already fails, down by halves to 0.25 calls/s.
 */
async function measure(name, start, rates, calls, log) {
	const steps = [];
	const run = async (rate) => {
		const step = await stepOnFreshPeer(name, start, rate, calls);
		steps.push(step);
		log(`  ${name}: ${rate} calls/s offered, ${step.reached} reached: ${step.successful}/${step.calls} answered, ${step.failed} failed, set-up p50 ${step.setupMs.p50} ms, p99 ${step.setupMs.p99} ms (cold: first ${step.warmup.coldSetupMs.samples} calls p50 ${step.warmup.coldSetupMs.p50} ms)${step.sippErrors ? " (" + (step.sippErrors.find((l) => /Aborting|unexpected|timeout/i.test(l)) ?? step.sippErrors[0]).slice(0, 160) + ")" : ""}`);
		return step;
	};
	for (const rate of rates) {
		const step = await run(rate);
		if (step.failed > 0)
			break;
		if (step.reached < 0.9 * rate)
			break;	// the call cap holds the rate: higher steps offer the same
	}
	if (steps.length === 1 && steps[0].failed > 0)
		for (let rate = rates[0] / 2; rate >= 0.25; rate /= 2) {
			if ((await run(rate)).failed === 0)
				break;
		}
	const clean = steps.filter((s) => s.failed === 0);
	const best = clean.reduce((a, s) => (a === undefined || s.reached > a.reached ? s : a), undefined);
	return {
		best: best ? { callsPerSecond: best.reached, offered: best.offered, setupP50Ms: best.setupMs.p50, setupP99Ms: best.setupMs.p99, coldP50Ms: best.warmup.coldSetupMs.p50 } : null,
		steps,
	};
}

/** Runs the load benchmark against portier and baresip, one after the other; resolves with the figures. */
export async function loadBench(options = {}) {
	const rates = options.rates ?? DEFAULT_RATES;
	const calls = options.calls ?? DEFAULT_CALLS;
	const log = options.log ?? ((line) => process.stderr.write(line + "\n"));
	const out = {
		scenario: `direct calls of ${HOLD_MS / 1000} s (INVITE with SDP, 200, ACK, BYE) by SIPp over UDP on 127.0.0.1, at most ${CALL_CAP} at once, ${calls} calls per step, each step on a freshly started peer warmed up with ${WARMUP.calls} calls of ${WARMUP.holdMs} ms (cold: the first ${WARMUP.cold} of those)`,
		rates,
		peers: {},
	};
	const onSignal = () => { void stopAll().then(() => process.exit(130)); };
	process.once("SIGINT", onSignal);
	process.once("SIGTERM", onSignal);
	const rounds = options.rounds ?? 1;
	const peers = [["portier", startPortier], ["baresip", startBaresip]];
	const byPeer = { portier: [], baresip: [] };
	try {
		for (let round = 0; round < rounds; round++) {
			for (const [name, start] of round % 2 === 0 ? peers : [...peers].reverse()) {
				log(`load: ${name}` + (rounds > 1 ? ` (round ${round + 1} of ${rounds})` : ""));
				try {
					byPeer[name].push(await measure(name, start, rates, calls, log));
				}
				catch (e) {
					byPeer[name].push({ error: String(e instanceof Error ? e.message : e).slice(0, 4000) });
					log(`load: ${name}: ${byPeer[name][byPeer[name].length - 1].error}`);
				}
			}
		}
		for (const [name] of peers)
			out.peers[name] = rounds === 1 ? byPeer[name][0] : overRounds(byPeer[name]);
	}
	finally {
		await stopAll();
		process.removeListener("SIGINT", onSignal);
		process.removeListener("SIGTERM", onSignal);
	}
	return out;
}

/**
 * N rounds of a peer as one: each figure of the best steps as its median,
 * with the range and every round's value; a round with an error or without
 * a clean step makes the whole an error (nothing is averaged away).
 */
function overRounds(results) {
	const failed = results.find((r) => !r.best);
	if (failed)
		return { error: failed.error ?? "a round had no step without a failed call", rounds: results };
	const figure = (key) => {
		const values = results.map((r) => r.best[key]);
		const sorted = values.filter((v) => v !== null).sort((a, b) => a - b);
		const median = sorted.length ? round2(sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2) : null;
		return { median, min: sorted[0] ?? null, max: sorted[sorted.length - 1] ?? null, values };
	};
	const best = {};
	for (const key of ["callsPerSecond", "setupP50Ms", "setupP99Ms", "coldP50Ms"])
		best[key] = figure(key).median;
	best.offered = Math.min(...results.map((r) => r.best.offered));
	return {
		best,
		rounds: results.length,
		spread: { setupP50Ms: figure("setupP50Ms"), setupP99Ms: figure("setupP99Ms"), coldP50Ms: figure("coldP50Ms"), callsPerSecond: figure("callsPerSecond") },
		steps: results.flatMap((r) => r.steps),
	};
}

/** The side-by-side table. */
export function loadTable(load) {
	const lines = [`calls under load: ${load.scenario}`, ""];
	lines.push(`  ${"".padEnd(10)} ${"calls/s, 0 failed".padStart(18)} ${"set-up p50".padStart(11)} ${"set-up p99".padStart(11)} ${"cold p50".padStart(9)}`);
	for (const [name, r] of Object.entries(load.peers)) {
		if (!r.best) {
			lines.push(`  ${name.padEnd(10)} ${(r.error ? "error: " + r.error.split("\n")[0] : "no step without a failed call").slice(0, 60)}`);
			continue;
		}
		lines.push(`  ${name.padEnd(10)} ${(r.best.callsPerSecond.toFixed(2) + " (" + r.best.offered + " offered)").padStart(18)} ${(r.best.setupP50Ms.toFixed(2) + " ms").padStart(11)} ${(r.best.setupP99Ms.toFixed(2) + " ms").padStart(11)} ${(r.best.coldP50Ms === null ? "-" : r.best.coldP50Ms.toFixed(2) + " ms").padStart(9)}`);
	}
	const spread = Object.entries(load.peers).filter(([, r]) => r.spread);
	if (spread.length) {
		lines.push("", `  medians over ${spread[0][1].rounds} rounds (peers alternating); each round's figures:`);
		for (const [name, r] of spread) {
			const each = (f) => f.values.map((v) => (v === null ? "-" : v.toFixed(2))).join(" ");
			lines.push(`  ${name.padEnd(10)} p50 ${each(r.spread.setupP50Ms)} ms; p99 ${each(r.spread.setupP99Ms)} ms; calls/s ${each(r.spread.callsPerSecond)}`);
		}
	}
	return lines.join("\n");
}

/** The whole number after `flag` in argv, within [min, max]; undefined when the flag is absent. */
function wholeFlag(argv, flag, min, max) {
	const i = argv.indexOf(flag);
	if (i < 0)
		return undefined;
	const n = Number(argv[i + 1]);
	if (!Number.isInteger(n) || n < min || n > max)
		throw new RangeError(`${flag}: a whole number from ${min} to ${max}`);
	return n;
}

export function parseLoadFlags(argv) {
	const o = {};
	const calls = wholeFlag(argv, "--calls", 5, 500);
	if (calls !== undefined)
		o.calls = calls;
	const rounds = wholeFlag(argv, "--rounds", 1, 20);
	if (rounds !== undefined)
		o.rounds = rounds;
	const j = argv.indexOf("--rates");
	if (j >= 0) {
		const list = String(argv[j + 1]).split(",").map(Number);
		if (!list.length || list.some((r) => !(r > 0 && r <= 100 && Number.isInteger(r * 4))))
			throw new RangeError("--rates: calls per second, comma separated, in quarters (0.25, 0.5, 1, 2...), at most 100");
		o.rates = list;
	}
	return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const json = process.argv.includes("--json");
	const load = await loadBench(parseLoadFlags(process.argv.slice(2)));
	process.stdout.write(json ? JSON.stringify({ load }, null, 2) + "\n" : loadTable(load) + "\n");
}
