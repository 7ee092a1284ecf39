/*
 * A plain-data picture of a parsed message: the start line, the URI parts,
 * every header in order with its structured value, and the body length. Used
 * by tools/sipcheck and by diagnostics; it parses every known header, so it
 * throws SipParseError where validate() would.
 */
import {
	parseAuth, parseCSeq, parseCallId, parseInteger, parseMediaType, parseMediaTypes,
	parseNameAddr, parseNameAddrs, parseTokens, parseVias,
} from "./headers.js";
import { MAX_DELTA_SECONDS, type SipMessage } from "./message.js";
import { H } from "./names.js";

export interface HeaderDescription {
	name: string;
	value: string;
	parsed?: unknown;
}

export interface MessageDescription {
	type: "request" | "response";
	method?: string;
	uri?: unknown;
	status?: number;
	reason?: string;
	headers: HeaderDescription[];
	bodyLength: number;
}

/** The structured value of header i, or undefined for headers without a grammar here. */
export function parsedValue(message: SipMessage, i: number): unknown {
	const b = message.bytes, s = message.valueStartAt(i), e = message.valueEndAt(i);
	const id = message.headerIdAt(i);
	const name = message.canonicalNameAt(i);
	switch (id) {
		case H.VIA: {
			const out: unknown[] = [];
			parseVias(b, s, e, out as never[]);
			return out;
		}
		case H.FROM: case H.TO: case H.REFER_TO: case H.REFERRED_BY:
			return parseNameAddr(b, s, e, name);
		case H.CONTACT: case H.ROUTE: case H.RECORD_ROUTE: {
			if (id === H.CONTACT && e - s === 1 && b[s] === 42)
				return "*";
			const out: unknown[] = [];
			parseNameAddrs(b, s, e, name, out as never[]);
			return out;
		}
		case H.CSEQ:
			return parseCSeq(b, s, e);
		case H.CALL_ID:
			return parseCallId(b, s, e);
		case H.MAX_FORWARDS:
			return parseInteger(b, s, e, 255, name);
		case H.CONTENT_LENGTH: case H.EXPIRES: case H.MIN_EXPIRES: case H.RSEQ:
			return parseInteger(b, s, e, MAX_DELTA_SECONDS, name);
		case H.CONTENT_TYPE:
			return parseMediaType(b, s, e);
		case H.ACCEPT: {
			const out: unknown[] = [];
			parseMediaTypes(b, s, e, out as never[]);
			return out;
		}
		case H.REQUIRE: case H.PROXY_REQUIRE: case H.SUPPORTED: case H.UNSUPPORTED: case H.ALLOW: {
			const out: string[] = [];
			parseTokens(b, s, e, name, out);
			return out;
		}
		case H.WWW_AUTHENTICATE: case H.AUTHORIZATION: case H.PROXY_AUTHENTICATE: case H.PROXY_AUTHORIZATION:
			return parseAuth(b, s, e, name);
	}
	return undefined;
}

export function describeMessage(message: SipMessage): MessageDescription {
	const headers: HeaderDescription[] = [];
	for (let i = 0; i < message.headerCount; i++) {
		const header: HeaderDescription = { name: message.headerNameAt(i), value: message.headerValueAt(i) };
		const parsed = parsedValue(message, i);
		if (parsed !== undefined)
			header.parsed = parsed;
		headers.push(header);
	}
	const bodyLength = message.bodyEnd - message.bodyStart;
	if (message.method !== undefined)
		return { type: "request", method: message.method, uri: message.uri, headers, bodyLength };
	return { type: "response", status: message.status, reason: message.reason, headers, bodyLength };
}
