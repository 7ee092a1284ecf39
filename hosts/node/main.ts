/*
 * `npm start`: the station on a PC, on the same modules as the firmware: SIP
 * on UDP and TCP, the configuration page and JSON API on port 8080, settings
 * kept in a state directory (factory defaults at first start: direct IP calls
 * auto-answered, door codes by DTMF opening relay 1, simulated and shown in
 * the log and the status). Flags: --sip-port N (the configured port, 5060),
 * --http-port N (8080), --bind ADDRESS (0.0.0.0), --host ADDRESS (the address
 * put in Via, Contact and SDP), --state DIR (./state), --mic, --record,
 * --sntp (the station's wall clock set by its own SNTP client, as on a panel;
 * by default it keeps this PC's system time: docs/time.md), --update-key
 * HEX (firmware upgrades from the page, signed with that key's private half:
 * docs/update.md; the image goes to a file in the state folder), --mdns-port N
 * (5353: the station answers for <name>.local and announces its page there,
 * on the interface of --host; 0: no mDNS).
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { networkInterfaces } from "node:os";
import { gzipSync } from "node:zlib";
import { Device, type ProductHost } from "../../modules/device.js";
import { nodeClock } from "./clock.js";
import { HTTPServer } from "./http.js";
import { MQTTClient } from "./mqtt.js";
import { NodeStorage } from "./storage.js";
import { Listener, TCP, TLS, UDP } from "./io.js";
import { nodeDns, nodeHash, nodeRandom } from "./platform.js";
import { nodeTextHelpers } from "./text.js";
import { setTextHelpers } from "../../modules/sip/text.js";
import { WavRecorder, loop, readWav, tone } from "./audio.js";
import { FileUpdateDevice, nodeSha256, nodeVerify, updateKey } from "./update.js";

interface Flags {
	sipPort: number | undefined;
	state: string;
	httpPort: number;
	bind: string;
	host: string | undefined;
	/** A WAV file to play into calls, or a tone frequency. */
	mic: string;
	/** A folder to record each call's incoming audio to. */
	record: string | undefined;
	/** Run the SNTP client as a panel does (the PC's clock is read, never set). */
	sntp: boolean;
	/** The firmware update key (hex point); none: no upgrades. */
	updateKey: string | undefined;
	/** mDNS (5353; 0: none). */
	mdnsPort: number;
}

function port(flag: string, value: string | undefined): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n < 1 || n > 65535)
		usage(`${flag} must be a port number from 1 to 65535, not "${value ?? ""}"`);
	return n;
}

function parseFlags(argv: string[]): Flags {
	const flags: Flags = { sipPort: undefined, state: "state", httpPort: 8080, bind: "0.0.0.0", host: undefined, mic: "425", record: undefined, sntp: false, updateKey: undefined, mdnsPort: 5353 };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const value = argv[i + 1];
		if (arg === "--sip-port")
			flags.sipPort = port(arg, value), i++;
		else if (arg === "--http-port")
			flags.httpPort = port(arg, value), i++;
		else if (arg === "--mdns-port")
			flags.mdnsPort = value === "0" ? 0 : port(arg, value), i++;
		else if (arg === "--bind" || arg === "--host") {
			if (!value)
				usage(`${arg} needs an address`);
			if (arg === "--bind")
				flags.bind = value;
			else
				flags.host = value;
			i++;
		}
		else if (arg === "--update-key") {
			if (!value)
				usage(`${arg} needs the public key (tools/sign-firmware.js public KEY.pem)`);
			flags.updateKey = value;
			i++;
		}
		else if (arg === "--mic" || arg === "--record" || arg === "--state") {
			if (!value)
				usage(`${arg} needs a value`);
			if (arg === "--mic")
				flags.mic = value;
			else if (arg === "--state")
				flags.state = value;
			else
				flags.record = value;
			i++;
		}
		else if (arg === "--sntp")
			flags.sntp = true;
		else if (arg === "--help" || arg === "-h")
			usage();
		else
			usage(`unknown option ${arg}`);
	}
	return flags;
}

function usage(error?: string): never {
	if (error)
		process.stderr.write(`portier: ${error}\n`);
	process.stderr.write("usage: npm start -- [--sip-port N] [--http-port N] [--bind ADDRESS] [--host ADDRESS] [--state DIR] [--mic FILE.wav|HZ] [--record DIR] [--sntp] [--update-key HEX] [--mdns-port N]\n");
	process.exit(error ? 2 : 0);
}

const flags = parseFlags(process.argv.slice(2));
const host = flags.host ?? (flags.bind === "0.0.0.0" ? "127.0.0.1" : flags.bind);
/*
 * Log lines go out once per turn of the event loop, together: stdout on a
 * pipe is written synchronously on Linux, and a call's lines are logged in
 * the middle of answering it (two writes before its 200). What waits is
 * written at exit too.
 */
let pending = "";
const writePending = () => {
	if (pending) {
		const text = pending;
		pending = "";
		process.stdout.write(text);
	}
};
process.on("exit", writePending);
const log = (line: string) => {
	if (!pending)
		setImmediate(writePending);
	pending += new Date().toISOString() + " " + line + "\n";
};

/** The microphone of a PC station: a WAV file, or a quiet tone (425 Hz by default) so a caller hears the line is open. */
function microphone(): () => (frame: Int16Array) => void {
	if (/^\d+$/.test(flags.mic)) {
		const hz = Number(flags.mic);
		if (hz < 1 || hz > 3999)
			usage("--mic tone must be 1-3999 Hz");
		return () => tone(hz);
	}
	try {
		const samples = readWav(flags.mic);
		return () => loop(samples);
	}
	catch (e) {
		usage((e as Error).message);
	}
}
const mic = microphone();
const recorders = new Map<string, WavRecorder>();

const storage = new NodeStorage({ path: flags.state });
/** The "other partition" and the boot state: files in the state folder. */
const updates = new FileUpdateDevice(flags.state);
let verifyUpdate: ((digest: Uint8Array, signature: Uint8Array) => boolean) | undefined;
try {
	verifyUpdate = flags.updateKey ? nodeVerify(updateKey(flags.updateKey)) : undefined;
}
catch (e) {
	usage("--update-key: " + (e as Error).message);
}
const html = new Uint8Array(readFileSync(new URL("../../../page/page.html", import.meta.url)));
const page = { html, gzip: new Uint8Array(gzipSync(html, { level: 9 })) };

function httpGet(url: string): void {
	if (!/^https?:\/\//.test(url))
		return log(`portier: push button URL ignored (not http): ${url}`);
	fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => log(`portier: GET ${url} -> ${r.status}`), (e: Error) => log(`portier: GET ${url} failed: ${e.message}`));
}

setTextHelpers(nodeTextHelpers);

/** Start the device: at launch, and again after a reboot from the page (settings re-read from the state directory). */
async function boot(): Promise<Device> {
	const device = new Device({
		udp: UDP, tcp: TCP, listener: Listener, tls: TLS,
		clock: nodeClock, hash: nodeHash, random: nodeRandom, dns: nodeDns,
		token: () => randomBytes(16).toString("hex"),
		storage,
		http: { io: HTTPServer, port: flags.httpPort, address: flags.bind },
		page,
		mqtt: { io: MQTTClient },
		reboot: () => {
			log("portier: rebooting");
			device.stop(() => boot().catch((e: Error) => {
				process.stderr.write(`portier: cannot restart: ${e.message}\n`);
				process.exit(1);
			}));
		},
		relays: { set: (id, active) => log(`portier: relay ${id} ${active ? "released (door open)" : "off"}`) },
		microphone: () => mic(),
		speaker: (callId) => {
			if (!flags.record)
				return undefined;
			const recorder = new WavRecorder(flags.record, new Date().toISOString() + "-" + callId);
			recorders.set(callId, recorder);
			return (frame) => recorder.write(frame);
		},
		httpGet,
		log,
		// the ESP32's chip id (a PC takes a panel's image) and the update partition of a 4 MB panel, 0x1f0000 bytes (docs/update.md)
		update: { device: updates, boot: updates, sha256: nodeSha256, verify: verifyUpdate, chip: 0, maxSize: 0x1f0000 },
		// a PC's clock is kept by its system (docs/time.md); --sntp runs the panel's client, names through this PC's resolver
		sntp: flags.sntp ? {} : undefined,
		info: () => {
			// the MAC of the interface the station is bound to (or of the first external one)
			const all = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === "IPv4");
			const nic = all.find((i) => i!.address === host) ?? all.find((i) => i && !i.internal);
			const heap = process.memoryUsage();
			return { model: "portier on a PC (Node.js " + process.versions.node + ")", mac: nic && nic.mac !== "00:00:00:00:00:00" ? nic.mac : undefined, ip: host, freeHeap: heap.heapTotal - heap.heapUsed, heapUsed: heap.heapUsed };
		},
	} satisfies ProductHost, {
		sipPort: flags.sipPort, bind: flags.bind, host,
		rtpPorts: { first: 40000, last: 40098 }, rtpTimeout: 30000,
		version: "0.1.0",
		mdnsPort: flags.mdnsPort,
	});
	device.app.on((e) => {
		if (e.type === "call" && e.state === "ended") {
			recorders.get(e.call.id)?.close();
			recorders.delete(e.call.id);
		}
	});
	const transport = device.app.ua.stack.transport;
	await Promise.all([
		(transport.udpSocket as UDP).ready,
		(transport.listenerSocket as Listener).ready,
		device.web?.ready ?? Promise.resolve(),
	]);
	device.start();
	const sipPort = flags.sipPort ?? device.settings.config.sip.port;
	log(`portier: SIP on udp and tcp ${flags.bind}:${sipPort}, page and API on http://${host}:${flags.httpPort}/${device.auth.hasPassword ? "" : " (open it to set the administrator password)"}`);
	current = device;
	return device;
}

let current: Device | undefined;
try {
	await boot();
}
catch (e) {
	process.stderr.write(`portier: cannot listen: ${(e as Error).message}\n`);
	process.exit(1);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		log("portier: stopping");
		if (!current)
			process.exit(0);
		current.stop(() => process.exit(0));
		setTimeout(() => process.exit(0), 3000).unref();
	});
}
