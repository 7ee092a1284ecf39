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
import { utf8Length, writeText } from "./text.js";
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

function valueText(v: HeaderValue): string | Uint8Array {
	if (typeof v === "string" || v instanceof Uint8Array)
		return v;
	return String(v);
}

function bodyBytes(body: Uint8Array | string | undefined): Uint8Array | string {
	return body === undefined ? "" : body;
}

function byteLength(v: string | Uint8Array): number {
	return typeof v === "string" ? utf8Length(v) : v.length;
}

/** Copy octets, turning CR and LF (folds of a received value) into SP. */
function writeRaw(out: Uint8Array, pos: number, v: Uint8Array): number {
	for (let i = 0; i < v.length; i++) {
		const c = v[i];
		out[pos++] = c === 13 || c === 10 ? 32 : c;
	}
	return pos;
}

function writeValue(out: Uint8Array, pos: number, v: string | Uint8Array): number {
	if (typeof v !== "string")
		return writeRaw(out, pos, v);
	const start = pos;
	pos = writeText(out, pos, v);
	for (let i = start; i < pos; i++) {
		if (out[i] === 13 || out[i] === 10)
			out[i] = 32;
	}
	return pos;
}

const COLON_SP = ": ";
const CRLF = "\r\n";
const CONTENT_LENGTH = "Content-Length: ";

/** Serialize a start line (already text), headers and body. */
function serialize(startLine: string, headers: HeaderList, body: Uint8Array | string): Uint8Array {
	const names: string[] = [];
	const values: Array<string | Uint8Array> = [];
	let size = utf8Length(startLine) + 2;
	for (let i = 0; i < headers.length; i++) {
		const name = headers[i][0];
		if (headerIdOf(name) === H.CONTENT_LENGTH)
			continue;
		const value = valueText(headers[i][1]);
		names.push(name);
		values.push(value);
		size += name.length + 4 + byteLength(value);
	}
	const bodyLength = byteLength(body);
	const lengthText = String(bodyLength);
	size += CONTENT_LENGTH.length + lengthText.length + 4 + bodyLength;
	const out = new Uint8Array(size);
	let pos = writeText(out, 0, startLine);
	pos = writeText(out, pos, CRLF);
	for (let i = 0; i < names.length; i++) {
		pos = writeText(out, pos, names[i]);
		pos = writeText(out, pos, COLON_SP);
		pos = writeValue(out, pos, values[i]);
		pos = writeText(out, pos, CRLF);
	}
	pos = writeText(out, pos, CONTENT_LENGTH);
	pos = writeText(out, pos, lengthText);
	pos = writeText(out, pos, CRLF);
	pos = writeText(out, pos, CRLF);
	if (typeof body === "string")
		writeText(out, pos, body);
	else
		out.set(body, pos);
	return out;
}

export function serializeRequest(request: OutgoingRequest): Uint8Array {
	const startLine = request.method + " " + request.uri.toString() + " SIP/2.0";
	return serialize(startLine, request.headers, bodyBytes(request.body));
}

export function serializeResponse(response: OutgoingResponse): Uint8Array {
	const startLine = "SIP/2.0 " + response.status + " " + (response.reason ?? reasonPhrase(response.status));
	return serialize(startLine, response.headers, bodyBytes(response.body));
}

/** The raw octets of header i of a received message (for copying it into another message). */
export function rawValue(message: SipMessage, i: number): Uint8Array {
	return message.bytes.subarray(message.valueStartAt(i), message.valueEndAt(i));
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
		if (id === H.VIA || id === H.FROM || id === H.CALL_ID || id === H.CSEQ)
			headers.push([HEADER_NAMES[id], rawValue(request, i)]);
		else if (id === H.TO) {
			const raw = rawValue(request, i);
			if (status > 100 && options.toTag !== undefined && !hasTag(request))
				headers.push(["To", concatText(raw, ";tag=" + options.toTag)]);
			else
				headers.push(["To", raw]);
		}
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
		return request.to().tag !== undefined;
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
