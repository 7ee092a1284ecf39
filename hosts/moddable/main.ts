/*
 * The station on the Moddable SDK (the simulator and ESP32 panels): the SDK's
 * ECMA-419 sockets, Timer and crypt Digest handed to the same modules that run
 * on Node: the whole station (user agent, door logic, RTP). Direct IP calls
 * are auto-answered and DTMF door codes release relay 1.
 * Settings come from the manifest config (mcconfig ... sipPort=5070
 * account1Server=192.0.2.1 ...).
 */
import UDP from "embedded:io/socket/udp";
import TCP from "embedded:io/socket/tcp";
import Listener from "embedded:io/socket/listener";
import Timer from "timer";
import { Digest } from "crypt";
import config from "mc/config";
import type { Clock, ListenerClass, TCPClass, UDPClass } from "io/types";
import type { DigestAlgorithm } from "sip/digest";
import type { AccountConfig } from "sip/registration";
import type { TransportName } from "sip/transport";
import { StationApp } from "station/app";
import { SimulatedPins } from "host/pins";
import { STATION_DEFAULTS } from "station/config";

const settings = config as unknown as Record<string, string | number | undefined>;

const clock: Clock = {
	now: () => Date.now(),
	set: (callback: () => void, ms: number) => Timer.set(callback, ms),
	clear: (id: unknown) => Timer.clear(id as Timer),
};

const HEX = "0123456789abcdef";
function hex(buffer: ArrayBuffer): string {
	const bytes = new Uint8Array(buffer);
	let out = "";
	for (let i = 0; i < bytes.length; i++)
		out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
	return out;
}

function hash(algorithm: DigestAlgorithm, text: string): string {
	const digest = new Digest(algorithm === "SHA-256" ? "SHA256" : "MD5");
	digest.write(text);
	return hex(digest.close());
}

function random(): string {
	let out = "";
	for (let i = 0; i < 16; i++)
		out += HEX[(Math.random() * 16) | 0];
	return out;
}

const port = Number(settings.sipPort ?? 5060);
const host = String(settings.host ?? "127.0.0.1");
const accounts: AccountConfig[] = [];
if (settings.account1Server) {
	accounts.push({
		id: "1",
		enabled: true,
		user: String(settings.account1User ?? "door"),
		password: String(settings.account1Password ?? ""),
		server: String(settings.account1Server),
		port: Number(settings.account1Port ?? 5060),
		transport: String(settings.account1Transport ?? "UDP").toUpperCase() as TransportName,
		expires: Number(settings.account1Expires ?? 3600),
	});
}

// the board's relays and inputs (the simulator's are simulated: hosts/sim)
const pins = new SimulatedPins(clock);

const app = new StationApp({
	udp: UDP as unknown as UDPClass,
	tcp: TCP as unknown as TCPClass,
	listener: Listener as unknown as ListenerClass,
	clock,
	hash,
	random,
	relays: pins,
	log: (line: string) => trace(line + "\n"),
}, {
	sipPort: port,
	host,
	rtpPorts: { first: 40000, last: 40020 },
	rtpTimeout: 30000,
	accounts,
	station: STATION_DEFAULTS,
});
app.on((e) => {
	if (e.type === "registration")
		trace(`portier: account ${e.status.id} ${e.status.registered ? "registered" : "not registered"} (${e.status.lastStatus} ${e.status.lastReason})\n`);
	else if (e.type === "door-opened")
		trace(`portier: door ${e.relay} opened by ${e.by}\n`);
	else if (e.type === "call")
		trace(`portier: call ${e.call.direction} ${e.call.state}\n`);
});
app.start();
if (settings.controlPort)
	pins.listen(UDP as unknown as UDPClass, Number(settings.controlPort), app.station);
trace(`portier: SIP on udp and tcp port ${port}\n`);
