/*
 * Bytes <-> text for the SIP layers. SIP is UTF-8 on the wire (RFC 3261 §7.3.1)
 * and almost always ASCII, so every routine has an ASCII fast path and falls
 * back to a careful UTF-8 walk (invalid sequences become U+FFFD, never throw).
 *
 * The host may hand in native helpers (`setTextHelpers`, once at start, like
 * the hash): a decoder for byte ranges. On XS every typed-array element read
 * costs tens of nanoseconds and a native decoder turns a whole range into a
 * string at once; without one (tests inside xsnap, any other engine) the
 * JavaScript routines below do the work.
 */

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;

/**
 * Native helpers a host may provide (hosts/node/text.ts, hosts/moddable/text.ts).
 */
export interface TextHelpers {
	/** bytes[start, end) as UTF-8, start < end: exactly what decodeJs() returns, U+FFFD replacements included. */
	decode?(bytes: Uint8Array, start: number, end: number): string;
	/**
	 * bytes[start, end) as a string for searching: either undefined, or exactly
	 * end - start characters where every ASCII octet is itself (so a
	 * character's index is its octet's offset). The parser then finds line
	 * ends and separators with String indexOf, native in XS and about 20 times
	 * faster there than TypedArray indexOf (a generic per-element loop). Hosts
	 * whose typed-array search is already native (V8) leave it out.
	 */
	searchText?(bytes: Uint8Array, start: number, end: number): string | undefined;
	/** The number of UTF-8 octets of s: exactly what utf8Length() computes (a body's Content-Length). */
	utf8Length?(s: string): number;
	/**
	 * s as UTF-8 octets, exactly what encodeText() writes, or undefined where
	 * the host cannot be exact for this string (the serializer then writes it
	 * in JavaScript). Hosts whose typed-array writes are fast (V8) leave it out.
	 */
	encode?(s: string): Uint8Array | undefined;
	/**
	 * True where a string concatenation copies both operands into a new string
	 * (XS): the text serializer then builds each header line apart and joins
	 * the lines once, natively, where appending each line to the text so far
	 * would copy the message again for every header. Engines whose strings are
	 * ropes (V8) leave it out: appending is the cheap way there, and a join
	 * costs them a flat copy.
	 */
	copyingConcat?: boolean;
}

/*
 * Set at run time by the host (never at load, so that a preloaded module keeps
 * the bindings writable: XS freezes module variables holding functions at preload).
 */
let nativeDecode: ((bytes: Uint8Array, start: number, end: number) => string) | null = null;
let nativeSearchText: ((bytes: Uint8Array, start: number, end: number) => string | undefined) | null = null;
let nativeUtf8Length: ((s: string) => number) | null = null;
let nativeEncode: ((s: string) => Uint8Array | undefined) | null = null;
/** TextHelpers.copyingConcat, read by the serializer. */
export let copyingConcat = false;

/** Install the host's native helpers (missing entries keep the JavaScript fallback); null removes them. */
export function setTextHelpers(helpers: TextHelpers | null): void {
	nativeDecode = helpers?.decode ?? null;
	nativeSearchText = helpers?.searchText ?? null;
	nativeUtf8Length = helpers?.utf8Length ?? null;
	nativeEncode = helpers?.encode ?? null;
	copyingConcat = helpers?.copyingConcat === true;
}

/** s as UTF-8 octets from the host's encoder (see TextHelpers.encode), or undefined: then writeText(). */
export function encodeNative(s: string): Uint8Array | undefined {
	return nativeEncode === null ? undefined : nativeEncode(s);
}

/** The host's searchable copy of bytes[start, end) (see TextHelpers.searchText), or undefined. */
export function searchTextOf(bytes: Uint8Array, start: number, end: number): string | undefined {
	return nativeSearchText === null ? undefined : nativeSearchText(bytes, start, end);
}

/*
 * Character classes of octets (RFC 3261 §25.1), one table read instead
 * of a chain of comparisons or a function call per octet.
 */
export const C_TOKEN = 1;	// token
export const C_WORD = 2;	// word (Call-ID): token and ( ) < > : \ " / [ ] ? { }
export const C_LWS = 4;	// SP, HT, CR, LF
export const C_DIGIT = 8;
export const C_ALPHA = 16;
export const C_HEX = 32;
export const C_PARAM_END = 64;	// what ends an unquoted parameter value in a scan: LWS ";" ","

/*
 * Lookup tables read in scans are plain arrays, read-only by type and by
 * convention, not frozen: V8 (Node 20) reads frozen, sealed and
 * non-extensible arrays through a slow path (a 40-octet scan took 190 ns
 * against 50 ns), and XS keeps an unfrozen array of a preloaded module in
 * flash as well (it would be copied to RAM only if written, which nothing does).
 */
export const CHAR_CLASS: readonly number[] = (() => {
	const t: number[] = [];
	for (let c = 0; c < 256; c++) {
		let k = 0;
		const alpha = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
		const digit = c >= 48 && c <= 57;
		if (alpha || digit || "-.!%*_+`'~".indexOf(String.fromCharCode(c)) >= 0 && c < 128)
			k |= C_TOKEN | C_WORD;
		if (c < 128 && "()<>:\\\"/[]?{}".indexOf(String.fromCharCode(c)) >= 0)
			k |= C_WORD;
		if (c === SP || c === HT || c === CR || c === LF)
			k |= C_LWS | C_PARAM_END;
		if (c === 59 || c === 44)
			k |= C_PARAM_END;
		if (digit)
			k |= C_DIGIT | C_HEX;
		if (alpha)
			k |= C_ALPHA;
		if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))
			k |= C_HEX;
		t.push(k);
	}
	return t;
})();

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
	if (nativeDecode !== null)
		return nativeDecode(bytes, start, end);
	return decodeJs(bytes, start, end);
}

/** decodeText() in JavaScript alone (the fallback, and the reference the host's decoder must match). */
export function decodeJs(bytes: Uint8Array, start: number, end: number): string {
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

/** UTF-8 with U+FFFD for each maximal invalid subpart (the WHATWG decoder's rule, which native decoders follow). */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
	const units: number[] = [];
	let i = start;
	while (i < end) {
		const c = bytes[i++];
		if (c < 0x80) {
			units.push(c);
			continue;
		}
		let need = 0, cp = 0, lower = 0x80, upper = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
		else if (c >= 0xE0 && c <= 0xEF) {
			need = 2; cp = c & 0x0F;
			if (c === 0xE0) lower = 0xA0;
			else if (c === 0xED) upper = 0x9F;
		}
		else if (c >= 0xF0 && c <= 0xF4) {
			need = 3; cp = c & 0x07;
			if (c === 0xF0) lower = 0x90;
			else if (c === 0xF4) upper = 0x8F;
		}
		else {
			units.push(0xFFFD);
			continue;
		}
		for (; need > 0; need--) {
			const d = i < end ? bytes[i] : -1;
			if (d < lower || d > upper)
				break;	// the octet starts over (it is not consumed)
			cp = (cp << 6) | (d & 0x3F);
			lower = 0x80;
			upper = 0xBF;
			i++;
		}
		if (need > 0)
			units.push(0xFFFD);
		else if (cp >= 0x10000) {
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
	if (nativeUtf8Length !== null && s.length > 3)
		return nativeUtf8Length(s);
	return utf8LengthJs(s);
}

/** utf8Length() in JavaScript alone (lone surrogates count 3, as U+FFFD). */
export function utf8LengthJs(s: string): number {
	const length = s.length;
	let n = length;
	for (let i = 0; i < length; i++) {
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
	return (CHAR_CLASS[c] & C_TOKEN) !== 0;
}

export function isDigit(c: number): boolean {
	return c >= 48 && c <= 57;
}

export function isAlpha(c: number): boolean {
	return (CHAR_CLASS[c] & C_ALPHA) !== 0;
}

export function isHex(c: number): boolean {
	return (CHAR_CLASS[c] & C_HEX) !== 0;
}

/** LWS octets: SP, HT, and the CR/LF of a fold (the framer already proved folds well-formed). */
export function isLws(c: number): boolean {
	return c === SP || c === HT || c === CR || c === LF;
}
