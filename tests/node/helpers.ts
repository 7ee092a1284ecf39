// Helpers for tests that run real processes on 127.0.0.1: free ports, a child
// process stopped by its process id, waiting for a line of output.
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import dgram from "node:dgram";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../../", import.meta.url));

/** A port free on 127.0.0.1 for both UDP and TCP. */
export async function freePort(): Promise<number> {
	for (;;) {
		const port = await new Promise<number>((resolve, reject) => {
			const s = net.createServer();
			s.once("error", reject);
			s.listen(0, "127.0.0.1", () => {
				const p = (s.address() as net.AddressInfo).port;
				s.close(() => resolve(p));
			});
		});
		const udpFree = await new Promise<boolean>((resolve) => {
			const u = dgram.createSocket("udp4");
			u.once("error", () => resolve(false));
			u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
		});
		if (udpFree)
			return port;
	}
}

export interface Started {
	child: ChildProcess;
	output: () => string;
	stop: () => Promise<void>;
}

/** Start a process and wait until its output contains `ready`. */
export function start(command: string, args: string[], ready: string | RegExp, timeoutMs = 10000): Promise<Started> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
		let text = "";
		const stop = () => new Promise<void>((done) => {
			if (child.exitCode !== null || child.signalCode !== null)
				return done();
			child.once("exit", () => done());
			child.kill("SIGTERM");
		});
		const timer = setTimeout(() => {
			void stop();
			reject(new Error(`${command} did not become ready: ${text}`));
		}, timeoutMs);
		const onData = (chunk: Buffer) => {
			text += chunk.toString();
			if (typeof ready === "string" ? text.includes(ready) : ready.test(text)) {
				clearTimeout(timer);
				resolve({ child, output: () => text, stop });
			}
		};
		child.stdout!.on("data", onData);
		child.stderr!.on("data", onData);
		child.once("exit", (code) => {
			clearTimeout(timer);
			reject(new Error(`${command} exited (${code}): ${text}`));
		});
	});
}
