/*
 * The emulation target (hosts/esp32/qemu) built with the Moddable SDK and
 * ESP-IDF, merged into a 4 MB flash image and run in QEMU's esp32 machine.
 * Everything is found through the environment, never a fixed path:
 * MODDABLE (or mcconfig on PATH), IDF_PATH, xtensa-esp32-elf-gcc on PATH,
 * QEMU_ESP32 (qemu-system-xtensa with the esp32 machine) and
 * ESP32_QEMU_BIOS (its pc-bios folder, with the ESP32 ROM).
 *
 * The guest's network is QEMU's user network (slirp): the board takes
 * 10.0.2.15 by DHCP and reaches the host's loopback at 10.0.2.2. The host
 * reaches the board only through port forwards bound to 127.0.0.1. QEMU
 * ignores SIGTERM: it runs in its own process group and is stopped with
 * SIGKILL by its process id.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import http from "node:http";
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../node/helpers.js";
import { type Sdk, buildName, findSdk } from "../sim/simulator.js";
import { testCrypto } from "../lib/firmware-image.js";
import { toHex } from "../../modules/update/image.js";

/** The guest's fixed ports (the firmware's defaults, and the probe's). */
export const GUEST = Object.freeze({ sip: 5060, http: 80, probe: 9999 });
/** The host as the guest sees it (QEMU's user network). */
export const HOST_ALIAS = "10.0.2.2";

export interface Route {
	sdk: Sdk;
	idf: string;
	qemu: string;
	bios: string;
	python: string;
}

function which(name: string): string | undefined {
	for (const dir of (process.env.PATH ?? "").split(":")) {
		if (dir && existsSync(join(dir, name)))
			return join(dir, name);
	}
	return undefined;
}

/** The toolchain, ESP-IDF, QEMU and the SDK, or the reason they cannot be used. */
export function findRoute(): Route | string {
	const sdk = findSdk();
	if (typeof sdk === "string")
		return sdk;
	const idf = process.env.IDF_PATH;
	if (!idf || !existsSync(join(idf, "tools/idf.py")))
		return "IDF_PATH does not name an ESP-IDF";
	if (!which("xtensa-esp32-elf-gcc"))
		return "xtensa-esp32-elf-gcc is not on PATH";
	const qemu = process.env.QEMU_ESP32;
	if (!qemu || !existsSync(qemu))
		return "QEMU_ESP32 does not name a qemu-system-xtensa";
	const bios = process.env.ESP32_QEMU_BIOS;
	if (!bios || !existsSync(bios))
		return "ESP32_QEMU_BIOS does not name QEMU's pc-bios folder";
	const python = process.env.PYTHON ?? which("python") ?? "python3";
	return { sdk, idf, qemu, bios, python };
}

export interface Firmware {
	/** The factory image: bootloader, partition table and the app in 4 MB (blank NVS). */
	flash: string;
	/** ESP-IDF's build folder (the ELF, its map, flash_args). */
	build: string;
	/** The mcconfig output folder. */
	out: string;
	/** Seconds the build took (0: up to date). */
	seconds: number;
}

/**
 * Build the emulation target (an instrumented release: trace() on the
 * console, the Instrumentation module) into a folder of its own under the
 * temporary folder, kept between runs so that a rebuild is incremental.
 */
export function buildFirmware(route: Route, config: Record<string, string | number> = {}): Firmware {
	const out = process.env.PORTIER_ESP32_OUT ?? join(tmpdir(), `portier-esp32-qemu-${buildName()}`);
	mkdirSync(out, { recursive: true });
	const env = { ...process.env, MODDABLE: route.sdk.moddable, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}:${route.sdk.bin}` };
	// traceWeb: each page request's steps on the console, so a request left unanswered can be told apart
	// updateKey: the test run's own update key (tests/lib/update-keys.ts), for tests/esp32/update.test.ts
	const key = "testUpdateCrypto" in globalThis ? { updateKey: toHex(testCrypto().publicKey()) } : {};
	const settings = { audio: 0, probePort: GUEST.probe, dnsServer: HOST_ALIAS, traceWeb: 1, ...key, ...config };
	const args = ["-i", "-m", "-p", "esp32:hosts/esp32/qemu", "-t", "build", "-o", out, ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)];
	const started = Date.now();
	let text = "";
	try {
		text = execFileSync(join(route.sdk.bin, "mcconfig"), args, { cwd: root, env, encoding: "utf8", stdio: "pipe", timeout: 1800000, maxBuffer: 64 << 20 });
	}
	catch (e) {
		const err = e as { stdout?: string; stderr?: string };
		throw new Error("the emulation target did not build:\n" + ((err.stdout ?? "") + (err.stderr ?? "")).slice(-4000));
	}
	const build = join(out, "tmp/esp32/qemu/instrument", buildName(), "xsProj-esp32/build");
	if (!existsSync(join(build, "xs_esp32.bin")) || !/Built files at/.test(text))
		throw new Error("mcconfig finished without an image:\n" + text.slice(-4000));
	const flash = join(out, "flash-factory.bin");
	const app = join(build, "xs_esp32.bin");
	if (!existsSync(flash) || statSync(flash).mtimeMs < statSync(app).mtimeMs) {
		execFileSync(route.python, ["-m", "esptool", "--chip", "esp32", "merge-bin", "--fill-flash-size", "4MB", "-o", flash, "@flash_args"], { cwd: build, stdio: "pipe" });
	}
	return { flash, build, out, seconds: (Date.now() - started) / 1000 };
}

/** A fresh copy of the factory image for one test run (the board's flash from then on). */
export function freshFlash(firmware: Firmware, name: string): string {
	const path = join(firmware.out, name);
	copyFileSync(firmware.flash, path);
	return path;
}

export interface Forward {
	proto: "udp" | "tcp";
	host: number;
	guest: number;
	/** The board's address to forward to: by default the one QEMU's DHCP server gave (10.0.2.15); a static one otherwise. */
	guestAddress?: string;
}

export interface Board {
	child: ChildProcess;
	/** The console so far (bootloader, ESP-IDF logs, trace()). */
	output(): string;
	/** Milliseconds from QEMU's start to the first appearance of `text` in the console (or -1). */
	at(text: string | RegExp): number;
	/** SIGKILL to QEMU's process group (QEMU ignores SIGTERM); resolves when it has exited. */
	stop(): Promise<void>;
	exited: Promise<number | null>;
}

/**
 * Power the emulated board on: QEMU's esp32 machine with `flash` as its SPI
 * flash (written back to the file, so settings survive a restart), the
 * OpenCores Ethernet on the user network, forwards on 127.0.0.1 only.
 */
export function powerOn(route: Route, flash: string, forwards: Forward[], log?: string): Board {
	const fwd = forwards.map((f) => `hostfwd=${f.proto}:127.0.0.1:${f.host}-${f.guestAddress ?? ""}:${f.guest}`).join(",");
	const args = ["-nographic", "-machine", "esp32", "-L", route.bios, "-drive", `file=${flash},if=mtd,format=raw`,
		"-nic", `user,model=open_eth,ipv6=off,${fwd}`];
	const child = spawn(route.qemu, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
	const started = Date.now();
	let text = "";
	const seen: Array<{ at: number; length: number }> = [];
	const file = log ? createWriteStream(log) : undefined;
	const onData = (d: Buffer) => {
		file?.write(d);
		text += d.toString("latin1");
		seen.push({ at: Date.now() - started, length: text.length });
	};
	child.stdout!.on("data", onData);
	child.stderr!.on("data", onData);
	const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => { file?.end(); resolve(code); }));
	return {
		child,
		output: () => text,
		at(pattern) {
			const m = typeof pattern === "string" ? text.indexOf(pattern) : text.search(pattern);
			if (m < 0)
				return -1;
			return seen.find((s) => s.length > m)?.at ?? -1;
		},
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null)
				return;
			try {
				process.kill(-child.pid!, "SIGKILL");
			}
			catch {
				child.kill("SIGKILL");
			}
			await exited;
		},
		exited,
	};
}

/** Wait until the console shows `pattern`, or fail with the console's tail. */
export async function waitFor(board: Board, pattern: string | RegExp, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	const found = () => typeof pattern === "string" ? board.output().includes(pattern) : pattern.test(board.output());
	while (!found()) {
		if (board.child.exitCode !== null || board.child.signalCode !== null)
			throw new Error(`QEMU exited before "${pattern}":\n${board.output().slice(-3000)}`);
		if (Date.now() > deadline)
			throw new Error(`no "${pattern}" within ${timeoutMs} ms:\n${board.output().slice(-3000)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** ESP-IDF's size report of the built ELF (esp_idf_size --format json2), or undefined without it. */
export function sizeReport(route: Route, firmware: Firmware): Record<string, any> | undefined {
	try {
		const text = execFileSync(route.python, ["-m", "esp_idf_size", "--format", "json2", join(firmware.build, "xs_esp32.map")], { encoding: "utf8", stdio: "pipe", maxBuffer: 64 << 20 });
		return JSON.parse(text);
	}
	catch {
		return undefined;
	}
}

/** The app image's size in bytes. */
export function imageSize(firmware: Firmware): number {
	return statSync(join(firmware.build, "xs_esp32.bin")).size;
}

/** The partition table the image was built with (name, type, subtype, offset, size). */
export function partitions(firmware: Firmware): Array<{ name: string; type: string; subtype: string; offset: number; size: number }> {
	const csv = join(firmware.build, "..", "partitions.csv");
	const text = existsSync(csv) ? readFileSync(csv, "utf8") : "";
	const out = [];
	for (const line of text.split("\n")) {
		const cells = line.split(",").map((c) => c.trim());
		if (!line.trim() || line.trim().startsWith("#") || cells.length < 5)
			continue;
		const parse = (v: string) => v.startsWith("0x") ? parseInt(v, 16) : v.endsWith("K") ? parseInt(v) * 1024 : v.endsWith("M") ? parseInt(v) << 20 : parseInt(v);
		out.push({ name: cells[0], type: cells[1], subtype: cells[2], offset: parse(cells[3]), size: parse(cells[4]) });
	}
	return out;
}

export interface PageClient {
	cookie: string;
	csrf: string;
	request(method: string, path: string, body?: unknown): Promise<{ status: number; data: any }>;
}

/**
 * One HTTP request, on a connection of its own: the firmware's server (the
 * SDK's) closes each connection after its answer and says so (`Connection:
 * close`). Keeping one alive only let a request meet that close: written to a
 * connection the board was ending, it was answered by nobody.
 */
export function httpRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
	return new Promise((resolve, reject) => {
		const data = body === undefined ? undefined : Buffer.from(body);
		const req = http.request({ host: "127.0.0.1", port, method, path, agent: false, timeout: 60000,
			headers: { connection: "close", ...headers, ...(data ? { "content-length": String(data.length) } : {}) } }, (res) => {
			let text = "";
			res.setEncoding("utf8");
			res.on("data", (d) => { text += d; });
			res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
			res.on("error", reject);
		});
		req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
		req.on("error", reject);
		req.end(data);
	});
}

/** Log in to the page as the administrator (choosing the password on a fresh board). */
export async function pageLogin(port: number, password = "door-admin-1"): Promise<PageClient> {
	const state = JSON.parse((await httpRequest(port, "GET", "/api/session")).text) as { setup: boolean };
	const r = await httpRequest(port, "POST", state.setup ? "/api/session/setup" : "/api/session", { "content-type": "application/json" }, JSON.stringify({ password }));
	if (r.status !== 200)
		throw new Error("login failed: " + r.status + " " + r.text);
	const cookie = String(r.headers["set-cookie"] ?? "").split(";")[0];
	const csrf = (JSON.parse(r.text) as { csrf: string }).csrf;
	return {
		cookie, csrf,
		async request(method, path, body) {
			const answer = await httpRequest(port, method, path, { cookie, "x-csrf-token": csrf, "content-type": "application/json" }, body === undefined ? undefined : JSON.stringify(body));
			let data: unknown = answer.text;
			try {
				data = JSON.parse(answer.text);
			}
			catch {
				// not JSON: keep the text
			}
			return { status: answer.status, data };
		},
	};
}
