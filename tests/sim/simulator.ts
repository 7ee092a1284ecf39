/*
 * Build the station with the Moddable SDK for the Linux simulator and run it
 * headless: mcconfig -d -m -p lin -t build (never the SDK's other make
 * targets: they kill simulators by name), then the SDK's xsbug-log around
 * mcsim under xvfb-run, with a private HOME and debugger port per run. The
 * run is stopped by its process group id. The SDK is found through MODDABLE
 * or mcconfig on PATH; it is never part of this repository.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { root } from "../node/helpers.js";

export interface Sdk {
	moddable: string;
	bin: string;
}

function which(name: string): string | undefined {
	for (const dir of (process.env.PATH ?? "").split(":")) {
		const p = join(dir, name);
		if (dir && existsSync(p))
			return p;
	}
	return undefined;
}

/** The SDK, or the reason it cannot be used. */
export function findSdk(): Sdk | string {
	let moddable = process.env.MODDABLE;
	let bin: string | undefined;
	if (moddable)
		bin = join(moddable, "build/bin/lin/release");
	else {
		const mcconfig = which("mcconfig");
		if (!mcconfig)
			return "MODDABLE is not set and mcconfig is not on PATH";
		bin = dirname(mcconfig);
		moddable = join(bin, "../../../..");
	}
	for (const tool of ["mcconfig", "mcsim"]) {
		if (!existsSync(join(bin, tool)))
			return `the SDK at ${moddable} has no built ${tool} (build its tools: build/makefiles/lin, make)`;
	}
	if (!existsSync(join(moddable, "tools/xsbug-log/node_modules")))
		return `the SDK's tools/xsbug-log needs npm install`;
	if (!which("xvfb-run"))
		return "xvfb-run is not installed (Debian package xvfb)";
	return { moddable, bin };
}

export interface SimRun {
	/** The run's private HOME, its working folder (the simulator's Preference file is there). */
	home: string;
	output(): string;
	stop(): Promise<void>;
	/** A command line to xsbug-log's debugger console (e.g. "info instruments"). */
	send(line: string): void;
}

/**
 * Where mcconfig puts a build's files under its output folder: it names them
 * after the checkout's folder, whatever that is called.
 */
export function buildName(): string {
	return basename(root.replace(/\/+$/, ""));
}

/**
 * Build the station for -p lin with manifest config overrides; returns the
 * path of mc.so. A debug build (-d: the engine talks to xsbug-log, which
 * runSimulator reads), or with `release` the build a panel runs (no debugger,
 * XS compiled optimised; trace() goes nowhere).
 */
export function buildStation(sdk: Sdk, config: Record<string, string | number>, options: { release?: boolean } = {}): string {
	const out = mkdtempSync(join(tmpdir(), "portier-sim-build-"));
	const env = { ...process.env, MODDABLE: sdk.moddable, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}:${sdk.bin}` };
	// names (the default SNTP server, pool.ntp.org) are asked of a DNS server on this machine: a test run stays on loopback;
	// mDNS only where a suite gives it a port of its own (5353 is this machine's)
	const args = [...(options.release ? [] : ["-d"]), "-m", "-p", "lin", "-t", "build", "-o", out, ...Object.entries({ dnsServer: "127.0.0.1", mdnsPort: 0, ...config }).map(([k, v]) => `${k}=${v}`)];
	try {
		execFileSync(join(sdk.bin, "mcconfig"), args, { cwd: root, env, stdio: "pipe", timeout: 300000 });
	}
	catch (e) {
		rmSync(out, { recursive: true, force: true });
		throw e;
	}
	const so = join(out, "bin/lin/mc", options.release ? "release" : "debug", buildName(), "mc.so");
	if (!existsSync(so)) {
		rmSync(out, { recursive: true, force: true });
		throw new Error("mcconfig produced no mc.so");
	}
	return so;
}

/** The build folder of an mc.so made by buildStation (its temporary output folder). */
function buildFolder(so: string): string | undefined {
	const at = so.indexOf("/bin/lin/mc/");
	return at > 0 && basename(so.slice(0, at)).startsWith("portier-sim-build-") ? so.slice(0, at) : undefined;
}

/**
 * Start the simulator headless; resolves when `ready` appears in its trace
 * output, or, for a release build (no debugger, no trace output), when the
 * `ready` function, asked every 200 ms, says so. `files` are written into its
 * private HOME first (an .asoundrc, say).
 */
export function runSimulator(sdk: Sdk, so: string, debuggerPort: number, ready: string | (() => Promise<boolean>), files: Record<string, string> = {}): Promise<SimRun> {
	const home = mkdtempSync(join(tmpdir(), "portier-sim-home-"));
	mkdirSync(join(home, ".config/tech.moddable.mcsim"), { recursive: true });
	for (const [name, text] of Object.entries(files))
		writeFileSync(join(home, name), text);
	const env = {
		...process.env, HOME: home, XSBUG_HOST: "127.0.0.1", XSBUG_PORT: String(debuggerPort),
		XSBUG_LOG_PORT: String(debuggerPort), XSBUG_PROJECT: home,
	};
	const command = typeof ready === "string" ? ["node", join(sdk.moddable, "tools/xsbug-log/xsbug-log.js"), join(sdk.bin, "mcsim"), so] : [join(sdk.bin, "mcsim"), so];
	const child: ChildProcess = spawn("xvfb-run", ["-a", ...command], {
		cwd: home, env, stdio: ["pipe", "pipe", "pipe"], detached: true,
	});
	let text = "";
	// a run leaves nothing in the temporary folder: its HOME and its build (about 40 MB) go when it stops
	const clean = () => {
		rmSync(home, { recursive: true, force: true });
		const build = buildFolder(so);
		if (build)
			rmSync(build, { recursive: true, force: true });
	};
	const stop = () => new Promise<void>((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) {
			clean();
			return resolve();
		}
		child.once("exit", () => {
			clean();
			resolve();
		});
		try {
			process.kill(-child.pid!, "SIGTERM");	// the process group this run started
		}
		catch {
			resolve();
		}
	});
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			void stop();
			reject(new Error("the simulator did not start: " + text));
		}, 30000);
		const started = () => {
			clearTimeout(timer);
			resolve({ home, output: () => text, stop, send: (line: string) => void child.stdin!.write(line + "\n") });
		};
		const onData = (chunk: Buffer) => {
			text += chunk.toString();
			if (typeof ready === "string" && text.includes(ready))
				started();
		};
		if (typeof ready === "function") {
			const ask = () => {
				if (child.exitCode !== null || child.signalCode !== null)
					return;
				ready().then((yes) => yes ? started() : void setTimeout(ask, 200), () => void setTimeout(ask, 200));
			};
			setTimeout(ask, 200);
		}
		child.stdout!.on("data", onData);
		child.stderr!.on("data", onData);
		child.once("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`the simulator exited (${code}): ${text}`));
		});
	});
}

/**
 * An .asoundrc for a run's private HOME: ALSA's default device, which the
 * SDK's audio in/out open in the simulator, plays into `speaker.raw` in `dir`
 * (only 20 ms blocks carrying sound: tests/sim/speaker-filter) and records
 * from `microphone.fifo` in `dir`, or from nothing without a microphone.
 */
export function asoundrc(dir: string, microphone = true): string {
	return `pcm.portier_speaker {
	type file
	slave.pcm "null"
	file "|node ${join(root, "build/tests/sim/speaker-filter.js")} ${join(dir, "speaker.raw")}"
	format "raw"
}
${microphone ? `pcm.portier_microphone {
	type file
	slave.pcm "null"
	file "/dev/null"
	infile "${join(dir, "microphone.fifo")}"
	format "raw"
}
` : ""}pcm.!default {
	type asym
	playback.pcm "portier_speaker"
	capture.pcm "${microphone ? "portier_microphone" : "null"}"
}
`;
}

/** Whether ALSA's library is there: the simulator's audio needs it (Debian package libasound2-dev). */
export function alsaInstalled(): boolean {
	return existsSync("/usr/lib/x86_64-linux-gnu/libasound.so") || existsSync("/usr/lib/aarch64-linux-gnu/libasound.so");
}

/*
 * The firmware's control port (manifest config controlPort): one line asked
 * over UDP on 127.0.0.1, one line answered (hosts/sim/board).
 */
export interface Heap {
	chunks: number;
	slots: number;
	keys: number;
	/** Of chunks: function byte code copied into the heap (closures made at run time by a module the preload list names). */
	code: number;
	/** chunks + slots / 2: the same heap with the ESP32's 16-byte slots. */
	esp32: number;
}

export function control(port: number, text: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const s = dgram.createSocket("udp4");
		const timer = setTimeout(() => { s.close(); reject(new Error("no answer to " + text)); }, 3000);
		s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m.toString()); });
		s.bind(0, "127.0.0.1", () => s.send(text, port, "127.0.0.1"));
	});
}

/** The heap right after a full collection, from the control port. */
export async function heap(controlPort: number): Promise<Heap> {
	const answer = await control(controlPort, "heap");
	const m = /^ok (\d+) (\d+) (\d+) (\d+)$/.exec(answer);
	assert.ok(m, answer);
	const chunks = Number(m[1]);
	const slots = Number(m[2]);
	return { chunks, slots, keys: Number(m[3]), code: Number(m[4]), esp32: chunks + slots / 2 };
}
