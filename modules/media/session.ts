/*
 * One audio stream (RFC 3550 RTP, G.711, RFC 4733 events) over the host's UDP
 * socket: 20 ms packets of 160 samples, paced by one repeating timer against
 * the start time (no drift: each tick sends the packets that are due, so a
 * late tick is made up; after a stall of more than MAX_BURST packets the rest
 * are skipped, rather than sent in a burst the peer's jitter buffer would
 * drop, their time still counted in the audio's timestamp; a DTMF event
 * under way keeps its own timestamp and packet count); sequence numbers and timestamps advance per
 * packet from random starting values; DTMF is sent as telephone-events
 * (marker on the first packet, growing duration, three end packets) and
 * received once per key. No packet from the peer for `timeout` ms ends the
 * stream (a peer that vanished never leaves the station in a call).
 *
 * A call's heap is what it costs the panel (a few KB on an ESP32), so a
 * session makes little of its own: the send buffers are shared by every
 * session (a packet is built and written in one turn, and the socket takes
 * its copy before write returns), and onDtmf/onTimeout are called as methods
 * of the options object, so a caller can pass one object whose methods sit on
 * its prototype instead of a closure each.
 */
import type { Clock, Datagram, Log, UDPClass, UDPSocket } from "../io/types.js";
import { DTMF_KEYS, DtmfReceiver, writeTelephoneEvent } from "./dtmf.js";
import { type G711Law, decode, encode } from "./g711.js";
import { readRtp, writeRtpHeader } from "./rtp.js";

export const SAMPLES_PER_PACKET = 160;	// 20 ms at 8 kHz
export const PACKET_INTERVAL = 20;
/** Most packets one tick sends to catch up. */
const MAX_BURST = 3;

/**
 * The packet being built and the frame being encoded, shared by all sessions
 * (see above). Made by the first session, not at module load: preloaded
 * modules allocate nothing when they load.
 */
interface SendBuffers {
	packet: Uint8Array;
	/** The packet's payload, and its first 16 octets (an event): views made once, nothing allocated per packet. */
	payload: Uint8Array;
	event: Uint8Array;
	frame: Int16Array;
}
let shared: SendBuffers | undefined;
function sendBuffers(): SendBuffers {
	if (!shared) {
		const packet = new Uint8Array(12 + SAMPLES_PER_PACKET);
		shared = { packet, payload: packet.subarray(12), event: packet.subarray(0, 16), frame: new Int16Array(SAMPLES_PER_PACKET) };
	}
	return shared;
}

export interface MediaSessionOptions {
	udp: { io: UDPClass; port: number; address?: string };
	clock: Clock;
	remote: { address: string; port: number };
	codec: { payloadType: number; name: G711Law };
	telephoneEvent?: number;
	/** 32 random bits: SSRC, first sequence number and timestamp come from it (RFC 3550 §5.1). */
	random: () => number;
	/** Fill one 20 ms frame to send (a buffer lent for the call only); silence when absent. */
	source?: (frame: Int16Array) => void;
	/** Receives each decoded 20 ms frame. */
	sink?: (frame: Int16Array) => void;
	/** Called as a method of these options, like onTimeout. */
	onDtmf?(digit: string): void;
	/**
	 * Symmetric RTP (RFC 4961) for a peer the station does not trust whose
	 * SDP names another address than its signalling: nothing is sent until
	 * RTP arrives from the SDP's address, and then only to where that RTP
	 * came from. Without it an unauthenticated INVITE could aim the
	 * station's audio at any third party.
	 */
	latch?: boolean;
	/** ms without a packet from the peer before onTimeout (0: never). */
	timeout?: number;
	onTimeout?(): void;
	log?: Log;
}

export interface MediaStats {
	sent: number;
	received: number;
	dtmfSent: number;
}

export class MediaSession {
	#o: MediaSessionOptions;
	#udp: UDPSocket;
	#buffers = sendBuffers();
	/** Decoded audio for the speaker; none without one. */
	#decoded: Int16Array | undefined;
	#ssrc: number;
	#sequence: number;
	#timestamp: number;
	#started = 0;
	/** Packets due so far (sent or skipped). */
	#ticks = 0;
	#timer: unknown;
	#lastHeard = 0;
	#dtmf = new DtmfReceiver();
	#events: number[] = [];	// queued keys to send
	#event: { code: number; timestamp: number; packets: number; ends: number } | undefined;
	#stopped = false;
	/** Waiting for the peer's first packet before sending (latch). */
	#waiting: boolean;
	#remotePort: number;
	/** The pacing timer's callback. */
	#onTick = () => this.#tick();
	readonly stats: MediaStats = { sent: 0, received: 0, dtmfSent: 0 };

	constructor(options: MediaSessionOptions) {
		this.#o = options;
		this.#ssrc = options.random() >>> 0;
		this.#sequence = options.random() & 0xFFFF;
		this.#timestamp = options.random() >>> 0;
		this.#waiting = options.latch === true;
		this.#remotePort = options.remote.port;
		const session = this;
		this.#udp = new options.udp.io({
			port: options.udp.port,
			address: options.udp.address,
			onReadable(count) {
				for (let i = 0; i < count; i++) {
					const d = this.read();
					if (!d)
						break;
					session.#receive(d);
				}
			},
		});
	}

	get socket(): UDPSocket {
		return this.#udp;
	}
	get ssrc(): number {
		return this.#ssrc;
	}

	start(): void {
		this.#started = this.#o.clock.now();
		this.#lastHeard = this.#started;
		this.#timer = this.#o.clock.repeat(this.#onTick, PACKET_INTERVAL);
	}

	stop(): void {
		this.#stopped = true;
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		this.#timer = undefined;
		this.#udp.close();
	}

	/** Queue keys to send as RFC 4733 events (100 ms each). */
	sendDtmf(keys: string): void {
		for (const k of keys.toUpperCase()) {
			const code = DTMF_KEYS.indexOf(k);
			if (code >= 0)
				this.#events.push(code);
		}
	}

	#tick(): void {
		if (this.#stopped)
			return;
		try {
			const o = this.#o;
			const now = o.clock.now();
			if (o.timeout && now - this.#lastHeard >= o.timeout) {
				this.stop();
				o.onTimeout?.();
				return;
			}
			const due = Math.floor((now - this.#started) / PACKET_INTERVAL);
			if (due - this.#ticks > MAX_BURST) {
				// skipped packets: their time passes in the timestamp (RFC 3550 §5.1), their sequence numbers are not used
				const skipped = due - this.#ticks - MAX_BURST;
				this.#ticks += skipped;
				if (!this.#event)
					this.#timestamp = (this.#timestamp + skipped * SAMPLES_PER_PACKET) >>> 0;
			}
			while (this.#ticks < due && !this.#stopped) {
				this.#ticks++;
				this.#sendPacket();
			}
		}
		catch (e) {
			this.#o.log?.("media: " + String(e));
		}
	}

	#sendPacket(): void {
		const o = this.#o;
		if (!this.#event && this.#events.length && o.telephoneEvent !== undefined)
			this.#event = { code: this.#events.shift()!, timestamp: this.#timestamp, packets: 0, ends: 0 };
		if (this.#event)
			this.#sendEvent(this.#event);
		else
			this.#sendAudio();
	}

	#sendAudio(): void {
		const { frame, packet, payload } = this.#buffers;
		if (this.#o.source)
			this.#o.source(frame);
		else
			frame.fill(0);
		writeRtpHeader(packet, false, this.#o.codec.payloadType, this.#sequence, this.#timestamp, this.#ssrc);
		encode(this.#o.codec.name, frame, payload);
		this.#send(packet);
		this.#timestamp = (this.#timestamp + SAMPLES_PER_PACKET) >>> 0;
	}

	/** RFC 4733 §2.5.1: the event's timestamp stays; the duration grows; three end packets close it. */
	#sendEvent(e: { code: number; timestamp: number; packets: number; ends: number }): void {
		const packet = this.#buffers.event;
		const PACKETS = 5;	// 100 ms
		e.packets++;
		const end = e.packets > PACKETS;
		const duration = Math.min(e.packets, PACKETS) * SAMPLES_PER_PACKET;
		writeRtpHeader(packet, e.packets === 1, this.#o.telephoneEvent!, this.#sequence, e.timestamp, this.#ssrc);
		writeTelephoneEvent(packet, 12, e.code, end, 10, duration);
		this.#send(packet);
		if (end && ++e.ends === 3) {
			this.#event = undefined;
			this.stats.dtmfSent++;
			// audio resumes after the event's duration (its time is used up)
			this.#timestamp = (e.timestamp + (PACKETS + 3) * SAMPLES_PER_PACKET) >>> 0;
		}
	}

	#send(packet: Uint8Array): void {
		if (this.#waiting)
			return;
		this.#udp.write(packet, this.#o.remote.address, this.#remotePort);
		this.#sequence = (this.#sequence + 1) & 0xFFFF;
		this.stats.sent++;
	}

	#receive(d: Datagram): void {
		try {
			if (d.address !== this.#o.remote.address)
				return;	// only the negotiated peer's packets (no injected audio or keys)
			const p = readRtp(new Uint8Array(d));
			if (!p)
				return;
			this.#lastHeard = this.#o.clock.now();
			this.stats.received++;
			if (this.#waiting) {
				this.#waiting = false;	// symmetric RTP: answer where the peer's RTP comes from
				this.#remotePort = d.port;
			}
			if (this.#o.telephoneEvent !== undefined && p.payloadType === this.#o.telephoneEvent) {
				const key = this.#dtmf.receive(p.timestamp, p.payload);
				if (key)
					this.#o.onDtmf?.(key);
			}
			else if (p.payloadType === this.#o.codec.payloadType && this.#o.sink) {
				const decoded = this.#decoded ??= new Int16Array(SAMPLES_PER_PACKET);
				decode(this.#o.codec.name, p.payload, decoded);
				this.#o.sink(p.payload.length >= SAMPLES_PER_PACKET ? decoded : decoded.subarray(0, p.payload.length));
			}
		}
		catch (e) {
			this.#o.log?.("media: " + String(e));
		}
	}
}
