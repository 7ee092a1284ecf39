/*
 * Header names: a small id per known header so lookups compare integers, the
 * canonical spelling used when writing, and the compact forms of RFC 3261
 * §7.3.3 (and of the extensions that define one). Names are case-insensitive
 * (§7.3.1). Built once at module load as frozen arrays (preload-safe).
 */
import { decodeText, equalsLower, isTokenChar } from "./text.js";

/** Canonical names, indexed by header id. Id 0 is "not a known header". */
export const HEADER_NAMES: readonly string[] = Object.freeze([
	"",
	"Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length",
	"Content-Type", "Route", "Record-Route", "WWW-Authenticate", "Authorization",
	"Proxy-Authenticate", "Proxy-Authorization", "Expires", "Require", "Proxy-Require",
	"Supported", "Allow", "Unsupported", "Accept", "Content-Encoding", "Subject",
	"Session-Expires", "Min-SE", "Event", "User-Agent", "Server", "Refer-To", "Referred-By",
	"Min-Expires", "Retry-After", "Date", "Allow-Events", "Subscription-State", "Reason",
	"RSeq", "RAck", "Identity", "Warning", "Content-Disposition", "Accept-Encoding",
	"Accept-Language", "Timestamp", "Priority", "Call-Info", "Alert-Info", "Error-Info",
	"MIME-Version", "Organization", "Reply-To", "In-Reply-To", "P-Asserted-Identity",
	"Privacy", "Path", "Service-Route", "Authentication-Info",
]);

export const H = Object.freeze({
	OTHER: 0, VIA: 1, FROM: 2, TO: 3, CALL_ID: 4, CSEQ: 5, CONTACT: 6, MAX_FORWARDS: 7,
	CONTENT_LENGTH: 8, CONTENT_TYPE: 9, ROUTE: 10, RECORD_ROUTE: 11, WWW_AUTHENTICATE: 12,
	AUTHORIZATION: 13, PROXY_AUTHENTICATE: 14, PROXY_AUTHORIZATION: 15, EXPIRES: 16,
	REQUIRE: 17, PROXY_REQUIRE: 18, SUPPORTED: 19, ALLOW: 20, UNSUPPORTED: 21, ACCEPT: 22,
	CONTENT_ENCODING: 23, SUBJECT: 24, SESSION_EXPIRES: 25, MIN_SE: 26, EVENT: 27,
	USER_AGENT: 28, SERVER: 29, REFER_TO: 30, REFERRED_BY: 31, MIN_EXPIRES: 32,
	RETRY_AFTER: 33, DATE: 34, ALLOW_EVENTS: 35, SUBSCRIPTION_STATE: 36, REASON: 37,
	RSEQ: 38, RACK: 39, IDENTITY: 40, WARNING: 41,
});

const LOWER: readonly string[] = Object.freeze(HEADER_NAMES.map((n) => n.toLowerCase()));

/** Known ids grouped by name length, for the byte-level lookup. */
const BY_LENGTH: readonly (readonly number[])[] = Object.freeze((() => {
	const table: number[][] = [];
	for (let id = 1; id < LOWER.length; id++) {
		const n = LOWER[id].length;
		while (table.length <= n)
			table.push([]);
		table[n].push(id);
	}
	return table.map((ids) => Object.freeze(ids));
})());

/** Compact forms: letter -> id (RFC 3261 §7.3.3, RFC 3265/6665 o and u, RFC 3515 r, RFC 3892 b, RFC 4028 x, RFC 8224 y). */
function compactId(c: number): number {
	switch (c | 0x20) {
		case 0x76: return H.VIA;              // v
		case 0x66: return H.FROM;             // f
		case 0x74: return H.TO;               // t
		case 0x69: return H.CALL_ID;          // i
		case 0x6D: return H.CONTACT;          // m
		case 0x6C: return H.CONTENT_LENGTH;   // l
		case 0x63: return H.CONTENT_TYPE;     // c
		case 0x65: return H.CONTENT_ENCODING; // e
		case 0x73: return H.SUBJECT;          // s
		case 0x6B: return H.SUPPORTED;        // k
		case 0x6F: return H.EVENT;            // o
		case 0x75: return H.ALLOW_EVENTS;     // u
		case 0x72: return H.REFER_TO;         // r
		case 0x62: return H.REFERRED_BY;      // b
		case 0x78: return H.SESSION_EXPIRES;  // x
		case 0x79: return H.IDENTITY;         // y
	}
	return H.OTHER;
}

/** Id of the header whose name is bytes[start, end); 0 when not known. */
export function headerIdOfBytes(bytes: Uint8Array, start: number, end: number): number {
	const n = end - start;
	if (n === 1)
		return compactId(bytes[start]);
	if (n >= BY_LENGTH.length)
		return H.OTHER;
	const ids = BY_LENGTH[n];
	const first = bytes[start] | 0x20;
	for (let i = 0; i < ids.length; i++) {
		const lower = LOWER[ids[i]];
		if (lower.charCodeAt(0) === first && equalsLower(bytes, start, end, lower))
			return ids[i];
	}
	return H.OTHER;
}

/** Id of a header name given as a string (any case, long or compact form). */
export function headerIdOf(name: string): number {
	if (name.length === 1)
		return compactId(name.charCodeAt(0));
	const lower = name.toLowerCase();
	const ids = lower.length < BY_LENGTH.length ? BY_LENGTH[lower.length] : undefined;
	if (ids) {
		for (let i = 0; i < ids.length; i++) {
			if (LOWER[ids[i]] === lower)
				return ids[i];
		}
	}
	return H.OTHER;
}

/** The canonical spelling of a header name; unknown names are kept as given. */
export function canonicalName(name: string): string {
	const id = headerIdOf(name);
	return id ? HEADER_NAMES[id] : name;
}

export function lowerNameOf(id: number): string {
	return LOWER[id];
}

/** A header name is a token (RFC 3261 §7.3.1, §25.1). */
export function isValidHeaderName(name: string): boolean {
	if (name.length === 0)
		return false;
	for (let i = 0; i < name.length; i++) {
		if (!isTokenChar(name.charCodeAt(i)))
			return false;
	}
	return true;
}

/** Methods are case-sensitive (RFC 3261 §7.1); known ones come back as shared constants. */
const METHODS: readonly string[] = Object.freeze([
	"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK",
	"SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH",
]);

/** The method named by bytes[start, end): a shared constant when known, decoded otherwise. */
export function methodOf(bytes: Uint8Array, start: number, end: number): string {
	const n = end - start;
	for (let i = 0; i < METHODS.length; i++) {
		const m = METHODS[i];
		if (m.length !== n || m.charCodeAt(0) !== bytes[start])
			continue;
		let j = 1;
		while (j < n && bytes[start + j] === m.charCodeAt(j))
			j++;
		if (j === n)
			return m;
	}
	return decodeText(bytes, start, end);
}
