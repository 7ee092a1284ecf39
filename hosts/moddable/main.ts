/*
 * The station on the Moddable SDK (the simulator and ESP32 panels): the SDK's
 * ECMA-419 sockets handed to the same modules that run on Node. For now the
 * SIP side answers OPTIONS on UDP and TCP, like `npm start`.
 * Port: manifest config `sipPort` (mcconfig ... sipPort=5070).
 */
import UDP from "embedded:io/socket/udp";
import TCP from "embedded:io/socket/tcp";
import Listener from "embedded:io/socket/listener";
import config from "mc/config";
import type { ListenerClass, TCPClass, UDPClass } from "io/types";
import { StatelessServer } from "sip/stateless-server";

const port = Number((config as Record<string, unknown>).sipPort ?? 5060);

const server = new StatelessServer({
	udp: { io: UDP as unknown as UDPClass, port },
	listener: { io: Listener as unknown as ListenerClass, port },
	tcp: { io: TCP as unknown as TCPClass },
	capabilities: Object.freeze({
		methods: Object.freeze(["OPTIONS"]),
		schemes: Object.freeze(["sip", "sips"]),
		extensions: Object.freeze([]),
		contentTypes: Object.freeze(["application/sdp"]),
	}),
	userAgent: "portier/0.1",
	log: (line: string) => trace(line + "\n"),
});
trace(`portier: SIP on udp and tcp port ${port}\n`);
void server;
