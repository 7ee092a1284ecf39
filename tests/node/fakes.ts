// Fakes of the ECMA-419 socket classes: what the station sends is recorded,
// what a peer sends is injected through onReadable, exactly as a host would.
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import type { Datagram, Log, UDPClass, UDPOptions, UDPSocket } from "../../modules/io/types.js";
import { parseMessage, type SipMessage } from "../../modules/sip/message.js";
import { StationApp } from "../../modules/station/app.js";
import { STATION_DEFAULTS } from "../../modules/station/config.js";

export interface Sent {
	bytes: Uint8Array;
	address: string;
	port: number;
	at: number;
}

export class FakeUDP implements UDPSocket {
	static last: FakeUDP | undefined;
	static all: FakeUDP[] = [];
	readonly sent: Sent[] = [];
	#queue: Datagram[] = [];
	#options: UDPOptions;
	closed = false;
	constructor(options: UDPOptions) {
		this.#options = options;
		FakeUDP.last = this;
		FakeUDP.all.push(this);
	}
	get options(): UDPOptions {
		return this.#options;
	}
	get port(): number {
		return this.#options.port ?? 5060;
	}
	read(): Datagram | undefined {
		return this.#queue.shift();
	}
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void {
		const bytes = buffer instanceof Uint8Array ? buffer.slice() : new Uint8Array(buffer.slice(0));
		this.sent.push({ bytes, address, port, at: Date.now() });
	}
	close(): void {
		this.closed = true;
	}
	/** A datagram from a peer. */
	deliver(data: string | Uint8Array, address = "192.0.2.1", port = 5060): void {
		const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
		const d = bytes.slice().buffer as Datagram;
		d.address = address;
		d.port = port;
		this.#queue.push(d);
		this.#options.onReadable?.call(this, 1);
	}
	/** What was sent, parsed (keep-alives left out). */
	messages(): SipMessage[] {
		return this.sent.filter((s) => s.bytes.length > 4).map((s) => parseMessage(s.bytes));
	}
}

export function lines(...l: string[]): string {
	return l.join("\r\n");
}

/** A direct INVITE from `from` (port 5060) to the station at 192.0.2.10, its SDP naming `media` for RTP. */
export function directInvite(callId: string, from: string, media: string): string {
	const sdp = lines("v=0", `o=peer 1 1 IN IP4 ${media}`, "s=-", `c=IN IP4 ${media}`, "t=0 0", "m=audio 30000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "");
	return lines("INVITE sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK${callId}`, "Max-Forwards: 70",
		`From: <sip:x@${from}>;tag=c`, "To: <sip:door@192.0.2.10>", `Call-ID: ${callId}`, "CSeq: 1 INVITE", `Contact: <sip:x@${from}:5060>`,
		"Content-Type: application/sdp", `Content-Length: ${sdp.length}`, "", sdp);
}

/**
 * A station at 192.0.2.10 over FakeUDP (or `udp`), RTP on 40000-40100, that
 * trusts 192.0.2.5 and auto-answers it at once; `sip` is its SIP socket.
 */
export function whitelistedStation(options: { udp?: UDPClass; log?: Log } = {}): { app: StationApp; sip: FakeUDP } {
	let n = 0;
	FakeUDP.all = [];
	const app = new StationApp({ udp: options.udp ?? FakeUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"), relays: { set: () => {} }, log: options.log }, {
		sipPort: 5060, host: "192.0.2.10", rtpPorts: { first: 40000, last: 40100 }, rtpTimeout: 0, accounts: [],
		station: { ...STATION_DEFAULTS, whitelist: ["192.0.2.5"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } },
	});
	return { app, sip: FakeUDP.all[0] };
}
