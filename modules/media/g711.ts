/*
 * G.711 (ITU-T G.711): 16-bit linear PCM <-> 8-bit µ-law (PCMU, RTP payload
 * type 0) and A-law (PCMA, payload type 8), 8 kHz. Bit operations only: no
 * tables at module load (preload-safe), cheap enough per sample on an MCU.
 */

const BIAS = 0x84;
const CLIP = 32635;

export function linearToUlaw(sample: number): number {
	let s = sample | 0;
	const sign = s < 0 ? 0x80 : 0;
	if (s < 0)
		s = -s;
	if (s > CLIP)
		s = CLIP;
	s += BIAS;
	let exponent = 7;
	for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1)
		exponent--;
	const mantissa = (s >> (exponent + 3)) & 0x0F;
	return ~(sign | (exponent << 4) | mantissa) & 0xFF;
}

export function ulawToLinear(byte: number): number {
	const u = ~byte & 0xFF;
	const exponent = (u >> 4) & 0x07;
	const mantissa = u & 0x0F;
	const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
	return u & 0x80 ? -magnitude : magnitude;
}

export function linearToAlaw(sample: number): number {
	let s = sample | 0;
	let sign = 0x80;
	if (s < 0) {
		sign = 0;
		s = -s - 1;
	}
	if (s > 32767)
		s = 32767;
	let byte: number;
	if (s < 256)
		byte = s >> 4;
	else {
		let exponent = 7;
		for (let mask = 0x4000; (s & mask) === 0 && exponent > 1; mask >>= 1)
			exponent--;
		byte = (exponent << 4) | ((s >> (exponent + 3)) & 0x0F);
	}
	return (byte | sign) ^ 0x55;
}

export function alawToLinear(byte: number): number {
	const a = byte ^ 0x55;
	const exponent = (a >> 4) & 0x07;
	const mantissa = a & 0x0F;
	const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
	return a & 0x80 ? magnitude : -magnitude;
}

export type G711Law = "PCMU" | "PCMA";

/** Encode samples into out (one byte per sample). */
export function encode(law: G711Law, samples: Int16Array, out: Uint8Array): void {
	const n = Math.min(samples.length, out.length);
	if (law === "PCMU")
		for (let i = 0; i < n; i++)
			out[i] = linearToUlaw(samples[i]);
	else
		for (let i = 0; i < n; i++)
			out[i] = linearToAlaw(samples[i]);
}

export function decode(law: G711Law, bytes: Uint8Array, out: Int16Array): void {
	const n = Math.min(bytes.length, out.length);
	if (law === "PCMU")
		for (let i = 0; i < n; i++)
			out[i] = ulawToLinear(bytes[i]);
	else
		for (let i = 0; i < n; i++)
			out[i] = alawToLinear(bytes[i]);
}
