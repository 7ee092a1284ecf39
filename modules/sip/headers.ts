/*
 * Structured header values, parsed from a byte range only when a layer reads
 * them (RFC 3261 §20 and the §25.1 grammar). LWS (including the CRLF of a line
 * fold) may appear around every separator: SWS ";" SWS, SWS "=" SWS, SWS "," SWS.
 */
import { fail } from "./errors.js";
import { methodOf } from "./names.js";
import { CHAR_CLASS, C_LWS, C_PARAM_END, C_TOKEN, C_WORD, CR, HT, LF, SP, decodeText, equalsLower, isDigit, isLws, isTokenChar } from "./text.js";
import { type Params, type Uri, isIPv4, isIPv6, paramsText, parsePort, parseUriBytes, scanHost } from "./uri.js";

/** A cursor over bytes[p, e) of one header value. */
export class Cursor {
	b: Uint8Array;
	p: number;
	e: number;
	constructor(bytes: Uint8Array, start: number, end: number) {
		this.b = bytes;
		this.p = start;
		this.e = end;
	}
	lws(): void {
		const b = this.b, e = this.e;
		let p = this.p, c;
		while (p < e && ((c = b[p]) === SP || c === HT || c === CR || c === LF))
			p++;
		this.p = p;
	}
	/*
	 * Each method below skips LWS itself rather than through lws(): in XS a
	 * method call costs as much as a dozen octet reads, and a Via or a
	 * name-addr takes tens of these steps.
	 */
	/** Next octet after LWS, or -1 at the end. */
	peek(): number {
		const b = this.b, e = this.e;
		let p = this.p, c = -1;
		while (p < e && ((c = b[p]) === SP || c === HT || c === CR || c === LF))
			p++;
		this.p = p;
		return p < e ? c : -1;
	}
	/** Consume c (after LWS) if it is next. */
	eat(c: number): boolean {
		const b = this.b, e = this.e;
		let p = this.p, k = -1;
		while (p < e && ((k = b[p]) === SP || k === HT || k === CR || k === LF))
			p++;
		if (p < e && k === c) {
			this.p = p + 1;
			return true;
		}
		this.p = p;
		return false;
	}
	expect(c: number, what: string): void {
		if (!this.eat(c))
			fail("Bad " + what);
	}
	atEnd(): boolean {
		this.lws();
		return this.p >= this.e;
	}
	/** End offset of the token starting at p (after LWS). */
	tokenEnd(): number {
		const b = this.b, e = this.e, cls = CHAR_CLASS, token = C_TOKEN;	// locals: an imported binding is checked on every use in V8
		let i = this.p, c;
		while (i < e && ((c = b[i]) === SP || c === HT || c === CR || c === LF))
			i++;
		this.p = i;
		while (i < e && (cls[b[i]] & token) !== 0)
			i++;
		return i;
	}
	token(what: string): string {
		const end = this.tokenEnd();	// moves p past LWS
		const from = this.p;
		if (end === from)
			fail("Bad " + what);
		this.p = end;
		return decodeText(this.b, from, end);
	}
	skipLws(): number {
		this.lws();
		return this.p;
	}
	/** quoted-string (§25.1): returns the content with quoted-pairs resolved. */
	quoted(what: string): string {
		const b = this.b;
		if (this.peek() !== 34)
			fail("Bad " + what);
		const start = ++this.p;
		let escaped = false;
		let i = start;
		for (; i < this.e; i++) {
			const c = b[i];
			if (c === 92) {
				escaped = true;
				i++;
				continue;
			}
			if (c === 34)
				break;
		}
		if (i >= this.e)
			fail("Unterminated quoted string in " + what);
		this.p = i + 1;
		if (!escaped)
			return decodeText(b, start, i);
		const parts: string[] = [];
		let from = start;
		for (let j = start; j < i; j++) {
			if (b[j] === 92) {
				parts.push(decodeText(b, from, j));
				from = j + 1;
				j++;
			}
		}
		parts.push(decodeText(b, from, i));
		return parts.join("");
	}
	/** The raw text of a quoted-string, quotes included (kept for faithful rewriting). */
	quotedRaw(what: string): string {
		const start = this.skipLws();
		this.quoted(what);
		return decodeText(this.b, start, this.p);
	}
	/** A host written as a parameter value: a name, IPv4, or IPv6 with or without brackets (RFC 5118 §4.5). */
	hostValue(what: string): string {
		const start = this.skipLws();
		let i = start;
		while (i < this.e) {
			const k = this.b[i];
			if (isTokenChar(k) || k === 58 || k === 91 || k === 93)
				i++;
			else
				break;
		}
		if (i === start)
			fail("Bad " + what + " parameter");
		this.p = i;
		return decodeText(this.b, start, i);
	}
	/** Digits as a number, refusing values above max (no silent wrap-around, RFC 4475 §3.1.2.4). */
	integer(max: number, what: string): number {
		const start = this.skipLws();
		const b = this.b, e = this.e;
		let v = 0;
		let i = start, d;
		while (i < e && (d = b[i] - 48) >= 0 && d <= 9) {
			v = v * 10 + d;
			if (v > max)
				fail("Bad " + what);
			i++;
		}
		if (i === start)
			fail("Bad " + what);
		this.p = i;
		return v;
	}
}

/**
 * generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
 * Names are lower-cased; values are kept as written (quotes included).
 */
export function parseParams(c: Cursor, params: Params, what: string): void {
	while (c.eat(59)) {	// ;
		const name = c.token(what + " parameter").toLowerCase();
		let value: string | null = null;
		if (c.eat(61)) {	// =
			const k = c.peek();
			if (k === 34)
				value = c.quotedRaw(what);
			else if (k === 91) {	// [ IPv6 reference
				const start = c.p;
				c.p = scanHost(c.b, start, c.e);
				value = decodeText(c.b, start, c.p);
			}
			else if (name === "received" || name === "maddr")
				value = c.hostValue(what);
			else
				value = c.token(what + " parameter");
		}
		params.set(name, value);
	}
}

/** Remove the quotes of a quoted-string parameter value (and its quoted-pairs). */
export function unquote(value: string | null | undefined): string | undefined {
	if (value === null || value === undefined)
		return undefined;
	if (value.length < 2 || value.charCodeAt(0) !== 34)
		return value;
	const inner = value.slice(1, -1);
	return inner.indexOf("\\") < 0 ? inner : inner.replace(/\\(.)/g, "$1");
}

/** A quoted-string (§25.1): quotes and backslashes escaped, line breaks (never legal inside) made spaces. */
export function quote(s: string): string {
	if (s.indexOf("\"") < 0 && s.indexOf("\\") < 0 && s.indexOf("\r") < 0 && s.indexOf("\n") < 0)
		return "\"" + s + "\"";
	return "\"" + s.replace(/[\r\n]/g, " ").replace(/["\\]/g, "\\$&") + "\"";
}

/* ---------- Via (§20.42) ---------- */

export class Via {
	protocol: string;
	transport: string;
	host: string;
	port: number | undefined;
	params: Params;
	constructor(transport: string, host: string, port?: number, params?: Params, protocol = "SIP/2.0") {
		this.protocol = protocol;
		this.transport = transport;
		this.host = host;
		this.port = port;
		this.params = params ?? new Map();
	}
	get branch(): string | undefined {
		return this.params.get("branch") ?? undefined;
	}
	get received(): string | undefined {
		return this.params.get("received") ?? undefined;
	}
	/** undefined: no rport; null: rport present without a value (a request); else the port. */
	get rport(): number | null | undefined {
		if (!this.params.has("rport"))
			return undefined;
		const v = this.params.get("rport");
		return v ? Number(v) : null;
	}
	toString(): string {
		let s = this.protocol + "/" + this.transport + " " + this.host;
		if (this.port !== undefined)
			s += ":" + this.port;
		return s + paramsText(this.params);
	}
	toJSON(): object {
		return { protocol: this.protocol, transport: this.transport, host: this.host, port: this.port, params: Object.fromEntries(this.params) };
	}
}

function parseOneVia(c: Cursor): Via {
	const name = c.token("Via protocol");
	c.expect(47, "Via protocol");
	const version = c.token("Via protocol");
	c.expect(47, "Via protocol");
	const transport = c.token("Via transport").toUpperCase();
	const hostStart = c.skipLws();
	const hostEnd = scanHost(c.b, hostStart, c.e);
	const host = decodeText(c.b, hostStart, hostEnd);
	c.p = hostEnd;
	let port: number | undefined;
	if (c.p < c.e && c.b[c.p] === 58) {
		c.p++;
		let j = c.p;
		for (let d; j < c.e && (d = c.b[j]) >= 48 && d <= 57;)
			j++;
		port = parsePort(c.b, c.p, j);
		c.p = j;
	}
	const params: Params = new Map();
	parseParams(c, params, "Via");
	checkViaParams(params);
	return new Via(transport, host, port, params, name.toUpperCase() + "/" + version);
}

/** via-params of §25.1 that have a fixed grammar: ttl, maddr, received, branch, rport (RFC 3581). */
function checkViaParams(params: Params): void {
	const ttl = params.get("ttl");
	if (ttl !== undefined && smallNumber(ttl, 255) < 0)
		fail("Bad Via ttl");
	const received = params.get("received");
	if (received !== undefined) {
		if (received === null)
			fail("Bad Via received");
		// RFC 5118 §4.5: a bracketed IPv6 reference is outside the ABNF but tolerated.
		const text = received.charCodeAt(0) === 91 ? received.slice(1, -1) : received;
		const bytes = asciiBytes(text);
		if (!isIPv4(bytes, 0, bytes.length) && !isIPv6(bytes, 0, bytes.length))
			fail("Bad Via received");
	}
	const branch = params.get("branch");
	if (branch === null)
		fail("Bad Via branch");
	const rport = params.get("rport");
	if (rport !== undefined && rport !== null && smallNumber(rport, 65535) < 0)
		fail("Bad Via rport");
}

/** The value of a decimal string no larger than max, or -1. */
function smallNumber(text: string | null, max: number): number {
	if (!text)
		return -1;
	let v = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (!isDigit(c))
			return -1;
		v = v * 10 + c - 48;
		if (v > max)
			return -1;
	}
	return v;
}

function asciiBytes(s: string): Uint8Array {
	const b = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++)
		b[i] = s.charCodeAt(i) & 0xFF;
	return b;
}

/** All Via values in bytes[start, end) (one header line may hold several, §7.3.1). */
export function parseVias(bytes: Uint8Array, start: number, end: number, out: Via[]): void {
	const c = new Cursor(bytes, start, end);
	do
		out.push(parseOneVia(c));
	while (c.eat(44));
	if (!c.atEnd())
		fail("Bad Via");
}

/* ---------- name-addr / addr-spec (From, To, Contact, Route, Record-Route, ...) ---------- */

export class NameAddr {
	displayName: string | undefined;
	uri: Uri;
	params: Params;
	constructor(uri: Uri, displayName?: string, params?: Params) {
		this.uri = uri;
		this.displayName = displayName;
		this.params = params ?? new Map();
	}
	get tag(): string | undefined {
		return this.params.get("tag") ?? undefined;
	}
	toString(): string {
		const name = this.displayName !== undefined && this.displayName !== "" ? quote(this.displayName) + " " : "";
		return name + "<" + this.uri.toString() + ">" + paramsText(this.params);
	}
	toJSON(): object {
		return { displayName: this.displayName, uri: this.uri, params: Object.fromEntries(this.params) };
	}
}

function parseOneNameAddr(c: Cursor, what: string): NameAddr {
	let displayName: string | undefined;
	let k = c.peek();
	if (k === 34) {
		displayName = c.quoted(what + " display name");
		k = c.peek();
		if (k !== 60)
			fail("Bad " + what);
	}
	else if (k !== 60) {
		// Either display-name tokens before "<", or an addr-spec.
		const b = c.b;
		let i = c.p;
		while (i < c.e && b[i] !== 60 && b[i] !== 44 && b[i] !== 59 && b[i] !== 34)
			i++;
		if (i < c.e && b[i] === 60) {
			// display-name = *(token LWS): every octet must be a token char or LWS (RFC 4475 §3.1.2.15)
			const start = c.p;
			let end = i;
			while (end > start && isLws(b[end - 1]))
				end--;
			for (let j = start; j < end; j++) {
				if (!isTokenChar(b[j]) && !isLws(b[j]))
					fail("Bad " + what + " display name");
			}
			displayName = decodeText(b, start, end);
			c.p = i;
		}
	}
	let uri: Uri;
	if (c.eat(60)) {	// <
		const b = c.b;
		const start = c.p;
		let i = start;
		while (i < c.e && b[i] !== 62)
			i++;
		if (i >= c.e)
			fail("Bad " + what + ": missing >");
		uri = parseUriBytes(b, start, i);
		c.p = i + 1;
	}
	else {
		// addr-spec: URIs with ",", "?" or ";" must be in <> (§20), so the URI stops at ";" "," or LWS.
		const b = c.b;
		const start = c.skipLws();
		let i = start;
		while (i < c.e && b[i] !== 59 && b[i] !== 44 && !isLws(b[i]))
			i++;
		if (i === start)
			fail("Bad " + what);
		for (let j = start; j < i; j++) {
			if (b[j] === 63)	// RFC 4475 §3.1.2.13
				fail("Bad " + what + ": URI with ? must be in <>");
		}
		uri = parseUriBytes(b, start, i);
		c.p = i;
	}
	const params: Params = new Map();
	parseParams(c, params, what);
	return new NameAddr(uri, displayName, params);
}

/** One name-addr or addr-spec filling the whole range (From, To, Refer-To...). */
export function parseNameAddr(bytes: Uint8Array, start: number, end: number, what: string): NameAddr {
	const c = new Cursor(bytes, start, end);
	const value = parseOneNameAddr(c, what);
	if (!c.atEnd())
		fail("Bad " + what);
	return value;
}

/** Comma-separated name-addrs (Contact, Route, Record-Route, Path...). */
export function parseNameAddrs(bytes: Uint8Array, start: number, end: number, what: string, out: NameAddr[]): void {
	const c = new Cursor(bytes, start, end);
	do
		out.push(parseOneNameAddr(c, what));
	while (c.eat(44));
	if (!c.atEnd())
		fail("Bad " + what);
}

/* ---------- CSeq (§20.16) ---------- */

export class CSeq {
	seq: number;
	method: string;
	constructor(seq: number, method: string) {
		this.seq = seq;
		this.method = method;
	}
	toString(): string {
		return this.seq + " " + this.method;
	}
	toJSON(): object {
		return { seq: this.seq, method: this.method };
	}
}

/** The sequence number is 32 bits and below 2**31 (§8.1.1.5). */
export function parseCSeq(bytes: Uint8Array, start: number, end: number): CSeq {
	// Read on every message a UA receives: scanned in place, without a Cursor.
	let i = skipLwsAt(bytes, start, end);
	const digitsStart = i;
	let seq = 0;
	for (let d; i < end && (d = bytes[i] - 48) >= 0 && d <= 9; i++) {
		seq = seq * 10 + d;
		if (seq > 0x7FFFFFFF)
			fail("Bad CSeq");
	}
	if (i === digitsStart)
		fail("Bad CSeq");
	const methodStart = skipLwsAt(bytes, i, end);
	if (methodStart === i)
		fail("Bad CSeq");
	const cls = CHAR_CLASS, token = C_TOKEN;	// locals: an imported binding is checked on every use in V8
	let methodEnd = methodStart;
	while (methodEnd < end && (cls[bytes[methodEnd]] & token) !== 0)
		methodEnd++;
	if (methodEnd === methodStart || skipLwsAt(bytes, methodEnd, end) !== end)
		fail("Bad CSeq");
	return new CSeq(seq, methodOf(bytes, methodStart, methodEnd));
}

/** The first offset from i that is not LWS (or end). */
function skipLwsAt(bytes: Uint8Array, i: number, end: number): number {
	for (let c; i < end && ((c = bytes[i]) === SP || c === HT || c === CR || c === LF);)
		i++;
	return i;
}

/** A header whose value is one integer (Max-Forwards, Expires, Min-Expires, Content-Length, RSeq...). */
export function parseInteger(bytes: Uint8Array, start: number, end: number, max: number, what: string): number {
	const c = new Cursor(bytes, start, end);
	const v = c.integer(max, what);
	if (!c.atEnd())
		fail("Bad " + what);
	return v;
}

/* ---------- Call-ID (§20.8): word [ "@" word ] ---------- */

export function parseCallId(bytes: Uint8Array, start: number, end: number): string {
	const s = skipLwsAt(bytes, start, end);
	let i = s;
	let at = false;
	const table = CHAR_CLASS, lws = C_LWS, word = C_WORD;	// locals: an imported binding is checked on every use in V8
	for (; i < end; i++) {
		const k = bytes[i];
		const cls = table[k];
		if ((cls & lws) !== 0)
			break;
		if (k === 64) {
			if (at || i === s)
				fail("Bad Call-ID");
			at = true;
		}
		else if ((cls & word) === 0)
			fail("Bad Call-ID");
	}
	if (i === s || bytes[i - 1] === 64 || skipLwsAt(bytes, i, end) !== end)
		fail("Bad Call-ID");
	return decodeText(bytes, s, i);
}

/* ---------- media types (Content-Type, Accept) ---------- */

export class MediaType {
	type: string;
	subtype: string;
	params: Params;
	constructor(type: string, subtype: string, params?: Params) {
		this.type = type;
		this.subtype = subtype;
		this.params = params ?? new Map();
	}
	get essence(): string {
		return this.type + "/" + this.subtype;
	}
	toString(): string {
		return this.type + "/" + this.subtype + paramsText(this.params);
	}
	toJSON(): object {
		return { type: this.type, subtype: this.subtype, params: Object.fromEntries(this.params) };
	}
}

function parseOneMediaType(c: Cursor, what: string): MediaType {
	const type = c.token(what).toLowerCase();
	c.expect(47, what);
	const subtype = c.token(what).toLowerCase();
	const params: Params = new Map();
	parseParams(c, params, what);
	return new MediaType(type, subtype, params);
}

export function parseMediaType(bytes: Uint8Array, start: number, end: number): MediaType {
	const c = new Cursor(bytes, start, end);
	const value = parseOneMediaType(c, "Content-Type");
	if (!c.atEnd())
		fail("Bad Content-Type");
	return value;
}

/** Accept: an empty value is legal and means nothing is acceptable (§20.1). */
export function parseMediaTypes(bytes: Uint8Array, start: number, end: number, out: MediaType[]): void {
	const c = new Cursor(bytes, start, end);
	if (c.atEnd())
		return;
	do
		out.push(parseOneMediaType(c, "Accept"));
	while (c.eat(44));
	if (!c.atEnd())
		fail("Bad Accept");
}

/** Comma-separated tokens (Require, Proxy-Require, Supported, Allow, Unsupported...). */
export function parseTokens(bytes: Uint8Array, start: number, end: number, what: string, out: string[]): void {
	const c = new Cursor(bytes, start, end);
	if (c.atEnd())
		return;
	do
		out.push(c.token(what));
	while (c.eat(44));
	if (!c.atEnd())
		fail("Bad " + what);
}

/* ---------- Digest challenge and credentials (§20.27, §20.44, §25.1; RFC 8760) ---------- */

export class AuthValue {
	scheme: string;
	/** Parameter names lower-cased; values unquoted. */
	params: Map<string, string>;
	constructor(scheme: string, params?: Map<string, string>) {
		this.scheme = scheme;
		this.params = params ?? new Map();
	}
	get(name: string): string | undefined {
		return this.params.get(name);
	}
	toString(): string {
		const acc = { s: this.scheme, sep: " " };
		this.params.forEach(appendAuthParam, acc);	// no iterator garbage (see paramsText)
		return acc.s;
	}
	toJSON(): object {
		return { scheme: this.scheme, params: Object.fromEntries(this.params) };
	}
}

function appendAuthParam(this: { s: string; sep: string }, value: string, name: string): void {
	this.s += this.sep + name + "=" + (UNQUOTED_AUTH_PARAMS.indexOf(name) >= 0 ? value : quote(value));
	this.sep = ", ";
}

/** Parameters written as tokens, not quoted strings (RFC 3261 §25.1, RFC 7616 §3.4). */
const UNQUOTED_AUTH_PARAMS: readonly string[] = Object.freeze(["algorithm", "stale", "nc", "qop-token"]);

/**
 * challenge / credentials = auth-scheme LWS auth-param *(COMMA auth-param).
 * One header holds one challenge (several WWW-Authenticate lines carry several).
 * In credentials, qop is a token (qop=auth) while in a challenge it is quoted.
 */
export function parseAuth(bytes: Uint8Array, start: number, end: number, what: string): AuthValue {
	const c = new Cursor(bytes, start, end);
	const scheme = c.token(what);
	const params = new Map<string, string>();
	if (!c.atEnd()) {
		do {
			const name = c.token(what + " parameter").toLowerCase();
			c.expect(61, what);
			const value = c.peek() === 34 ? c.quoted(what) : c.token(what + " parameter");
			params.set(name, value);
		} while (c.eat(44));
		if (!c.atEnd())
			fail("Bad " + what);
	}
	return new AuthValue(scheme, params);
}

/* ---------- fast key lookups: one parameter, without building the structure ---------- */

/**
 * The value of one header parameter of a name-addr or addr-spec value (the
 * `tag` of From and To), scanning the octets only: null for a parameter
 * without a value, undefined when absent. Lenient by design: validate() is
 * the strict path; this is what matching a response or an in-dialog request
 * to its transaction and dialog costs on every message.
 */
export function nameAddrParam(bytes: Uint8Array, start: number, end: number, lowerName: string): string | null | undefined {
	let i = start, c;
	while (i < end && ((c = bytes[i]) === SP || c === HT || c === CR || c === LF))
		i++;
	if (i < end && bytes[i] === 34)
		i = skipQuoted(bytes, i, end);
	// up to "<" (a name-addr: the URI's own ";" do not count), or to ";" or "," (an addr-spec)
	let j = i;
	for (let c; j < end && (c = bytes[j]) !== 60 && c !== 59 && c !== 44;)
		j++;
	if (j < end && bytes[j] === 60) {
		let close = j + 1;
		while (close < end && bytes[close] !== 62)
			close++;
		if (close >= end)
			return undefined;
		j = close + 1;
	}
	return scanParams(bytes, j, end, lowerName);
}

/** One parameter of the first Via value in bytes[start, end) (the top Via's branch). */
export function viaParam(bytes: Uint8Array, start: number, end: number, lowerName: string): string | null | undefined {
	let i = start;
	for (let c; i < end && (c = bytes[i]) !== 59 && c !== 44;)
		i++;
	return scanParams(bytes, i, end, lowerName);
}

function skipQuoted(bytes: Uint8Array, i: number, end: number): number {
	for (i++; i < end; i++) {
		if (bytes[i] === 92)
			i++;
		else if (bytes[i] === 34)
			return i + 1;
	}
	return end;
}

/** Scan `*( SEMI generic-param )` from i, stopping at "," or the end, for one parameter. */
function scanParams(bytes: Uint8Array, i: number, end: number, lowerName: string): string | null | undefined {
	const n = lowerName.length;
	const cls = CHAR_CLASS, token = C_TOKEN, paramEnd = C_PARAM_END;	// locals: an imported binding is checked on every use in V8
	for (;;) {
		// one octet read per position: c is bytes[i], or -1 at the end (CHAR_CLASS[-1] is undefined: no class)
		let c = i < end ? bytes[i] : -1;
		while (c === SP || c === HT || c === CR || c === LF)
			c = ++i < end ? bytes[i] : -1;
		if (c !== 59)
			return undefined;
		c = ++i < end ? bytes[i] : -1;
		while (c === SP || c === HT || c === CR || c === LF)
			c = ++i < end ? bytes[i] : -1;
		const ns = i;
		while ((cls[c] & token) !== 0)
			c = ++i < end ? bytes[i] : -1;
		const ne = i;
		while (c === SP || c === HT || c === CR || c === LF)
			c = ++i < end ? bytes[i] : -1;
		let vs = -1, ve = -1;
		if (c === 61) {
			c = ++i < end ? bytes[i] : -1;
			while (c === SP || c === HT || c === CR || c === LF)
				c = ++i < end ? bytes[i] : -1;
			vs = i;
			if (c === 34)
				i = skipQuoted(bytes, i, end);
			else {
				while (c >= 0 && (cls[c] & paramEnd) === 0)
					c = ++i < end ? bytes[i] : -1;
			}
			ve = i;
		}
		if (ne - ns === n && equalsLower(bytes, ns, ne, lowerName))
			return vs < 0 ? null : decodeText(bytes, vs, ve);
	}
}
