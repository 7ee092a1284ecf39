// Helpers for tests that run real processes on 127.0.0.1: free ports, a child
// process stopped by its process id, waiting for a line of output.
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import dgram from "node:dgram";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";

export const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Below this, ports are not handed out for outgoing connections (Linux's
 * ip_local_port_range starts at 32768 unless set otherwise).
 */
function ephemeralLow(): number {
	try {
		return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 0;
	}
	catch {
		return 0;
	}
}
const PICK_LOW = 20000;
const pickHigh = ephemeralLow();

/** Whether a port can be bound on 127.0.0.1 over TCP and UDP right now. */
function bindable(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const s = net.createServer();
		s.once("error", () => resolve(false));
		s.listen(port, "127.0.0.1", () => {
			s.close(() => {
				const u = dgram.createSocket("udp4");
				u.once("error", () => resolve(false));
				u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
			});
		});
	});
}

/**
 * A port free on 127.0.0.1 for both UDP and TCP. Picked at random below the
 * range the kernel takes the source ports of outgoing connections from: a
 * port from listen(0) is in that range, and in the time a test needs to build
 * and start the firmware (a minute) another process's connection could take
 * it, and the firmware's bind failed ("bind socket failed", seen with the
 * ESP32 emulation's suite running beside the simulator's). Where the range
 * leaves no room below it, the kernel's choice is used.
 */
export async function freePort(): Promise<number> {
	for (let tries = 0; pickHigh > PICK_LOW + 1000 && tries < 50; tries++) {
		const port = PICK_LOW + Math.floor(Math.random() * (pickHigh - PICK_LOW));
		if (await bindable(port))
			return port;
	}
	for (;;) {
		const port = await new Promise<number>((resolve, reject) => {
			const s = net.createServer();
			s.once("error", reject);
			s.listen(0, "127.0.0.1", () => {
				const p = (s.address() as net.AddressInfo).port;
				s.close(() => resolve(p));
			});
		});
		if (await bindable(port))
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

/** `npm start` on free ports with its own state directory (kept across restarts when given). */
export async function startStation(o: { state?: string; sipPort?: number; httpPort?: number; args?: string[] } = {}): Promise<Started & { sipPort: number; httpPort: number; state: string; base: string }> {
	const { mkdtempSync } = await import("node:fs");
	const { tmpdir } = await import("node:os");
	const { join } = await import("node:path");
	const state = o.state ?? mkdtempSync(join(tmpdir(), "portier-state-"));
	const sipPort = o.sipPort ?? await freePort();
	const httpPort = o.httpPort ?? await freePort();
	const started = await start(process.execPath, ["build/hosts/node/main.js", "--sip-port", String(sipPort), "--http-port", String(httpPort), "--bind", "127.0.0.1", "--state", state, "--mdns-port", "0", ...(o.args ?? [])], "portier: SIP on");
	return { ...started, sipPort, httpPort, state, base: `http://127.0.0.1:${httpPort}` };
}

export interface AdminClient {
	csrf: string;
	cookie: string;
	/** A JSON request with the session cookie and the CSRF token. */
	request(method: string, path: string, body?: unknown): Promise<{ status: number; data: any }>;
}

/**
 * A GET, tried again once when the connection fails before an answer: a
 * server may close an idle kept-alive connection just as the client reuses it
 * (the SDK's HTTP server in the simulator does), and an idempotent request is
 * simply sent again (RFC 9112 §9.3.1).
 */
async function getOnce(url: string): Promise<Response> {
	try {
		return await fetch(url);
	}
	catch {
		return await fetch(url);
	}
}

/** Log in as the administrator (setting the password first on a fresh station). */
export async function admin(base: string, password = "door-admin-1"): Promise<AdminClient> {
	const state = await (await getOnce(base + "/api/session")).json() as { setup: boolean };
	const r = await fetch(base + (state.setup ? "/api/session/setup" : "/api/session"), { method: "POST", body: JSON.stringify({ password }) });
	if (r.status !== 200)
		throw new Error("login failed: " + r.status + " " + await r.text());
	const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0];
	const client: AdminClient = {
		csrf: ((await r.json()) as { csrf: string }).csrf,
		cookie,
		async request(method, path, body) {
			const answer = await fetch(base + path, { method, headers: { cookie, "x-csrf-token": client.csrf, "content-type": "application/json" }, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
			const text = await answer.text();
			let data: unknown = text;
			try {
				data = JSON.parse(text);
			}
			catch {
				// not JSON: keep the text
			}
			return { status: answer.status, data };
		},
	};
	return client;
}

/**
 * The one setting of the README's first try: callers from this machine are
 * trusted (whitelist 127.0.0.1), auto-answered at once, and relay 1 opens for
 * the code 1234 (the factory settings trust no one and have no door code).
 */
export const OPEN_TO_LOCAL_CALLERS = Object.freeze({
	station: { whitelist: ["127.0.0.1"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" }, relays: [{ id: 1, holdTime: 3, dtmfCode: "1234" }] },
});

/** Apply OPEN_TO_LOCAL_CALLERS through the API. */
export async function openToLocalCallers(client: AdminClient): Promise<void> {
	const r = await client.request("PUT", "/api/config", OPEN_TO_LOCAL_CALLERS);
	if (r.status !== 200)
		throw new Error("configuration refused: " + JSON.stringify(r.data));
}
