/*
 * The station on the Moddable SDK (the simulator and ESP32 panels): the SDK's
 * ECMA-419 sockets, Timer and crypt Digest handed to the same modules that run
 * on Node. For now the SIP user agent registers the configured account and
 * answers OPTIONS; calls are refused until the door logic is wired in.
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
import { UserAgent } from "sip/ua";

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

const ua = new UserAgent({
	udp: { io: UDP as unknown as UDPClass, port },
	listener: { io: Listener as unknown as ListenerClass, port },
	tcp: { io: TCP as unknown as TCPClass },
	clock,
	host,
	hash,
	random,
	userAgent: "portier/0.1",
	accounts,
	media: (callId: string) => ({ address: host, port: 40000, codecs: ["PCMU", "PCMA"], sessionId: callId.slice(0, 8), version: 1 }),
	onIncomingCall(call) {
		call.reject(480, "Temporarily Unavailable");
	},
	onRegistration(status) {
		trace(`portier: account ${status.id} ${status.registered ? "registered" : "not registered"} (${status.lastStatus} ${status.lastReason})\n`);
	},
	log: (line: string) => trace(line + "\n"),
});
ua.start();
trace(`portier: SIP on udp and tcp port ${port}\n`);
