/*
 * SIP messages (RFC 3261 §7), parsed lazily over the received bytes.
 *
 * `SipParser.parse()` checks the start line, indexes every header line (name
 * and value offsets, a small id for known names) and frames the body by
 * Content-Length. Nothing else is decoded: a header's structure is built when a
 * layer asks for it (`from()`, `vias()`, `cseq()`...), and `validate()` checks
 * everything a UA relies on before it acts on a message (RFC 3261 §8.2, §16.3).
 *
 * The index is one Uint16Array of five numbers per header, so a message is
 * limited to 65535 octets (more than any UDP datagram; streams are capped by
 * `maxSize`, default 16 KiB, which no door station's signalling comes near).
 */
import { SipParseError, fail } from "./errors.js";
import {
	type AuthValue, type CSeq, type MediaType, type NameAddr, type Via,
	parseAuth, parseCSeq, parseCallId, parseInteger, parseMediaType, parseMediaTypes,
	nameAddrParam, parseNameAddr, parseNameAddrs, parseTokens, parseVias, viaParam,
} from "./headers.js";
import { H, HEADER_NAMES, KEY1, KEY1_OCTETS, KEY2, KEY_ID, NAME_CODE, NAME_IDS, headerIdOf, headerIdOfBytes, keySlot, methodOf } from "./names.js";
import { CHAR_CLASS, C_LWS, C_TOKEN, CR, HT, LF, SP, decodeFolded, decodeText, equalsLower, isDigit, isTokenChar, searchTextOf } from "./text.js";
import { type Uri, parseUriBytes } from "./uri.js";

const FIELDS = 5;	// per header: id, name start, name end, value start, value end
/*
 * The index starts with HEAD numbers: the Request-URI's or reason phrase's
 * start and end, then 1 + the position of the first Via, From, To, Call-ID
 * and CSeq (0: none), which every UA reads (one element read, not a walk).
 * Keeping them in the index rather than in fields saves the message two slots.
 */
const HEAD = 7;
const FIRST = 2;	// index[FIRST + id - H.VIA] for Via (1) ... CSeq (5)
const MAX_OFFSET = 65535;

/** Largest number a SIP delta-seconds may carry (2**32 - 1). */
export const MAX_DELTA_SECONDS = 4294967295;

export interface ParserOptions {
	/** Largest message accepted, in octets (at most 65535). */
	maxSize?: number;
	/** Most header lines accepted in one message. */
	maxHeaders?: number;
}

export const PARSER_DEFAULTS = Object.freeze({ maxSize: 16384, maxHeaders: 64 });

export class SipMessage {
	/** The octets the message was parsed from (offsets below index into it). */
	readonly bytes: Uint8Array;
	/** Request method, or undefined for a response. */
	readonly method: string | undefined;
	/** Response status code, or 0 for a request. */
	readonly status: number;
	readonly bodyStart: number;
	readonly bodyEnd: number;
	#index: Uint16Array;
	#topVia: Via | undefined;

	constructor(bytes: Uint8Array, method: string | undefined, status: number, index: Uint16Array, bodyStart: number, bodyEnd: number) {
		this.bytes = bytes;
		this.method = method;
		this.status = status;
		this.#index = index;
		this.bodyStart = bodyStart;
		this.bodyEnd = bodyEnd;
	}

	get isRequest(): boolean {
		return this.method !== undefined;
	}
	/** The Request-URI, parsed now (headers are not allowed in it, §19.1.1). */
	get uri(): Uri {
		if (this.method === undefined)
			fail("Not a request");
		return parseUriBytes(this.bytes, this.#index[0], this.#index[1], false);
	}
	get uriText(): string {
		return this.method === undefined ? "" : decodeText(this.bytes, this.#index[0], this.#index[1]);
	}
	get reason(): string {
		return this.method === undefined ? decodeText(this.bytes, this.#index[0], this.#index[1]) : "";
	}
	/** The body as a view over the received bytes (no copy). */
	get body(): Uint8Array {
		return this.bytes.subarray(this.bodyStart, this.bodyEnd);
	}
	get headerCount(): number {
		return (this.#index.length - HEAD) / FIELDS;
	}

	/* ----- access by position ----- */
	headerIdAt(i: number): number {
		return this.#index[HEAD + i * FIELDS];
	}
	/** The name as written (compact or long form). */
	headerNameAt(i: number): string {
		const x = HEAD + i * FIELDS;
		return decodeText(this.bytes, this.#index[x + 1], this.#index[x + 2]);
	}
	/** The canonical name for known headers, the name as written otherwise. */
	canonicalNameAt(i: number): string {
		const id = this.#index[HEAD + i * FIELDS];
		return id ? HEADER_NAMES[id] : this.headerNameAt(i);
	}
	headerValueAt(i: number): string {
		const x = HEAD + i * FIELDS;
		return decodeFolded(this.bytes, this.#index[x + 3], this.#index[x + 4]);
	}
	valueStartAt(i: number): number {
		return this.#index[HEAD + i * FIELDS + 3];
	}
	valueEndAt(i: number): number {
		return this.#index[HEAD + i * FIELDS + 4];
	}

	/* ----- access by name ----- */
	/** Position of the n-th header with this id (0-based), or -1. */
	findId(id: number, n = 0): number {
		const index = this.#index;
		if (n === 0 && id >= 1 && id <= 5)	// H.VIA ... H.CSEQ (literals: no imported binding to check in V8)
			return index[FIRST + id - 1] - 1;
		for (let x = HEAD; x < index.length; x += FIELDS) {
			if (index[x] === id && n-- === 0)
				return (x - HEAD) / FIELDS;
		}
		return -1;
	}
	countId(id: number): number {
		const index = this.#index;
		let count = 0;
		for (let x = HEAD; x < index.length; x += FIELDS) {
			if (index[x] === id)
				count++;
		}
		return count;
	}
	/** Position of the n-th header called name (any case; long or compact form), or -1. */
	find(name: string, n = 0): number {
		const id = headerIdOf(name);
		if (id)
			return this.findId(id, n);
		const lower = name.toLowerCase();
		const index = this.#index;
		for (let x = HEAD; x < index.length; x += FIELDS) {
			if (index[x] === 0 && equalsLower(this.bytes, index[x + 1], index[x + 2], lower) && n-- === 0)
				return (x - HEAD) / FIELDS;
		}
		return -1;
	}
	has(name: string): boolean {
		return this.find(name) >= 0;
	}
	/** The first value of a header, LWS folded. */
	header(name: string): string | undefined {
		const i = this.find(name);
		return i < 0 ? undefined : this.headerValueAt(i);
	}
	/** Every line of a header, in order. */
	headerLines(name: string): string[] {
		const out: string[] = [];
		for (let n = 0, i; (i = this.find(name, n)) >= 0; n++)
			out.push(this.headerValueAt(i));
		return out;
	}

	/* ----- structured values, parsed on demand ----- */
	#single(id: number): number {
		const i = this.findId(id);
		if (i < 0)
			fail("Missing " + HEADER_NAMES[id]);
		return i;
	}
	/** Every Via value, top first, over all Via lines. */
	vias(): Via[] {
		const out: Via[] = [];
		const index = this.#index;
		for (let x = HEAD; x < index.length; x += FIELDS) {
			if (index[x] === H.VIA)
				parseVias(this.bytes, index[x + 3], index[x + 4], out);
		}
		return out;
	}
	/**
	 * The top Via, parsed once: the transaction key, the checks and every
	 * response's destination read it (readers must not change it; vias()
	 * gives copies to change).
	 */
	topVia(): Via {
		if (this.#topVia)
			return this.#topVia;
		const i = this.#single(H.VIA);
		const out: Via[] = [];
		parseVias(this.bytes, this.valueStartAt(i), this.valueEndAt(i), out);
		return this.#topVia = out[0];
	}
	/* Transaction and dialog keys, read without building structures (§17.1.3, §17.2.3, §12). */
	/** The branch of the top Via (undefined without one: an RFC 2543 peer). */
	branch(): string | undefined {
		const i = this.#single(H.VIA);
		return viaParam(this.bytes, this.valueStartAt(i), this.valueEndAt(i), "branch") ?? undefined;
	}
	fromTag(): string | undefined {
		const i = this.#single(H.FROM);
		return nameAddrParam(this.bytes, this.valueStartAt(i), this.valueEndAt(i), "tag") ?? undefined;
	}
	toTag(): string | undefined {
		const i = this.#single(H.TO);
		return nameAddrParam(this.bytes, this.valueStartAt(i), this.valueEndAt(i), "tag") ?? undefined;
	}
	from(): NameAddr {
		const i = this.#single(H.FROM);
		return parseNameAddr(this.bytes, this.valueStartAt(i), this.valueEndAt(i), "From");
	}
	to(): NameAddr {
		const i = this.#single(H.TO);
		return parseNameAddr(this.bytes, this.valueStartAt(i), this.valueEndAt(i), "To");
	}
	callId(): string {
		const i = this.#single(H.CALL_ID);
		return parseCallId(this.bytes, this.valueStartAt(i), this.valueEndAt(i));
	}
	cseq(): CSeq {
		const i = this.#single(H.CSEQ);
		return parseCSeq(this.bytes, this.valueStartAt(i), this.valueEndAt(i));
	}
	maxForwards(): number | undefined {
		const i = this.findId(H.MAX_FORWARDS);
		return i < 0 ? undefined : parseInteger(this.bytes, this.valueStartAt(i), this.valueEndAt(i), 255, "Max-Forwards");
	}
	expires(): number | undefined {
		const i = this.findId(H.EXPIRES);
		return i < 0 ? undefined : parseInteger(this.bytes, this.valueStartAt(i), this.valueEndAt(i), MAX_DELTA_SECONDS, "Expires");
	}
	/** True for `Contact: *` (a REGISTER removing all bindings, §10.2.2). */
	isWildcardContact(): boolean {
		const i = this.findId(H.CONTACT);
		if (i < 0)
			return false;
		const s = this.valueStartAt(i);
		const e = this.valueEndAt(i);
		return e - s === 1 && this.bytes[s] === 42;
	}
	/** Every Contact value over all Contact lines (empty for `*`). */
	contacts(): NameAddr[] {
		return this.#nameAddrs(H.CONTACT, "Contact");
	}
	routes(): NameAddr[] {
		return this.#nameAddrs(H.ROUTE, "Route");
	}
	recordRoutes(): NameAddr[] {
		return this.#nameAddrs(H.RECORD_ROUTE, "Record-Route");
	}
	#nameAddrs(id: number, what: string): NameAddr[] {
		const out: NameAddr[] = [];
		if (id === H.CONTACT && this.isWildcardContact())
			return out;
		const index = this.#index;
		for (let x = HEAD; x < index.length; x += FIELDS) {
			if (index[x] === id)
				parseNameAddrs(this.bytes, index[x + 3], index[x + 4], what, out);
		}
		return out;
	}
	contentType(): MediaType | undefined {
		const i = this.findId(H.CONTENT_TYPE);
		return i < 0 ? undefined : parseMediaType(this.bytes, this.valueStartAt(i), this.valueEndAt(i));
	}
	/** Accept values; undefined when there is no Accept header. */
	accept(): MediaType[] | undefined {
		if (this.findId(H.ACCEPT) < 0)
			return undefined;
		const out: MediaType[] = [];
		const index = this.#index;
		for (let x = HEAD; x < index.length; x += FIELDS) {
			if (index[x] === H.ACCEPT)
				parseMediaTypes(this.bytes, index[x + 3], index[x + 4], out);
		}
		return out;
	}
	/** Comma-separated tokens over every line of a header (Require, Supported, Allow...). */
	tokens(name: string): string[] {
		const out: string[] = [];
		for (let n = 0, i; (i = this.find(name, n)) >= 0; n++)
			parseTokens(this.bytes, this.valueStartAt(i), this.valueEndAt(i), name, out);
		return out;
	}
	/** Challenges or credentials: one per line of WWW-Authenticate, Authorization... */
	auth(name: string): AuthValue[] {
		const out: AuthValue[] = [];
		for (let n = 0, i; (i = this.find(name, n)) >= 0; n++)
			out.push(parseAuth(this.bytes, this.valueStartAt(i), this.valueEndAt(i), name));
		return out;
	}

	/**
	 * Check what a UA or proxy relies on before acting on the message: the
	 * Request-URI, the mandatory headers present exactly once (§8.1.1, §8.2.2;
	 * RFC 4475 §3.3.1, §3.3.8), CSeq matching the method (§8.1.1.5; RFC 4475
	 * §3.1.2.17-18), and every header with a defined grammar parsing cleanly.
	 * Max-Forwards may be missing (RFC 2543 peers, RFC 4475 §3.4.1). Date is
	 * informational and is not checked (RFC 4475 §3.1.2.12 allows ignoring it).
	 * Throws SipParseError.
	 */
	validate(): void {
		if (this.method !== undefined)
			void this.uri;
		// one pass over the header table counts every known header; each check below
		// then looks only at what is there (an interpreter pays for every pass)
		const counts = new Uint8Array(HEADER_NAMES.length);
		const index = this.#index;
		for (let x = HEAD; x < index.length; x += FIELDS) {
			const id = index[x];
			if (counts[id] < 255)
				counts[id]++;
		}
		// indexed loops: a for-of in code the engine has not optimised makes an iterator and a result object per step
		for (let k = 0; k < SINGLE.length; k++) {
			const id = SINGLE[k];
			const n = counts[id];
			if (n > 1)
				fail("Multiple " + HEADER_NAMES[id] + " headers");
			if (n === 0 && id <= H.CSEQ)
				fail("Missing " + HEADER_NAMES[id]);
		}
		if (counts[H.VIA] === 0)
			fail("Missing Via");
		this.vias();
		this.from();
		this.to();
		this.callId();
		const cseq = this.cseq();
		if (this.method !== undefined && cseq.method !== this.method)
			fail("CSeq method does not match the request");
		if (counts[H.MAX_FORWARDS])
			this.maxForwards();
		if (counts[H.EXPIRES])
			this.expires();
		if (counts[H.CONTACT])
			this.contacts();
		if (counts[H.ROUTE])
			this.routes();
		if (counts[H.RECORD_ROUTE])
			this.recordRoutes();
		if (counts[H.CONTENT_TYPE])
			this.contentType();
		if (counts[H.ACCEPT])
			this.accept();
		for (let k = 0; k < TOKEN_LISTS.length; k++) {
			const id = TOKEN_LISTS[k];
			if (counts[id])
				this.tokens(HEADER_NAMES[id]);
		}
		for (let k = 0; k < AUTH_HEADERS.length; k++) {
			const id = AUTH_HEADERS[k];
			if (counts[id])
				this.auth(HEADER_NAMES[id]);
		}
		for (let k = 0; k < INTEGERS.length; k++) {
			const id = INTEGERS[k];
			for (let n = 0, i; counts[id] && (i = this.findId(id, n)) >= 0; n++)
				parseIntegerPrefix(this.bytes, this.valueStartAt(i), this.valueEndAt(i), HEADER_NAMES[id]);
		}
	}

}

/** Headers that may appear at most once; the first five must appear (§8.1.1). */
const SINGLE: readonly number[] = Object.freeze([
	H.TO, H.FROM, H.CALL_ID, H.CSEQ, H.MAX_FORWARDS, H.CONTENT_TYPE, H.EXPIRES,
	H.MIN_EXPIRES, H.SESSION_EXPIRES, H.MIN_SE, H.RSEQ,
]);
const TOKEN_LISTS: readonly number[] = Object.freeze([H.REQUIRE, H.PROXY_REQUIRE, H.SUPPORTED, H.UNSUPPORTED, H.ALLOW]);
const AUTH_HEADERS: readonly number[] = Object.freeze([H.WWW_AUTHENTICATE, H.AUTHORIZATION, H.PROXY_AUTHENTICATE, H.PROXY_AUTHORIZATION]);
/** Headers starting with a number that must not overflow (Retry-After, Min-Expires, Session-Expires, Min-SE, RSeq). */
const INTEGERS: readonly number[] = Object.freeze([H.RETRY_AFTER, H.MIN_EXPIRES, H.SESSION_EXPIRES, H.MIN_SE, H.RSEQ]);

function parseIntegerPrefix(bytes: Uint8Array, start: number, end: number, what: string): void {
	let i = start;
	let v = 0;
	while (i < end && isDigit(bytes[i])) {
		v = v * 10 + bytes[i] - 48;
		if (v > MAX_DELTA_SECONDS)
			fail("Bad " + what);
		i++;
	}
	if (i === start)
		fail("Bad " + what);
}

/**
 * Parses messages. One instance per transport keeps one scratch index, so a
 * parse allocates only the message, its exact-size index and strings it must
 * decode (the method of an extension request, nothing else).
 */
export class SipParser {
	#maxSize: number;
	#maxHeaders: number;
	#scratch: Uint16Array;

	constructor(options: ParserOptions = {}) {
		this.#maxSize = Math.min(options.maxSize ?? PARSER_DEFAULTS.maxSize, MAX_OFFSET);
		this.#maxHeaders = options.maxHeaders ?? PARSER_DEFAULTS.maxHeaders;
		this.#scratch = new Uint16Array(HEAD + this.#maxHeaders * FIELDS);
	}
	get maxSize(): number {
		return this.#maxSize;
	}

	/**
	 * Parse one datagram (RFC 3261 §18.3): the body is Content-Length octets
	 * and octets after it are discarded; without Content-Length the body runs
	 * to the end of the datagram. Throws SipParseError.
	 */
	parse(bytes: Uint8Array): SipMessage {
		let end = bytes.length;
		if (end > this.#maxSize)
			fail("Message Too Large", 513);
		let p = 0;
		// Leading CRLFs are ignored (§7.5).
		while (p < end && (bytes[p] === CR || bytes[p] === LF))
			p++;
		if (p === end)
			fail("Empty message");
		return this.#parseAt(bytes, p, end);
	}

	#parseAt(bytes: Uint8Array, start: number, end: number): SipMessage {
		// Where the host has a native string search faster than the typed array's (XS), line
		// ends and spaces are found in a searchable copy; offsets are the same (TextHelpers).
		const text = searchTextOf(bytes, 0, end);
		/* ----- start line ----- */
		let lineEnd = text !== undefined ? text.indexOf("\n", start) : bytes.indexOf(LF, start);
		if (lineEnd < 0 || lineEnd >= end)
			fail("Incomplete message");
		const next = lineEnd + 1;
		if (lineEnd > start && bytes[lineEnd - 1] === CR)
			lineEnd--;
		let method: string | undefined;
		let status = 0;
		let versionError: SipParseError | undefined;
		let a: number, b: number;
		const sp1 = text !== undefined ? text.indexOf(" ", start) : bytes.indexOf(SP, start);
		if (sp1 < 0 || sp1 >= lineEnd || sp1 === start)
			fail("Bad start line");
		if (isSipVersion(bytes, start, sp1)) {
			// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
			checkVersion(bytes, start, sp1);
			const c = sp1 + 1;
			if (c + 3 > lineEnd || !isDigit(bytes[c]) || !isDigit(bytes[c + 1]) || !isDigit(bytes[c + 2]))
				fail("Bad status code");
			status = (bytes[c] - 48) * 100 + (bytes[c + 1] - 48) * 10 + bytes[c + 2] - 48;
			if (status < 100 || status > 699)
				fail("Bad status code");
			if (c + 3 < lineEnd && bytes[c + 3] !== SP)
				fail("Bad status code");
			a = c + 3 < lineEnd ? c + 4 : lineEnd;
			b = lineEnd;
			for (let i = a; i < b; i++) {
				const k = bytes[i];
				if ((k < 32 && k !== HT) || k === 127)
					fail("Bad reason phrase");
			}
		}
		else {
			// Request-Line = Method SP Request-URI SP SIP-Version: single SPs, no LWS in the URI.
			for (let i = start; i < sp1; i++) {
				if ((CHAR_CLASS[bytes[i]] & C_TOKEN) === 0)
					fail("Bad method");
			}
			method = methodOf(bytes, start, sp1);
			const sp2 = text !== undefined ? text.lastIndexOf(" ", lineEnd - 1) : bytes.lastIndexOf(SP, lineEnd - 1);
			if (sp2 <= sp1 + 1)
				fail("Bad request line");
			for (let i = sp1 + 1; i < sp2; i++) {
				const k = bytes[i];
				if (k <= 32 || k >= 127)
					fail("Bad Request-URI");
			}
			if (!isSipVersion(bytes, sp2 + 1, lineEnd))
				fail("Bad request line");
			versionError = versionErrorOf(bytes, sp2 + 1, lineEnd);
			a = sp1 + 1;
			b = sp2;
		}

		/* ----- header lines ----- */
		// The tables as locals: an imported binding is checked for initialization on every use in V8.
		const nameCode = NAME_CODE, key1s = KEY1, key2s = KEY2;
		const scratch = this.#scratch;
		const limit = scratch.length;
		scratch[0] = a;
		scratch[1] = b;
		for (let f = FIRST; f < HEAD; f++)
			scratch[f] = 0;
		let x = HEAD;
		let p = next;
		let contentLength = -1;
		for (;;) {
			if (p >= end)
				fail("Incomplete header section");
			const c = bytes[p];
			if (c === CR && p + 1 < end && bytes[p + 1] === LF) {
				p += 2;
				break;
			}
			if (c === LF) {
				p++;
				break;
			}
			// The name runs to the colon; it must be a token.
			const ns = p;
			let ne = p;
			let id = -1;
			// With a searchable copy (XS), a known name is found whole: one native search for
			// the colon, one Map read (names.ts NAME_IDS), instead of a table read per octet.
			const colon = text !== undefined ? text.indexOf(":", p) : -1;
			if (colon > p && colon - p <= 40) {
				let e = colon, w;
				while (e > p && ((w = bytes[e - 1]) === SP || w === HT))
					e--;
				const name = text!.slice(p, e);
				const known = NAME_IDS.get(name) ?? NAME_IDS.get(name.toLowerCase());
				if (known !== undefined) {
					id = known;
					ne = e;
					p = colon + 1;
				}
			}
			if (id < 0) {
				// Its octets fold into the two keys that identify a known name (names.ts: no
				// character comparison).
				let k = c;
				let key1 = 0, key2 = 0, code;
				const mid = p + KEY1_OCTETS;
				while (p < mid && (code = nameCode[k]) > 0) {
					key1 = key1 * 32 + code;
					k = bytes[++p];
				}
				if (p === mid) {
					while ((code = nameCode[k]) > 0) {
						key2 = key2 * 32 + code;
						k = bytes[++p];
					}
				}
				ne = p;
				if (ne === ns)
					fail("Bad header line");
				while (k === SP || k === HT)
					k = bytes[++p];
				if (k !== 58)
					fail("Bad header line");
				p++;
				id = 0;
				for (let slot = keySlot(key1, key2), k1; (k1 = key1s[slot]) !== 0; slot = (slot + 1) & 255) {
					if (k1 === key1 && key2s[slot] === key2) {
						id = KEY_ID[slot];
						break;
					}
				}
			}
			// The value runs to the LF that is not followed by SP/HT (folds, §7.3.1).
			let lf = text !== undefined ? text.indexOf("\n", p) : bytes.indexOf(LF, p);
			for (let f; lf >= 0 && lf + 1 < end && ((f = bytes[lf + 1]) === SP || f === HT);)
				lf = text !== undefined ? text.indexOf("\n", lf + 1) : bytes.indexOf(LF, lf + 1);
			if (lf < 0 || lf >= end)
				fail("Incomplete header section");
			let vs = p, w;
			while (vs < lf && ((w = bytes[vs]) === SP || w === HT || w === CR || w === LF))
				vs++;
			let ve = lf;
			while (ve > vs && ((w = bytes[ve - 1]) === SP || w === HT || w === CR || w === LF))
				ve--;
			if (x === limit)
				fail("Too many headers");
			if (id === H.CONTENT_LENGTH) {
				if (contentLength >= 0)
					fail("Multiple Content-Length headers");
				contentLength = parseInteger(bytes, vs, ve, MAX_OFFSET, "Content-Length");
			}
			if (id >= H.VIA && id <= H.CSEQ && scratch[FIRST + id - H.VIA] === 0)
				scratch[FIRST + id - H.VIA] = (x - HEAD) / FIELDS + 1;
			scratch[x] = id;
			scratch[x + 1] = ns;
			scratch[x + 2] = ne;
			scratch[x + 3] = vs;
			scratch[x + 4] = ve;
			x += FIELDS;
			p = lf + 1;
		}

		/* ----- body (§18.3) ----- */
		let bodyEnd = end;
		let bodyError: SipParseError | undefined;
		if (contentLength >= 0) {
			if (p + contentLength > end)
				bodyError = new SipParseError("Content-Length larger than message");
			else
				bodyEnd = p + contentLength;
		}
		const message = new SipMessage(bytes, method, status, scratch.slice(0, x), p, bodyEnd);
		// Errors found once the headers are indexed leave enough to answer the request (§8.2.2, §18.3).
		const error = versionError ?? bodyError;
		if (error) {
			error.partial = message;
			throw error;
		}
		return message;
	}

	/**
	 * For stream framing: the Content-Length declared in bytes[start, end) (a
	 * header section without its body), -1 when absent. Throws on a bad or
	 * repeated value, which loses the framing (RFC 4475 §3.3.9).
	 */
	contentLengthOf(bytes: Uint8Array, start: number, end: number): number {
		let found = -1;
		let p = bytes.indexOf(LF, start) + 1;
		while (p > 0 && p < end) {
			const ns = p;
			while (p < end && isTokenChar(bytes[p]))
				p++;
			if (headerIdOfBytes(bytes, ns, p) === H.CONTENT_LENGTH) {
				while (p < end && (bytes[p] === SP || bytes[p] === HT))
					p++;
				if (bytes[p] !== 58)
					fail("Bad header line");
				let lf = bytes.indexOf(LF, p);
				while (lf >= 0 && lf + 1 < end && (bytes[lf + 1] === SP || bytes[lf + 1] === HT))
					lf = bytes.indexOf(LF, lf + 1);
				if (lf < 0 || lf > end)
					lf = end;
				if (found >= 0)
					fail("Multiple Content-Length headers");
				found = parseInteger(bytes, p + 1, lf, MAX_OFFSET, "Content-Length");
			}
			const lf = bytes.indexOf(LF, p);
			if (lf < 0 || lf >= end)
				break;
			p = lf + 1;
		}
		return found;
	}
}

/** "SIP/" followed by a digit: the shape of a SIP-Version (the literal is case-insensitive, §7.1). */
function isSipVersion(bytes: Uint8Array, start: number, end: number): boolean {
	return end - start >= 5 && (bytes[start] | 0x20) === 115 && (bytes[start + 1] | 0x20) === 105 &&
		(bytes[start + 2] | 0x20) === 112 && bytes[start + 3] === 47 && isDigit(bytes[start + 4]);
}

/** SIP/2.0 only; another well-formed version is answered 505 (§21.5.7, RFC 4475 §3.1.2.16). */
function versionErrorOf(bytes: Uint8Array, start: number, end: number): SipParseError | undefined {
	if (end - start !== 7 || bytes[start + 4] !== 50 || bytes[start + 5] !== 46 || bytes[start + 6] !== 48) {
		for (let i = start + 4; i < end; i++) {
			if (!isDigit(bytes[i]) && bytes[i] !== 46)
				return new SipParseError("Bad SIP version");
		}
		return new SipParseError("Version Not Supported", 505);
	}
	return undefined;
}

function checkVersion(bytes: Uint8Array, start: number, end: number): void {
	const error = versionErrorOf(bytes, start, end);
	if (error)
		throw error;
}

/** A message parsed once, without keeping a parser (tools, tests). */
export function parseMessage(bytes: Uint8Array, options?: ParserOptions): SipMessage {
	return new SipParser(options).parse(bytes);
}

export { SipParseError };
