/*
 * Bytes <-> text for the SIP layers. SIP is UTF-8 on the wire (RFC 3261 §7.3.1)
 * and almost always ASCII, so every routine has an ASCII fast path and falls
 * back to a careful UTF-8 walk (invalid sequences become U+FFFD, never throw).
 * No TextEncoder/TextDecoder: they are not globals in a Moddable app.
 */

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;

/**
 * Largest chunk handed to String.fromCharCode.apply: XS puts every argument
 * on its stack (512 slots on an ESP32, shared with the whole call chain), so
 * a kilobyte in one call overflows it and aborts the device.
 */
const CHUNK = 128;

function codesToString(codes: ArrayLike<number>): string {
	const n = codes.length;
	if (n <= CHUNK)
		return String.fromCharCode.apply(null, codes as number[]);
	const parts: string[] = [];
	for (let i = 0; i < n; i += CHUNK)
		parts.push(String.fromCharCode.apply(null, Array.prototype.slice.call(codes, i, i + CHUNK) as number[]));
	return parts.join("");
}

/** Decode bytes[start, end) as UTF-8. */
export function decodeText(bytes: Uint8Array, start: number, end: number): string {
	if (end <= start)
		return "";
	switch (end - start) {	// the short strings of SIP (methods, tokens, params) skip the generic path
		case 1:
			if (bytes[start] < 0x80)
				return String.fromCharCode(bytes[start]);
			break;
		case 2:
			if ((bytes[start] | bytes[start + 1]) < 0x80)
				return String.fromCharCode(bytes[start], bytes[start + 1]);
			break;
		case 3:
			if ((bytes[start] | bytes[start + 1] | bytes[start + 2]) < 0x80)
				return String.fromCharCode(bytes[start], bytes[start + 1], bytes[start + 2]);
			break;
	}
	let i = start;
	while (i < end && bytes[i] < 0x80)
		i++;
	if (i === end)
		return codesToString(bytes.subarray(start, end));
	return decodeUtf8(bytes, start, end);
}

function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
	const units: number[] = [];
	let i = start;
	while (i < end) {
		const c = bytes[i];
		if (c < 0x80) {
			units.push(c);
			i++;
			continue;
		}
		let need = 0, cp = 0, min = 0;
		if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
		else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
		else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
		else { units.push(0xFFFD); i++; continue; }
		let j = 1;
		for (; j <= need; j++) {
			const d = bytes[i + j];
			if (i + j >= end || (d & 0xC0) !== 0x80)
				break;
			cp = (cp << 6) | (d & 0x3F);
		}
		if (j <= need || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
			units.push(0xFFFD);
			i++;
			continue;
		}
		i += need + 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			units.push(0xD800 | (cp >> 10), 0xDC00 | (cp & 0x3FF));
		}
		else
			units.push(cp);
	}
	return codesToString(units);
}

/**
 * Decode a header value, replacing each run of linear white space that
 * contains a line fold (CRLF followed by SP/HT, RFC 3261 §7.3.1) by one SP.
 */
export function decodeFolded(bytes: Uint8Array, start: number, end: number): string {
	let fold = -1;
	for (let i = start; i < end; i++) {
		if (bytes[i] === LF || bytes[i] === CR) {
			fold = i;
			break;
		}
	}
	if (fold < 0)
		return decodeText(bytes, start, end);
	const parts: string[] = [];
	let from = start;
	let i = fold;
	while (i < end) {
		const c = bytes[i];
		if (c === CR || c === LF) {
			let a = i;
			while (a > from && (bytes[a - 1] === SP || bytes[a - 1] === HT))
				a--;
			parts.push(decodeText(bytes, from, a));
			let b = i;
			while (b < end && (bytes[b] === SP || bytes[b] === HT || bytes[b] === CR || bytes[b] === LF))
				b++;
			from = b;
			i = b;
		}
		else
			i++;
	}
	parts.push(decodeText(bytes, from, end));
	return parts.join(" ");
}

/** Number of UTF-8 bytes needed for s. */
export function utf8Length(s: string): number {
	let n = s.length;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c >= 0x80) {
			if (c < 0x800)
				n += 1;
			else if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length) {
				const d = s.charCodeAt(i + 1);
				if (d >= 0xDC00 && d <= 0xDFFF) {
					n += 2;
					i++;
				}
				else
					n += 2;
			}
			else
				n += 2;
		}
	}
	return n;
}

/** Write s as UTF-8 into out at pos (out must be large enough); returns the new position. */
export function writeText(out: Uint8Array, pos: number, s: string): number {
	const n = s.length;
	let i = 0;
	for (; i < n; i++) {	// ASCII runs straight through
		const c = s.charCodeAt(i);
		if (c >= 0x80)
			break;
		out[pos + i] = c;
	}
	pos += i;
	for (; i < n; i++) {
		let c = s.charCodeAt(i);
		if (c < 0x80) {
			out[pos++] = c;
			continue;
		}
		if (c < 0x800) {
			out[pos++] = 0xC0 | (c >> 6);
			out[pos++] = 0x80 | (c & 0x3F);
			continue;
		}
		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n) {
			const d = s.charCodeAt(i + 1);
			if (d >= 0xDC00 && d <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
				i++;
				out[pos++] = 0xF0 | (c >> 18);
				out[pos++] = 0x80 | ((c >> 12) & 0x3F);
				out[pos++] = 0x80 | ((c >> 6) & 0x3F);
				out[pos++] = 0x80 | (c & 0x3F);
				continue;
			}
		}
		if (c >= 0xD800 && c <= 0xDFFF)
			c = 0xFFFD;
		out[pos++] = 0xE0 | (c >> 12);
		out[pos++] = 0x80 | ((c >> 6) & 0x3F);
		out[pos++] = 0x80 | (c & 0x3F);
	}
	return pos;
}

/** Encode s as a new UTF-8 byte array. */
export function encodeText(s: string): Uint8Array {
	const out = new Uint8Array(utf8Length(s));
	writeText(out, 0, s);
	return out;
}

/** ASCII case-insensitive comparison of bytes[start, end) with a lower-case ASCII string. */
export function equalsLower(bytes: Uint8Array, start: number, end: number, lower: string): boolean {
	if (end - start !== lower.length)
		return false;
	for (let i = 0; i < lower.length; i++) {
		let c = bytes[start + i];
		if (c >= 65 && c <= 90)
			c |= 0x20;
		if (c !== lower.charCodeAt(i))
			return false;
	}
	return true;
}

/** ASCII lower-casing that leaves non-ASCII alone (SIP names are case-insensitive ASCII). */
export function lowerAscii(s: string): string {
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c >= 65 && c <= 90)
			return s.toLowerCase();
	}
	return s;
}

/**
 * token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
 * (RFC 3261 §25.1).
 */
export function isTokenChar(c: number): boolean {
	if (c >= 97 && c <= 122) return true;   // a-z
	if (c >= 65 && c <= 90) return true;    // A-Z
	if (c >= 48 && c <= 57) return true;    // 0-9
	switch (c) {
		case 45: case 46: case 33: case 37: case 42: case 95: case 43: case 96: case 39: case 126:
			return true;
	}
	return false;
}

export function isDigit(c: number): boolean {
	return c >= 48 && c <= 57;
}

export function isAlpha(c: number): boolean {
	return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

export function isHex(c: number): boolean {
	return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** LWS octets: SP, HT, and the CR/LF of a fold (the framer already proved folds well-formed). */
export function isLws(c: number): boolean {
	return c === SP || c === HT || c === CR || c === LF;
}
