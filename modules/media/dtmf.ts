/*
 * DTMF as RFC 4733 telephone-events: event codes, reading a payload, and the
 * receiver's rule that one key press is one event however many packets (and
 * retransmitted end packets) carry it: an event is identified by its RTP
 * timestamp (§2.5.1.2).
 */

export const DTMF_KEYS = "0123456789*#ABCD";

export interface TelephoneEvent {
	event: number;
	end: boolean;
	volume: number;
	duration: number;
}

export function readTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
	if (payload.length < 4)
		return undefined;
	return { event: payload[0], end: (payload[1] & 0x80) !== 0, volume: payload[1] & 0x3F, duration: (payload[2] << 8) | payload[3] };
}

export function writeTelephoneEvent(out: Uint8Array, offset: number, event: number, end: boolean, volume: number, duration: number): void {
	out[offset] = event;
	out[offset + 1] = (end ? 0x80 : 0) | (volume & 0x3F);
	out[offset + 2] = (duration >> 8) & 0xFF;
	out[offset + 3] = duration & 0xFF;
}

/** Reports each key once, at its first packet: receive() gives the key, or undefined for a packet of a key already reported. */
export class DtmfReceiver {
	#lastTimestamp = -1;
	receive(timestamp: number, payload: Uint8Array): string | undefined {
		const e = readTelephoneEvent(payload);
		if (!e || e.event >= DTMF_KEYS.length || timestamp === this.#lastTimestamp)
			return undefined;
		this.#lastTimestamp = timestamp;
		return DTMF_KEYS[e.event];
	}
}
