/*
 * Writing SIP messages: requests and responses from a start line, a list of
 * headers and a body, to one Uint8Array sized exactly (two passes: measure,
 * then write). Header values may be strings, numbers, structured values with
 * toString() (Via, NameAddr, CSeq, URIs) or octets copied as they are from a
 * received message (RFC 3261 §8.2.6.2 copies Via, From, To, Call-ID and CSeq
 * into a response without re-parsing them).
 *
 * CR and LF inside a value are written as SP: a value can never inject a
 * header line. Content-Length is always written, from the body.
 */
import { type SipMessage } from "./message.js";
import { H, HEADER_NAMES, headerIdOf } from "./names.js";
import { copyingConcat, decodeText, encodeNative, searchTextOf, utf8Length, writeText } from "./text.js";
import { type Uri } from "./uri.js";

export type HeaderValue = string | number | Uint8Array | { toString(): string };
export type HeaderList = Array<readonly [string, HeaderValue]>;

export interface OutgoingRequest {
	method: string;
	uri: string | Uri;
	headers: HeaderList;
	body?: Uint8Array | string;
}

export interface OutgoingResponse {
	status: number;
	reason?: string;
	headers: HeaderList;
	body?: Uint8Array | string;
}

/** Default reason phrases (RFC 3261 §21 and the extensions a UA meets). */
export function reasonPhrase(status: number): string {
	switch (status) {
		case 100: return "Trying";
		case 180: return "Ringing";
		case 181: return "Call Is Being Forwarded";
		case 182: return "Queued";
		case 183: return "Session Progress";
		case 200: return "OK";
		case 202: return "Accepted";
		case 301: return "Moved Permanently";
		case 302: return "Moved Temporarily";
		case 400: return "Bad Request";
		case 401: return "Unauthorized";
		case 403: return "Forbidden";
		case 404: return "Not Found";
		case 405: return "Method Not Allowed";
		case 406: return "Not Acceptable";
		case 407: return "Proxy Authentication Required";
		case 408: return "Request Timeout";
		case 413: return "Request Entity Too Large";
		case 415: return "Unsupported Media Type";
		case 416: return "Unsupported URI Scheme";
		case 420: return "Bad Extension";
		case 421: return "Extension Required";
		case 422: return "Session Interval Too Small";
		case 423: return "Interval Too Brief";
		case 480: return "Temporarily Unavailable";
		case 481: return "Call/Transaction Does Not Exist";
		case 482: return "Loop Detected";
		case 483: return "Too Many Hops";
		case 486: return "Busy Here";
		case 487: return "Request Terminated";
		case 488: return "Not Acceptable Here";
		case 491: return "Request Pending";
		case 500: return "Server Internal Error";
		case 501: return "Not Implemented";
		case 503: return "Service Unavailable";
		case 504: return "Server Time-out";
		case 505: return "Version Not Supported";
		case 513: return "Message Too Large";
		case 600: return "Busy Everywhere";
		case 603: return "Decline";
		case 604: return "Does Not Exist Anywhere";
		case 606: return "Not Acceptable";
	}
	return status < 200 ? "Provisional" : status < 300 ? "Success" : status < 400 ? "Redirect" : "Error";
}

function bodyBytes(body: Uint8Array | string | undefined): Uint8Array | string {
	return body === undefined ? "" : body;
}

/** Header text with CR and LF turned into SP, so that no value can inject a line. */
function safeText(v: string): string {
	return v.indexOf("\r") < 0 && v.indexOf("\n") < 0 ? v : v.replace(/[\r\n]/g, " ");
}

/** Copy octets, turning CR and LF (folds of a received value) into SP. */
function writeRaw(out: Uint8Array, pos: number, v: Uint8Array): number {
	// where the host searches octets as text (XS), a value without line breaks is copied natively
	const text = searchTextOf(v, 0, v.length);
	if (text !== undefined && text.indexOf("\r") < 0 && text.indexOf("\n") < 0) {
		out.set(v, pos);
		return pos + v.length;
	}
	for (let i = 0; i < v.length; i++) {
		const c = v[i];
		out[pos++] = c === 13 || c === 10 ? 32 : c;
	}
	return pos;
}

/**
 * "Name: " for the canonical name of each known header (names.ts) but
 * Content-Length. A name found here is not a Content-Length and its line
 * starts with one concatenation fewer: in XS one lookup in this object costs
 * less than half of reading the name's length (a native call that counts its
 * characters), and a concatenation allocates a new string.
 */
const LINE_START: Readonly<Record<string, string | undefined>> = Object.freeze((() => {
	const starts: Record<string, string> = Object.create(null);
	for (let id = 1; id < HEADER_NAMES.length; id++) {
		if (id !== H.CONTENT_LENGTH)
			starts[HEADER_NAMES[id]] = HEADER_NAMES[id] + ": ";
	}
	return starts;
})());

/** ArrayBuffer.isView held here: in XS, reading a global and its property costs more than the call. */
const isView = ArrayBuffer.isView;

/** Content-Length is written by the serializer; a caller's copy is dropped. */
function isContentLength(name: string): boolean {
	const n = name.length;
	return (n === 14 || n === 1) && (name.charCodeAt(0) | 0x20) === (n === 1 ? 0x6C : 0x63) && headerIdOf(name) === H.CONTENT_LENGTH;
}

/**
 * Writes messages into one buffer that it keeps and reuses: the transport
 * hands the bytes to the socket at once, so nothing is allocated per message
 * (a transaction that must keep the bytes for retransmission copies them).
 * The buffer grows on demand up to `maxSize`.
 */
export class MessageWriter {
	#buf: Uint8Array;
	#maxSize: number;
	constructor(options: { initialSize?: number; maxSize?: number } = {}) {
		this.#buf = new Uint8Array(options.initialSize ?? 1024);
		this.#maxSize = options.maxSize ?? 65535;
	}
	/** The request on the wire: a view into the writer's buffer, valid until the next write. */
	request(request: OutgoingRequest): Uint8Array {
		return this.#write(request.method + " " + request.uri.toString() + " SIP/2.0\r\n", request.headers, bodyBytes(request.body));
	}
	response(response: OutgoingResponse): Uint8Array {
		return this.#write("SIP/2.0 " + response.status + " " + (response.reason ?? reasonPhrase(response.status)) + "\r\n", response.headers, bodyBytes(response.body));
	}
	#room(pos: number, n: number): Uint8Array {
		let buf = this.#buf;
		if (pos + n > buf.length) {
			if (pos + n > this.#maxSize)
				throw new RangeError("message larger than " + this.#maxSize + " octets");
			const bigger = new Uint8Array(Math.min(this.#maxSize, Math.max(buf.length * 2, pos + n)));
			bigger.set(buf.subarray(0, pos));
			this.#buf = buf = bigger;
		}
		return buf;
	}
	#text(pos: number, s: string): number {
		return writeText(this.#room(pos, s.length * 3), pos, s);
	}
	#write(startLine: string, headers: HeaderList, body: Uint8Array | string): Uint8Array {
		let pos = this.#text(0, startLine);
		for (let i = 0; i < headers.length; i++) {
			const name = headers[i][0];
			if (isContentLength(name))
				continue;
			const v = headers[i][1];
			pos = this.#text(pos, name + ": ");
			if (v instanceof Uint8Array)
				pos = writeRaw(this.#room(pos, v.length), pos, v);
			else
				pos = this.#text(pos, (typeof v === "string" ? safeText(v) : String(v)));
			pos = this.#text(pos, "\r\n");
		}
		const bodyLength = typeof body === "string" ? utf8Length(body) : body.length;
		pos = this.#text(pos, "Content-Length: " + bodyLength + "\r\n\r\n");
		if (typeof body === "string")
			pos = this.#text(pos, body);
		else {
			this.#room(pos, body.length).set(body, pos);
			pos += body.length;
		}
		return this.#buf.subarray(0, pos);
	}
}

/**
 * Serialize a start line, headers and body into a new array of exactly the
 * message's size. The text parts are joined into one string (V8 and XS
 * concatenate cheaply) and encoded in one pass; octet values go in between.
 */
function serialize(startLine: string, headers: HeaderList, body: Uint8Array | string): Uint8Array {
	const texts: string[] = [];
	const raws: Uint8Array[] = [];
	let text = startLine + "\r\n";
	for (let i = 0; i < headers.length; i++) {
		const name = headers[i][0];
		if (isContentLength(name))
			continue;
		const v = headers[i][1];
		if (v instanceof Uint8Array) {
			texts.push(text + name + ": ");
			raws.push(v);
			text = "\r\n";
		}
		else
			text += name + ": " + (typeof v === "string" ? safeText(v) : String(v)) + "\r\n";
	}
	const bodyLength = typeof body === "string" ? utf8Length(body) : body.length;
	text += "Content-Length: " + bodyLength + "\r\n\r\n";
	if (typeof body === "string")
		text += body;
	texts.push(text);
	// the text parts as octets: by the host's encoder where it has one (XS: one native call
	// instead of a typed-array write per octet), else measured here and written below
	const encoded: Array<Uint8Array | undefined> = [];
	let size = 0;
	for (let i = 0; i < texts.length; i++) {
		const e = encodeNative(texts[i]);
		encoded.push(e);
		size += e !== undefined ? e.length : utf8Length(texts[i]);
	}
	for (let i = 0; i < raws.length; i++)
		size += raws[i].length;
	if (typeof body !== "string")
		size += body.length;
	const out = new Uint8Array(size);
	let pos = 0;
	for (let i = 0; i <= raws.length; i++) {
		const e = encoded[i];
		if (e !== undefined) {
			out.set(e, pos);
			pos += e.length;
		}
		else
			pos = writeText(out, pos, texts[i]);
		if (i < raws.length)
			pos = writeRaw(out, pos, raws[i]);
	}
	if (typeof body !== "string")
		out.set(body, pos);
	return out;
}

/**
 * The message as text, ready for the host to encode natively (XS's
 * ArrayBuffer.fromString on the device, the runtime's encoder on a PC): the
 * cheapest way to the wire from JavaScript. Octet header values are decoded;
 * a body given as octets must be text (SDP, dtmf-relay) or use serialize*().
 */
export function formatRequest(request: OutgoingRequest): string {
	return formatMessage(request.method + " " + request.uri.toString() + " SIP/2.0", request.headers, request.body, false);
}

export function formatResponse(response: OutgoingResponse): string {
	return formatMessage("SIP/2.0 " + response.status + " " + (response.reason ?? reasonPhrase(response.status)), response.headers, response.body, false);
}

/**
 * The start line (without its CRLF), the headers and the body as one string.
 *
 * Each line is built on its own; then, where a concatenation copies both
 * strings (XS, TextHelpers.copyingConcat), the lines are joined once: adding
 * each line to the text so far copied the message again for every header.
 * Where strings are ropes (V8), adding them one by one is cheap and a join
 * costs a flat copy.
 *
 * String values are gathered and searched for CR and LF once per message: in
 * XS a String indexOf call costs as much as building a header line. When one
 * has a line break, the message is made again with every string value passed
 * through safeText() (`sanitize`).
 */
function formatMessage(startLine: string, headers: HeaderList, body: Uint8Array | string | undefined, sanitize: boolean): string {
	const lines: string[] = [startLine];
	let k = 1;
	let strings = "";
	// declared once, outside the loop: XS sets up block-scoped bindings on every iteration
	let name: string, start: string | undefined, v: HeaderValue;
	for (let i = 0, count = headers.length; i < count; i++) {
		const header = headers[i];
		name = header[0];
		start = LINE_START[name];
		if (start === undefined) {
			if (name === "Content-Length" || isContentLength(name))
				continue;
			start = name + ": ";
		}
		v = header[1];
		// Structured values (Via, NameAddr, URIs) are built from parsed or checked parts and
		// quote() keeps display names on one line; strings from callers are checked.
		// The most frequent kind first; isView is a plain native call where instanceof
		// looks up Symbol.hasInstance and walks the prototype chain (XS).
		if (typeof v === "object")
			lines[k++] = start + (isView(v) && v instanceof Uint8Array ? safeText(decodeText(v, 0, v.length)) : v.toString());
		else if (typeof v === "string") {
			if (sanitize)
				lines[k++] = start + safeText(v);
			else {
				strings += v;
				lines[k++] = start + v;
			}
		}
		else
			lines[k++] = start + v;
	}
	// comparisons, not .length: in XS a string's length is a native call that counts its characters
	if (strings !== "" && (strings.indexOf("\r") >= 0 || strings.indexOf("\n") >= 0))
		return formatMessage(startLine, headers, body, true);
	// the last line carries its CRLF, the empty line that ends the headers (§7.5) and the body
	if (body === undefined || body === "" || (typeof body !== "string" && body.length === 0))
		lines[k] = "Content-Length: 0\r\n\r\n";
	else {
		const bodyText = typeof body === "string" ? body : decodeText(body, 0, body.length);
		lines[k] = "Content-Length: " + utf8Length(bodyText) + "\r\n\r\n" + bodyText;
	}
	if (copyingConcat)
		return lines.join("\r\n");
	let text = startLine;
	for (let i = 1; i <= k; i++)
		text += "\r\n" + lines[i];
	return text;
}

export function serializeRequest(request: OutgoingRequest): Uint8Array {
	const startLine = request.method + " " + request.uri.toString() + " SIP/2.0";
	return serialize(startLine, request.headers, bodyBytes(request.body));
}

export function serializeResponse(response: OutgoingResponse): Uint8Array {
	const startLine = "SIP/2.0 " + response.status + " " + (response.reason ?? reasonPhrase(response.status));
	return serialize(startLine, response.headers, bodyBytes(response.body));
}

/**
 * Header i of a received message, for copying into another message: its raw
 * octets, or its unfolded text when it spans several lines.
 */
export function rawValue(message: SipMessage, i: number): Uint8Array | string {
	const bytes = message.bytes, start = message.valueStartAt(i), end = message.valueEndAt(i);
	const text = searchTextOf(bytes, start, end);	// XS: a native search instead of a typed-array read per octet
	if (text !== undefined) {
		if (text.indexOf("\n") >= 0)
			return message.headerValueAt(i);
	}
	else {
		for (let k = start; k < end; k++) {
			if (bytes[k] === 10)
				return message.headerValueAt(i);
		}
	}
	return bytes.subarray(start, end);
}

/** Write a received message back out: start line, every header as received (folds unfolded), body. */
export function serializeMessage(message: SipMessage): Uint8Array {
	const headers: HeaderList = [];
	for (let i = 0; i < message.headerCount; i++)
		headers.push([message.headerNameAt(i), rawValue(message, i)]);
	const startLine = message.method !== undefined
		? message.method + " " + message.uriText + " SIP/2.0"
		: "SIP/2.0 " + message.status + " " + message.reason;
	return serialize(startLine, headers, message.body);
}

export interface ResponseOptions {
	reason?: string;
	/** Via values to send instead of copying the request's (a server adds received/rport, §18.2.1, RFC 3581 §4). */
	vias?: readonly HeaderValue[];
	/** Added to To when the request's To has no tag and the response is not 100 (§8.2.6.2). */
	toTag?: string;
	headers?: HeaderList;
	body?: Uint8Array | string;
}

/**
 * Build a response to a received request (RFC 3261 §8.2.6): Via lines, From,
 * Call-ID and CSeq copied octet for octet, To with our tag added, Timestamp
 * echoed in a 100 (§8.2.6.1).
 */
export function createResponse(request: SipMessage, status: number, options: ResponseOptions = {}): Uint8Array {
	const headers: HeaderList = [];
	for (let i = 0; i < request.headerCount; i++) {
		const id = request.headerIdAt(i);
		if (id === H.VIA && options.vias) {
			if (request.findId(H.VIA) === i)
				for (const via of options.vias)
					headers.push(["Via", via]);
		}
		else if (id === H.VIA || id === H.FROM || id === H.CALL_ID || id === H.CSEQ)
			headers.push([HEADER_NAMES[id], rawValue(request, i)]);
		else if (id === H.TO) {
			const raw = rawValue(request, i);
			if (status > 100 && options.toTag !== undefined && !hasTag(request))
				headers.push(["To", typeof raw === "string" ? raw + ";tag=" + options.toTag : concatText(raw, ";tag=" + options.toTag)]);
			else
				headers.push(["To", raw]);
		}
		else if (id === H.RECORD_ROUTE && status > 100 && status < 300 && request.method === "INVITE")
			headers.push(["Record-Route", rawValue(request, i)]);	// §12.1.1: a response that makes a dialog copies them, in order
		else if (status === 100 && request.headerNameAt(i).toLowerCase() === "timestamp")
			headers.push(["Timestamp", rawValue(request, i)]);
	}
	if (options.headers) {
		for (let i = 0; i < options.headers.length; i++)
			headers.push(options.headers[i]);
	}
	const startLine = "SIP/2.0 " + status + " " + (options.reason ?? reasonPhrase(status));
	return serialize(startLine, headers, bodyBytes(options.body));
}

function hasTag(request: SipMessage): boolean {
	try {
		// the tag alone, found by a scan: parsing the whole To (name-addr, URI) cost a
		// cold station tens of µs before each response
		return request.toTag() !== undefined;
	}
	catch {
		return false;
	}
}

function concatText(raw: Uint8Array, text: string): Uint8Array {
	const out = new Uint8Array(raw.length + utf8Length(text));
	out.set(raw, 0);
	writeText(out, raw.length, text);
	return out;
}
