/*
 * `npm start`: the station on a PC, on the same modules as the firmware. The
 * SIP user agent listens on UDP and TCP, answers OPTIONS and the right status
 * to everything it does not serve; calls are refused (480) until the door
 * logic is wired in. Flags: --sip-port N (5060), --bind ADDRESS (0.0.0.0),
 * --host ADDRESS (the address put in Via and Contact; default: --bind, or
 * 127.0.0.1 when binding all interfaces).
 */
import { UserAgent } from "../../modules/sip/ua.js";
import { nodeClock } from "./clock.js";
import { Listener, TCP, TLS, UDP } from "./io.js";
import { nodeDns, nodeHash, nodeRandom } from "./platform.js";

interface Flags {
	sipPort: number;
	bind: string;
	host: string | undefined;
}

function parseFlags(argv: string[]): Flags {
	const flags: Flags = { sipPort: 5060, bind: "0.0.0.0", host: undefined };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const value = argv[i + 1];
		if (arg === "--sip-port") {
			const n = Number(value);
			if (!Number.isInteger(n) || n < 1 || n > 65535)
				usage(`--sip-port must be a port number from 1 to 65535, not "${value ?? ""}"`);
			flags.sipPort = n;
			i++;
		}
		else if (arg === "--bind" || arg === "--host") {
			if (!value)
				usage(`${arg} needs an address`);
			if (arg === "--bind")
				flags.bind = value;
			else
				flags.host = value;
			i++;
		}
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
	process.stderr.write("usage: npm start -- [--sip-port N] [--bind ADDRESS] [--host ADDRESS]\n");
	process.exit(error ? 2 : 0);
}

const flags = parseFlags(process.argv.slice(2));
const host = flags.host ?? (flags.bind === "0.0.0.0" ? "127.0.0.1" : flags.bind);
const log = (line: string) => process.stdout.write(new Date().toISOString() + " " + line + "\n");

const ua = new UserAgent({
	udp: { io: UDP, port: flags.sipPort, address: flags.bind },
	listener: { io: Listener, port: flags.sipPort, address: flags.bind },
	tcp: { io: TCP },
	tls: { io: TLS },
	clock: nodeClock,
	host,
	hash: nodeHash,
	random: nodeRandom,
	dns: nodeDns,
	userAgent: "portier/0.1",
	accounts: [],
	media: (callId) => ({ address: host, port: 40000, codecs: ["PCMU", "PCMA"], sessionId: callId.slice(0, 8), version: 1 }),
	onIncomingCall(call) {
		log(`portier: call from ${call.remote} refused (no door logic yet)`);
		call.reject(480, "Temporarily Unavailable");
	},
	onRegistration(status) {
		log(`portier: account ${status.id} ${status.registered ? "registered" : "not registered"} (${status.lastStatus} ${status.lastReason})`);
	},
	log,
});

try {
	await Promise.all([(ua.stack.transport.udpSocket as UDP).ready, (ua.stack.transport.listenerSocket as Listener).ready]);
}
catch (e) {
	process.stderr.write(`portier: cannot listen on ${flags.bind}:${flags.sipPort}: ${(e as Error).message}\n`);
	ua.stack.close();
	process.exit(1);
}
ua.start();
log(`portier: SIP on udp and tcp ${flags.bind}:${flags.sipPort}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		log("portier: stopping");
		ua.stop(() => process.exit(0));
		setTimeout(() => process.exit(0), 3000).unref();
	});
}
