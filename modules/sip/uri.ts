/*
 * URIs of RFC 3261 §19.1 and §25.1: SIP and SIPS URIs, tel URIs (RFC 3966,
 * kept as number + parameters) and any other absoluteURI (RFC 2396), which is
 * legal in Request-URI, To, From and Contact (RFC 4475 §3.3.2-3.3.4).
 *
 * Components are kept as written (escapes included: RFC 4475 §3.1.1.3 and
 * §3.1.1.4 want the user part compared, not re-parsed); parameter names are
 * case-insensitive and stored lower-cased.
 */
import { fail } from "./errors.js";
import { CHAR_CLASS, C_ALPHA, C_DIGIT, decodeText, isAlpha, isDigit, isHex } from "./text.js";

export type Params = Map<string, string | null>;

export class SipUri {
	scheme: "sip" | "sips";
	user: string | undefined;
	password: string | undefined;
	/** As written; IPv6 references keep their brackets. */
	host: string;
	port: number | undefined;
	params: Params;
	headers: Map<string, string>;
	#text: string | undefined;

	constructor(options: { scheme?: "sip" | "sips"; user?: string; password?: string; host: string; port?: number; params?: Params; headers?: Map<string, string> }, text?: string) {
		this.scheme = options.scheme ?? "sip";
		this.user = options.user;
		this.password = options.password;
		this.host = options.host;
		this.port = options.port;
		this.params = options.params ?? new Map();
		this.headers = options.headers ?? new Map();
		this.#text = text;
	}
	get transport(): string | undefined {
		const t = this.params.get("transport");
		return t ? t.toLowerCase() : undefined;
	}
	/** Forget the text as received: the next toString() is built from the fields. */
	touch(): this {
		this.#text = undefined;
		return this;
	}
	toString(): string {
		if (this.#text !== undefined)
			return this.#text;
		const parts: string[] = [this.scheme, ":"];
		if (this.user !== undefined) {
			parts.push(this.user);
			if (this.password !== undefined)
				parts.push(":", this.password);
			parts.push("@");
		}
		parts.push(this.host);
		if (this.port !== undefined)
			parts.push(":", String(this.port));
		parts.push(paramsText(this.params));
		if (this.headers.size > 0) {
			const acc: TextAccumulator = { s: "", sep: "?" };
			this.headers.forEach(appendUriHeader, acc);
			parts.push(acc.s);
		}
		return parts.join("");
	}
	toJSON(): object {
		return {
			scheme: this.scheme, user: this.user, password: this.password, host: this.host, port: this.port,
			params: Object.fromEntries(this.params), headers: Object.fromEntries(this.headers),
		};
	}
}

export class TelUri {
	readonly scheme = "tel";
	number: string;
	params: Params;
	#text: string;
	constructor(number: string, params: Params, text: string) {
		this.number = number;
		this.params = params;
		this.#text = text;
	}
	toString(): string {
		return this.#text;
	}
	toJSON(): object {
		return { scheme: "tel", number: this.number, params: Object.fromEntries(this.params) };
	}
}

/** Any other absoluteURI: scheme and the opaque rest. */
export class AbsoluteUri {
	scheme: string;
	rest: string;
	constructor(scheme: string, rest: string) {
		this.scheme = scheme;
		this.rest = rest;
	}
	toString(): string {
		return this.scheme + ":" + this.rest;
	}
	toJSON(): object {
		return { scheme: this.scheme, rest: this.rest };
	}
}

export type Uri = SipUri | TelUri | AbsoluteUri;

/**
 * Text accumulated by Map forEach callbacks: in XS, forEach with one such
 * object is about 3 times faster than for-of with [name, value]
 * destructuring (an iterator result and an entry array per step), and the
 * callbacks are module functions, not closures.
 */
interface TextAccumulator {
	s: string;
	sep: string;
}

function appendParam(this: TextAccumulator, value: string | null, name: string): void {
	this.s += value === null ? ";" + name : ";" + name + "=" + value;
}

function appendUriHeader(this: TextAccumulator, value: string, name: string): void {
	this.s += this.sep + name + "=" + value;
	this.sep = "&";
}

/** `;name=value;flag` for a parameter map. */
export function paramsText(params: Params): string {
	if (params.size === 0)
		return "";
	const acc: TextAccumulator = { s: "", sep: "" };
	params.forEach(appendParam, acc);
	return acc.s;
}

/*
 * Character classes of §25.1 as bits of one table: a run of octets is
 * checked with a table read per octet, not a chain of predicate calls.
 */
const U_USER = 1, U_PASSWORD = 2, U_PARAM = 4, U_HEADER = 8, U_URIC = 16;

const URI_CLASS: readonly number[] = (() => {	// plain, not frozen: see CHAR_CLASS in text.ts
	const t: number[] = [];
	const has = (set: string, c: number) => c < 128 && set.indexOf(String.fromCharCode(c)) >= 0;
	for (let c = 0; c < 256; c++) {
		let k = 0;
		const unreserved = isAlpha(c) || isDigit(c) || has("-_.!~*'()", c);
		if (unreserved || has("&=+$,;?/", c))	// user-unreserved
			k |= U_USER;
		if (unreserved || has("&=+$,", c))
			k |= U_PASSWORD;
		if (unreserved || has("[]/:&+$", c))	// param-unreserved
			k |= U_PARAM;
		if (unreserved || has("[]/?:+$", c))	// hnv-unreserved
			k |= U_HEADER;
		if (unreserved || has(";/?:@&=+$,", c))	// uric of RFC 2396: reserved / unreserved
			k |= U_URIC;
		t.push(k);
	}
	return t;
})();

/** Check a run of octets against a class, allowing %HH escapes. */
function checkRun(bytes: Uint8Array, start: number, end: number, mask: number, what: string): void {
	if (start >= end)
		fail("Empty " + what);
	for (let i = start; i < end; i++) {
		const c = bytes[i];
		if (c === 37) {
			if (i + 2 >= end || !isHex(bytes[i + 1]) || !isHex(bytes[i + 2]))
				fail("Bad escape in " + what);
			i += 2;
		}
		else if ((URI_CLASS[c] & mask) === 0)
			fail("Bad character in " + what);
	}
}

function lowerRange(bytes: Uint8Array, start: number, end: number): string {
	return decodeText(bytes, start, end).toLowerCase();
}

function indexOf(bytes: Uint8Array, c: number, start: number, end: number): number {
	const i = bytes.indexOf(c, start);
	return i < 0 || i >= end ? -1 : i;
}

/**
 * Validate an IPv6 address in text form (RFC 4291 §2.2): up to 8 groups of 1-4
 * hex digits, at most one "::", an optional trailing dotted IPv4. The extra colon
 * that RFC 3261's ABNF allowed (RFC 5118 §4.10) is refused, following the
 * corrected grammar of RFC 5954.
 */
export function isIPv6(bytes: Uint8Array, start: number, end: number): boolean {
	let groups = 0;
	let doubleColon = false;
	let i = start;
	if (i >= end)
		return false;
	if (bytes[i] === 58) {
		if (bytes[i + 1] !== 58)
			return false;
		doubleColon = true;
		i += 2;
		if (i === end)
			return true;
	}
	while (i < end) {
		let j = i;
		while (j < end && isHex(bytes[j]) && j - i < 5)
			j++;
		if (j < end && bytes[j] === 46) {	// embedded IPv4 ends the address
			if (!isIPv4(bytes, i, end))
				return false;
			groups += 2;
			i = end;
			break;
		}
		if (j === i || j - i > 4)
			return false;
		groups++;
		i = j;
		if (i === end)
			break;
		if (bytes[i] !== 58)
			return false;
		i++;
		if (bytes[i] === 58) {
			if (doubleColon)
				return false;
			doubleColon = true;
			i++;
			if (i === end)
				break;
		}
		else if (i === end)
			return false;
	}
	return doubleColon ? groups <= 7 : groups === 8;
}

export function isIPv4(bytes: Uint8Array, start: number, end: number): boolean {
	let parts = 0;
	let i = start;
	while (i < end) {
		let v = 0, n = 0;
		while (i < end && isDigit(bytes[i]) && n < 4) {
			v = v * 10 + bytes[i] - 48;
			i++;
			n++;
		}
		if (n === 0 || n > 3 || v > 255)
			return false;
		parts++;
		if (i === end)
			break;
		if (bytes[i] !== 46 || parts === 4)
			return false;
		i++;
		if (i === end)
			return false;
	}
	return parts === 4;
}

/** host = hostname / IPv4address / IPv6reference; returns the end of the host. */
export function scanHost(bytes: Uint8Array, start: number, end: number): number {
	if (start >= end)
		fail("Missing host");
	if (bytes[start] === 91) {	// [
		const close = indexOf(bytes, 93, start, end);
		if (close < 0 || !isIPv6(bytes, start + 1, close))
			fail("Bad IPv6 reference");
		return close + 1;
	}
	let i = start;
	while (i < end) {
		const c = bytes[i];
		if ((CHAR_CLASS[c] & (C_ALPHA | C_DIGIT)) !== 0 || c === 45 || c === 46 || c === 95)
			i++;
		else
			break;
	}
	if (i === start)
		fail("Bad host");
	return i;
}

export function parsePort(bytes: Uint8Array, start: number, end: number): number {
	if (start >= end || end - start > 5)
		fail("Bad port");
	let v = 0;
	for (let i = start; i < end; i++) {
		const c = bytes[i];
		if (c < 48 || c > 57)
			fail("Bad port");
		v = v * 10 + c - 48;
	}
	if (v > 65535)
		fail("Bad port");
	return v;
}

/** uri-parameters: *( ";" pname [ "=" pvalue ] ) over bytes[start, end). */
function parseUriParams(bytes: Uint8Array, start: number, end: number, params: Params): void {
	let i = start;
	while (i < end) {
		// bytes[i] === ';'
		i++;
		let j = i;
		while (j < end && bytes[j] !== 59)
			j++;
		const eq = indexOf(bytes, 61, i, j);
		const nameEnd = eq < 0 ? j : eq;
		checkRun(bytes, i, nameEnd, U_PARAM, "URI parameter");
		const name = lowerRange(bytes, i, nameEnd);
		if (eq < 0)
			params.set(name, null);
		else {
			checkRun(bytes, eq + 1, j, U_PARAM, "URI parameter");
			params.set(name, decodeText(bytes, eq + 1, j));
		}
		i = j;
	}
}

/**
 * Parse a URI from bytes[start, end). `allowHeaders` is false for a
 * Request-URI (RFC 3261 §19.1.1: headers are not allowed there).
 */
export function parseUriBytes(bytes: Uint8Array, start: number, end: number, allowHeaders = true): Uri {
	const colon = indexOf(bytes, 58, start, end);
	if (colon <= start)
		fail("Bad URI");
	// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
	if (!isAlpha(bytes[start]))
		fail("Bad URI scheme");
	for (let i = start + 1; i < colon; i++) {
		const c = bytes[i];
		if (!(isAlpha(c) || isDigit(c) || c === 43 || c === 45 || c === 46))
			fail("Bad URI scheme");
	}
	const n = colon - start;
	const b0 = bytes[start] | 0x20, b1 = bytes[start + 1] | 0x20, b2 = bytes[start + 2] | 0x20;
	if ((n === 3 || (n === 4 && (bytes[start + 3] | 0x20) === 115)) && b0 === 115 && b1 === 105 && b2 === 112)
		return parseSipUri(bytes, start, colon + 1, end, n === 4 ? "sips" : "sip", allowHeaders);
	const scheme = lowerRange(bytes, start, colon);
	if (scheme === "tel")
		return parseTelUri(bytes, start, colon + 1, end);
	checkRun(bytes, colon + 1, end, U_URIC, "URI");
	return new AbsoluteUri(scheme, decodeText(bytes, colon + 1, end));
}

function parseSipUri(bytes: Uint8Array, textStart: number, start: number, end: number, scheme: "sip" | "sips", allowHeaders: boolean): SipUri {
	let user: string | undefined, password: string | undefined;
	let i = start;
	const at = indexOf(bytes, 64, start, end);
	if (at >= 0) {
		const pc = indexOf(bytes, 58, start, at);
		const userEnd = pc < 0 ? at : pc;
		checkRun(bytes, start, userEnd, U_USER, "URI user");
		user = decodeText(bytes, start, userEnd);
		if (pc >= 0) {
			if (pc + 1 < at)
				checkRun(bytes, pc + 1, at, U_PASSWORD, "URI password");
			password = decodeText(bytes, pc + 1, at);
		}
		i = at + 1;
	}
	const hostEnd = scanHost(bytes, i, end);
	const host = decodeText(bytes, i, hostEnd);
	let port: number | undefined;
	i = hostEnd;
	if (i < end && bytes[i] === 58) {
		let j = i + 1;
		while (j < end && isDigit(bytes[j]))
			j++;
		port = parsePort(bytes, i + 1, j);
		i = j;
	}
	const params: Params = new Map();
	const headers = new Map<string, string>();
	const q = indexOf(bytes, 63, i, end);
	const paramsEnd = q < 0 ? end : q;
	if (i < paramsEnd) {
		if (bytes[i] !== 59)
			fail("Bad URI host");
		parseUriParams(bytes, i, paramsEnd, params);
	}
	if (q >= 0) {
		if (!allowHeaders)
			fail("Headers not allowed in Request-URI");
		let h = q + 1;
		if (h >= end)
			fail("Bad URI headers");
		while (h <= end) {
			let amp = indexOf(bytes, 38, h, end);
			if (amp < 0)
				amp = end;
			const eq = indexOf(bytes, 61, h, amp);
			if (eq < 0)
				fail("Bad URI header");
			checkRun(bytes, h, eq, U_HEADER, "URI header");
			if (eq + 1 < amp)
				checkRun(bytes, eq + 1, amp, U_HEADER, "URI header");
			headers.set(decodeText(bytes, h, eq), decodeText(bytes, eq + 1, amp));
			h = amp + 1;
		}
	}
	const options = { scheme, user, password, host, port, params, headers };
	return new SipUri(options as ConstructorParameters<typeof SipUri>[0], decodeText(bytes, textStart, end));
}

/** tel URI (RFC 3966): the number up to the first ";", then parameters. */
function parseTelUri(bytes: Uint8Array, textStart: number, start: number, end: number): TelUri {
	let semi = indexOf(bytes, 59, start, end);
	if (semi < 0)
		semi = end;
	if (semi === start)
		fail("Bad tel URI");
	for (let i = start; i < semi; i++) {
		const c = bytes[i];
		// phonedigit-hex / visual-separator / "+" / "*" / "#"
		if (!(isHex(c) || c === 43 || c === 42 || c === 35 || c === 45 || c === 46 || c === 40 || c === 41))
			fail("Bad tel URI");
	}
	const params: Params = new Map();
	if (semi < end)
		parseUriParams(bytes, semi, end, params);
	return new TelUri(decodeText(bytes, start, semi), params, decodeText(bytes, textStart, end));
}

/** Parse a URI from a string (configuration, API input). */
export function parseUri(text: string, allowHeaders = true): Uri {
	const bytes = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c > 0x7E || c <= 0x20)
			fail("Bad character in URI");
		bytes[i] = c;
	}
	return parseUriBytes(bytes, 0, bytes.length, allowHeaders);
}
