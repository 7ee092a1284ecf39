/*
 * PEM certificates (RFC 7468) to DER: the configuration keeps a TLS CA as the
 * PEM text the page uploads, the SDK's TLS socket takes DER. Base64 is decoded
 * here by hand (XS has no atob); anything that is not a certificate block is
 * skipped, and a block that does not decode is refused.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";

/** Base64 (RFC 4648 §4) with white space ignored; throws on any other character or a bad length. */
export function decodeBase64(text: string): Uint8Array {
	const values: number[] = [];
	let padding = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === 32 || c === 9 || c === 10 || c === 13)
			continue;
		if (c === 61) {	// "="
			padding++;
			continue;
		}
		const v = ALPHABET.indexOf(text[i]);
		if (v < 0 || padding)
			throw new Error("not base64");
		values.push(v);
	}
	if ((values.length + padding) % 4 !== 0 || padding > 2)
		throw new Error("bad base64 length");
	const out = new Uint8Array(Math.floor(values.length * 3 / 4));
	let o = 0;
	for (let i = 0; i < values.length; i += 4) {
		const n = (values[i] << 18) | (values[i + 1] << 12) | ((values[i + 2] ?? 0) << 6) | (values[i + 3] ?? 0);
		out[o++] = n >> 16;
		if (o < out.length)
			out[o++] = (n >> 8) & 255;
		if (o < out.length)
			out[o++] = n & 255;
	}
	return out;
}

/** Every certificate of a PEM text, as DER. */
export function certificatesOf(pem: string): ArrayBuffer[] {
	const out: ArrayBuffer[] = [];
	let at = pem.indexOf(BEGIN);
	while (at >= 0) {
		const end = pem.indexOf(END, at);
		if (end < 0)
			throw new Error("a certificate without its END line");
		const der = decodeBase64(pem.slice(at + BEGIN.length, end));
		if (der.length < 2 || der[0] !== 0x30)
			throw new Error("not a DER certificate");
		out.push(der.buffer as ArrayBuffer);
		at = pem.indexOf(BEGIN, end);
	}
	return out;
}

/**
 * Is the text empty or PEM certificates with nothing but white space around
 * them? (Checked without a RegExp: XS backtracks a pattern over kilobytes of
 * Base64 by recursion, deep enough to overflow the stack of a device.)
 */
export function isPemCertificates(text: string): boolean {
	let at = 0;
	for (;;) {
		const begin = text.indexOf(BEGIN, at);
		const gap = begin < 0 ? text.slice(at) : text.slice(at, begin);
		if (gap.trim() !== "")
			return false;
		if (begin < 0)
			return true;
		const end = text.indexOf(END, begin);
		if (end < 0)
			return false;
		try {
			const der = decodeBase64(text.slice(begin + BEGIN.length, end));
			if (der.length < 2 || der[0] !== 0x30)
				return false;
		}
		catch {
			return false;
		}
		at = end + END.length;
	}
}
