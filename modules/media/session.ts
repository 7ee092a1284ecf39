/*
 * One audio stream (RFC 3550 RTP, G.711, RFC 4733 events) over the host's UDP
 * socket: 20 ms packets of 160 samples, paced on the injected clock against
 * the start time (no drift); sequence numbers and timestamps advance per
 * packet from random starting values; DTMF is sent as telephone-events
 * (marker on the first packet, growing duration, three end packets) and
 * received once per key. No packet from the peer for `timeout` ms ends the
 * stream (a peer that vanished never leaves the station in a call).
 */
import type { Clock, Datagram, Log, UDPClass, UDPSocket } from "../io/types.js";
import { DTMF_KEYS, DtmfReceiver, writeTelephoneEvent } from "./dtmf.js";
import { type G711Law, decode, encode } from "./g711.js";
import { readRtp, writeRtpHeader } from "./rtp.js";

export const SAMPLES_PER_PACKET = 160;	// 20 ms at 8 kHz
export const PACKET_INTERVAL = 20;

export interface MediaSessionOptions {
	udp: { io: UDPClass; port: number; address?: string };
	clock: Clock;
	remote: { address: string; port: number };
	codec: { payloadType: number; name: G711Law };
	telephoneEvent?: number;
	/** 32 random bits: SSRC, first sequence number and timestamp come from it (RFC 3550 §5.1). */
	random: () => number;
	/** Fill one 20 ms frame to send; silence when absent. */
	source?: (frame: Int16Array) => void;
	/** Receives each decoded 20 ms frame. */
	sink?: (frame: Int16Array) => void;
	onDtmf?(digit: string): void;
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
	#packet = new Uint8Array(12 + SAMPLES_PER_PACKET);
	/** The packet's payload and its first 16 octets (an event), as views made once: nothing allocated per packet. */
	#payload = this.#packet.subarray(12);
	#eventPacket = this.#packet.subarray(0, 16);
	#frame = new Int16Array(SAMPLES_PER_PACKET);
	/** Decoded audio for the speaker; none without one. */
	#decoded: Int16Array | undefined;
	#ssrc: number;
	#sequence: number;
	#timestamp: number;
	#started = 0;
	#ticks = 0;
	#timer: unknown;
	#lastHeard = 0;
	#dtmf: DtmfReceiver;
	#events: number[] = [];	// queued keys to send
	#event: { code: number; timestamp: number; packets: number; ends: number } | undefined;
	#stopped = false;
	/** The pacing timer's callback, made once: no closure per packet. */
	#onTick = () => this.#tick();
	readonly stats: MediaStats = { sent: 0, received: 0, dtmfSent: 0 };

	constructor(options: MediaSessionOptions) {
		this.#o = options;
		this.#ssrc = options.random() >>> 0;
		this.#sequence = options.random() & 0xFFFF;
		this.#timestamp = options.random() >>> 0;
		this.#dtmf = new DtmfReceiver((digit) => options.onDtmf?.(digit));
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
		this.#schedule();
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

	#schedule(): void {
		this.#ticks++;
		const due = this.#started + this.#ticks * PACKET_INTERVAL;
		this.#timer = this.#o.clock.set(this.#onTick, Math.max(0, due - this.#o.clock.now()));
	}

	#tick(): void {
		this.#timer = undefined;
		if (this.#stopped)
			return;
		try {
			const o = this.#o;
			if (o.timeout && o.clock.now() - this.#lastHeard >= o.timeout) {
				this.stop();
				o.onTimeout?.();
				return;
			}
			if (!this.#event && this.#events.length && o.telephoneEvent !== undefined)
				this.#event = { code: this.#events.shift()!, timestamp: this.#timestamp, packets: 0, ends: 0 };
			if (this.#event)
				this.#sendEvent(this.#event);
			else
				this.#sendAudio();
		}
		catch (e) {
			this.#o.log?.("media: " + String(e));
		}
		if (!this.#stopped)
			this.#schedule();
	}

	#sendAudio(): void {
		const frame = this.#frame;
		if (this.#o.source)
			this.#o.source(frame);
		else
			frame.fill(0);
		writeRtpHeader(this.#packet, false, this.#o.codec.payloadType, this.#sequence, this.#timestamp, this.#ssrc);
		encode(this.#o.codec.name, frame, this.#payload);
		this.#send(this.#packet);
		this.#timestamp = (this.#timestamp + SAMPLES_PER_PACKET) >>> 0;
	}

	/** RFC 4733 §2.5.1: the event's timestamp stays; the duration grows; three end packets close it. */
	#sendEvent(e: { code: number; timestamp: number; packets: number; ends: number }): void {
		const packet = this.#eventPacket;
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
		this.#udp.write(packet, this.#o.remote.address, this.#o.remote.port);
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
			if (this.#o.telephoneEvent !== undefined && p.payloadType === this.#o.telephoneEvent)
				this.#dtmf.receive(p.timestamp, p.payload);
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
