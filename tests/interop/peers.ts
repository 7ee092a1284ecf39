// SIPp and baresip started by the tests on 127.0.0.1, stopped by process id.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../node/helpers.js";
import { wavHeader } from "../../hosts/node/audio.js";

export function installed(command: string, args: string[] = ["-v"]): boolean {
	try {
		execFileSync(command, args, { stdio: "ignore", timeout: 5000 });
		return true;
	}
	catch (e) {
		return (e as { code?: string }).code !== "ENOENT";
	}
}

export interface Running {
	child: ChildProcess;
	/** The folder the peer runs in (its configuration and recordings). */
	dir: string;
	output(): string;
	/** Resolves with the exit code. */
	exited: Promise<number>;
	stop(): Promise<void>;
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Running {
	const child = spawn(command, args, { cwd: options.cwd ?? tmpdir(), env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
	let text = "";
	child.stdout!.on("data", (d) => { text += d; });
	child.stderr!.on("data", (d) => { text += d; });
	const exited = new Promise<number>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
			await exited;
			clearTimeout(timer);
		}
	};
	return { child, dir: options.cwd ?? tmpdir(), output: () => text, exited, stop };
}

/** SIPp with a built-in (`-sn`) or file (`-sf`) scenario, one call. */
export function sipp(scenario: string, localPort: number, remote?: string, extra: string[] = []): Running {
	const dir = mkdtempSync(join(tmpdir(), "portier-sipp-"));
	const which = scenario.endsWith(".xml") ? ["-sf", scenario.startsWith("/") ? scenario : join(root, "tests/interop/scenarios", scenario)] : ["-sn", scenario];
	const args = [...which, "-i", "127.0.0.1", "-p", String(localPort), "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error",
		"-trace_err", "-error_file", join(dir, "errors.log"), "-mi", "127.0.0.1", ...extra];
	if (remote)
		args.push(remote);
	return run("sipp", args, { cwd: dir });
}

/** baresip with one account registering to Kamailio, auto-answering, playing a tone. */
export function baresip(o: { user: string; password: string; registrar: string; port: number; commands?: string[]; quitAfter?: number }): Running {
	const dir = mkdtempSync(join(tmpdir(), "portier-baresip-"));
	writeFileSync(join(dir, "accounts"), `<sip:${o.user}@${o.registrar};transport=udp>;auth_pass=${o.password};answermode=auto;regint=60;audio_codecs=PCMU\n`);
	writeFileSync(join(dir, "contacts"), "");
	writeFileSync(join(dir, "tone.wav"), toneWav(440, 8000, 10));
	writeFileSync(join(dir, "config"), [
		"poll_method epoll",
		`sip_listen 127.0.0.1:${o.port}`,
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module aufile.so",
		"module sndfile.so",
		`snd_path ${dir}`,
		"module_app account.so",
		"module_app menu.so",
		`audio_source aufile,${join(dir, "tone.wav")}`,
		`audio_player aufile,${join(dir, "heard.wav")}`,
		`audio_alert aufile,${join(dir, "alert.wav")}`,
		"rtp_ports 42000-42100",
		"net_interface 127.0.0.1",
		"",
	].join("\n"));
	const args = ["-f", dir, "-4"];
	for (const c of o.commands ?? [])
		args.push("-e", c);
	if (o.quitAfter)
		args.push("-t", String(o.quitAfter));
	return run("baresip", args, { cwd: dir, env: { ...process.env, HOME: dir } });
}

/** A mono 16-bit WAV of a sine tone (what the phone says into the call). */
export function toneWav(frequency: number, rate: number, seconds: number): Buffer {
	const samples = rate * seconds;
	const data = Buffer.alloc(samples * 2);
	for (let i = 0; i < samples; i++)
		data.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * frequency * i / rate)), i * 2);
	return Buffer.concat([wavHeader(samples, rate), data]);
}

/**
 * A UDP relay between the station and a peer that drops the first datagram
 * whose start line matches `drop`: a lost packet, on demand. The station
 * talks to `port`; the peer sees the relay's other socket.
 */
export async function lossyRelay(peerPort: number, drop: RegExp): Promise<{ port: number; dropped: () => number; close: () => void }> {
	const front = dgram.createSocket("udp4");
	const back = dgram.createSocket("udp4");
	await Promise.all([new Promise<void>((r) => front.bind(0, "127.0.0.1", () => r())), new Promise<void>((r) => back.bind(0, "127.0.0.1", () => r()))]);
	let station: { address: string; port: number } | undefined;
	let dropped = 0;
	const lose = (m: Buffer) => {
		const line = m.toString("latin1", 0, Math.max(0, m.indexOf("\r\n")));
		if (dropped === 0 && drop.test(line)) {
			dropped++;
			return true;
		}
		return false;
	};
	front.on("message", (m, from) => {
		station = { address: from.address, port: from.port };
		if (!lose(m))
			back.send(m, peerPort, "127.0.0.1");
	});
	back.on("message", (m) => {
		if (station && !lose(m))
			front.send(m, station.port, station.address);
	});
	return { port: front.address().port, dropped: () => dropped, close: () => { front.close(); back.close(); } };
}

/** A scenario file with words replaced (timeouts and other attributes SIPp does not substitute). */
export function scenarioWith(name: string, replacements: Record<string, string>): string {
	let text = readFileSync(join(root, "tests/interop/scenarios", name), "utf8");
	for (const [from, to] of Object.entries(replacements))
		text = text.split(from).join(to);
	const file = join(mkdtempSync(join(tmpdir(), "portier-scenario-")), name);
	writeFileSync(file, text);
	return file;
}

/** Mosquitto on 127.0.0.1:port (anonymous, no persistence), ready to take connections. */
export async function mosquitto(port: number, tls?: { cert: string; key: string }): Promise<Running> {
	const dir = mkdtempSync(join(tmpdir(), "portier-mosquitto-"));
	const conf = join(dir, "mosquitto.conf");
	const lines = [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_dest stderr", "log_type all"];
	if (tls) {
		// started as root, mosquitto reads its files as the mosquitto user: copies it may read
		chmodSync(dir, 0o755);
		copyFileSync(tls.cert, join(dir, "cert.pem"));
		copyFileSync(tls.key, join(dir, "key.pem"));
		chmodSync(join(dir, "key.pem"), 0o644);
		lines.push(`certfile ${join(dir, "cert.pem")}`, `keyfile ${join(dir, "key.pem")}`);
	}
	writeFileSync(conf, lines.join("\n") + "\n");
	const broker = run("mosquitto", ["-c", conf], { cwd: dir });
	const deadline = Date.now() + 10000;
	while (!/running/.test(broker.output())) {
		if (Date.now() > deadline || broker.child.exitCode !== null) {
			await broker.stop();
			throw new Error("mosquitto did not start: " + broker.output());
		}
		await new Promise((r) => setTimeout(r, 50));
	}
	return broker;
}

/**
 * For a suite that needs SIPp (skipped, saying so, without it): the peers and
 * the stations each test starts, stopped after it.
 */
export function withPeers<T>(stop: (started: T) => void): { running: Running[]; started: T[] } {
	const running: Running[] = [];
	const started: T[] = [];
	before(function () {
		if (!installed("sipp")) {
			process.stdout.write("\n  interop: skipped: sipp is not installed\n");
			this.skip();
		}
	});
	afterEach(async () => {
		for (const r of running.splice(0))
			await r.stop();
		for (const s of started.splice(0))
			stop(s);
	});
	return { running, started };
}
