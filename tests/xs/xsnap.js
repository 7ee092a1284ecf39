// A driver for the xsnap worker (the XS engine built by @agoric/xsnap),
// spoken to directly over its netstring pipes: commands go in on the worker's
// fd 3, replies come out on its fd 4. `e<source>` evaluates a script; the
// reply is `.{meter}\x01<result bytes>` or `!<error>`. The meter reports the
// engine's own counts: `compute` (work done) and `currentHeapCount` (slots).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

export function workerPath() {
	const pkg = dirname(require.resolve("@agoric/xsnap/package.json"));
	return join(pkg, "xsnap-native/xsnap/build/bin/lin/release/xsnap-worker");
}

export class Xsnap {
	#child;
	#toWorker;
	#pending = Buffer.alloc(0);
	#waiters = [];
	#exited = null;

	#onCommand;

	/**
	 * onCommand(Buffer) answers the worker's issueCommand() calls (a host
	 * service seen from inside XS, such as a hash); its return value (Buffer or
	 * string) goes back as the result.
	 */
	constructor({ onCommand } = {}) {
		this.#onCommand = onCommand;
		this.#child = spawn(workerPath(), [], { stdio: ["ignore", "inherit", "inherit", "pipe", "pipe"] });
		this.#toWorker = this.#child.stdio[3];
		this.#child.stdio[4].on("data", (chunk) => {
			this.#pending = Buffer.concat([this.#pending, chunk]);
			this.#drain();
		});
		this.#child.on("exit", (code, signal) => {
			this.#exited = new Error(`xsnap worker exited (${signal ?? code})`);
			for (const w of this.#waiters.splice(0))
				w.reject(this.#exited);
		});
	}

	#drain() {
		for (;;) {
			const colon = this.#pending.indexOf(0x3A);
			if (colon < 0)
				return;
			const length = Number(this.#pending.subarray(0, colon).toString("latin1"));
			if (this.#pending.length < colon + 1 + length + 1)
				return;
			const body = this.#pending.subarray(colon + 1, colon + 1 + length);
			this.#pending = this.#pending.subarray(colon + 2 + length);
			if (body[0] === 0x3F) {	// "?": a command from inside the worker, answered with "/"
				let reply;
				try {
					reply = Buffer.from(this.#onCommand ? this.#onCommand(body.subarray(1)) : "");
				}
				catch (e) {
					reply = Buffer.from("");
				}
				const payload = Buffer.concat([Buffer.from("/"), reply]);
				this.#toWorker.write(Buffer.concat([Buffer.from(payload.length + ":"), payload, Buffer.from(",")]));
				continue;
			}
			const waiter = this.#waiters.shift();
			if (!waiter)
				continue;
			if (body[0] === 0x2E) {	// "."
				const sep = body.indexOf(1);
				const meter = JSON.parse(body.subarray(1, sep).toString("utf8"));
				waiter.resolve({ meter, result: body.subarray(sep + 1) });
			}
			else
				waiter.reject(new Error("XS: " + body.subarray(1).toString("utf8")));
		}
	}

	/** Evaluate a script in the worker; resolves to {meter, result: Buffer}. */
	evaluate(source) {
		if (this.#exited)
			return Promise.reject(this.#exited);
		const payload = Buffer.concat([Buffer.from("e"), Buffer.from(source, "utf8")]);
		this.#toWorker.write(Buffer.concat([Buffer.from(payload.length + ":"), payload, Buffer.from(",")]));
		return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
	}

	async close() {
		if (this.#exited)
			return;
		this.#toWorker.write("1:q,");
		this.#toWorker.end();
		await new Promise((resolve) => this.#child.once("exit", resolve));
	}
}

/** Bundle an ES module and its imports into one script for the worker. */
export async function bundle(entry) {
	const esbuild = await import("esbuild");
	const out = await esbuild.build({ entryPoints: [entry], bundle: true, format: "iife", target: "es2022", write: false, logLevel: "silent", legalComments: "none" });
	return out.outputFiles[0].text;
}
