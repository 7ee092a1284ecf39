/*
 * RTP packets (RFC 3550 §5.1): the fixed 12-octet header, CSRCs and header
 * extensions skipped, padding removed. Reading never throws: a packet that is
 * not RTP version 2 or is too short comes back undefined.
 */

export interface RtpPacket {
	marker: boolean;
	payloadType: number;
	sequence: number;
	timestamp: number;
	ssrc: number;
	payload: Uint8Array;
}

export function readRtp(bytes: Uint8Array): RtpPacket | undefined {
	if (bytes.length < 12 || (bytes[0] >> 6) !== 2)
		return undefined;
	const padding = (bytes[0] & 0x20) !== 0;
	const extension = (bytes[0] & 0x10) !== 0;
	const csrcs = bytes[0] & 0x0F;
	let offset = 12 + csrcs * 4;
	if (extension) {
		if (bytes.length < offset + 4)
			return undefined;
		offset += 4 + ((bytes[offset + 2] << 8) | bytes[offset + 3]) * 4;
	}
	let end = bytes.length;
	if (padding) {
		const pad = bytes[end - 1];
		if (pad === 0 || pad > end - offset)
			return undefined;
		end -= pad;
	}
	if (offset > end)
		return undefined;
	return {
		marker: (bytes[1] & 0x80) !== 0,
		payloadType: bytes[1] & 0x7F,
		sequence: (bytes[2] << 8) | bytes[3],
		timestamp: ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0,
		ssrc: ((bytes[8] << 24) | (bytes[9] << 16) | (bytes[10] << 8) | bytes[11]) >>> 0,
		payload: bytes.subarray(offset, end),
	};
}

/** Write the 12-octet header into out; the payload follows at offset 12. */
export function writeRtpHeader(out: Uint8Array, marker: boolean, payloadType: number, sequence: number, timestamp: number, ssrc: number): void {
	out[0] = 0x80;
	out[1] = (marker ? 0x80 : 0) | (payloadType & 0x7F);
	out[2] = (sequence >> 8) & 0xFF;
	out[3] = sequence & 0xFF;
	out[4] = (timestamp >>> 24) & 0xFF;
	out[5] = (timestamp >>> 16) & 0xFF;
	out[6] = (timestamp >>> 8) & 0xFF;
	out[7] = timestamp & 0xFF;
	out[8] = (ssrc >>> 24) & 0xFF;
	out[9] = (ssrc >>> 16) & 0xFF;
	out[10] = (ssrc >>> 8) & 0xFF;
	out[11] = ssrc & 0xFF;
}
