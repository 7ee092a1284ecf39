/*
 * `npm start`: the station on a PC. For now the SIP side answers OPTIONS on
 * UDP and TCP (the user agent, the door logic and the web page follow).
 * Flags: --sip-port N (5060), --bind ADDRESS (0.0.0.0).
 */
import { StatelessServer } from "../../modules/sip/stateless-server.js";
import { Listener, TCP, UDP } from "./io.js";

interface Flags {
	sipPort: number;
	bind: string;
}

function parseFlags(argv: string[]): Flags {
	const flags: Flags = { sipPort: 5060, bind: "0.0.0.0" };
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
		else if (arg === "--bind") {
			if (!value)
				usage("--bind needs an address");
			flags.bind = value;
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
	process.stderr.write("usage: npm start -- [--sip-port N] [--bind ADDRESS]\n");
	process.exit(error ? 2 : 0);
}

const flags = parseFlags(process.argv.slice(2));
const log = (line: string) => process.stdout.write(new Date().toISOString() + " " + line + "\n");

const server = new StatelessServer({
	udp: { io: UDP, port: flags.sipPort, address: flags.bind },
	listener: { io: Listener, port: flags.sipPort, address: flags.bind },
	tcp: { io: TCP },
	capabilities: {
		methods: ["OPTIONS"],
		schemes: ["sip", "sips"],
		extensions: [],
		contentTypes: ["application/sdp"],
	},
	userAgent: "portier/0.1",
	log,
});

try {
	await Promise.all([(server.udp as UDP).ready, (server.listener as Listener).ready]);
}
catch (e) {
	process.stderr.write(`portier: cannot listen on ${flags.bind}:${flags.sipPort}: ${(e as Error).message}\n`);
	server.close();
	process.exit(1);
}
log(`portier: SIP on udp and tcp ${flags.bind}:${flags.sipPort}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		log("portier: stopping");
		server.close();
		process.exit(0);
	});
}
