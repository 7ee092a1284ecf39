/*
 * Header names: a small id per known header so lookups compare integers, the
 * canonical spelling used when writing, and the compact forms of RFC 3261
 * §7.3.3 (and of the extensions that define one). Names are case-insensitive
 * (§7.3.1). Built once at module load (preload-safe): name lists frozen, the
 * scan tables plain read-only arrays (see CHAR_CLASS in text.ts).
 */
import { CHAR_CLASS, C_TOKEN, decodeText } from "./text.js";

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

/*
 * Header names are matched without comparing characters: while the parser
 * scans a name it folds every octet into a number, 5 bits per octet through
 * NAME_CODE (a-z and A-Z 1-26, "-" 27, any other token octet 31, which no
 * known name holds; 0 ends the name). The first 10 octets make `key1`, the
 * rest `key2`: both exact (50 bits at most, and each octet's code is non-zero,
 * so the numbers also encode the length; a suffix longer than 10 octets gives
 * a key2 above every known one). The pair is looked up in an open-addressing
 * table of read-only arrays (no Map at module level).
 */
export const NAME_CODE: readonly number[] = (() => {	// plain, not frozen: see CHAR_CLASS in text.ts
	const t: number[] = [];
	for (let c = 0; c < 256; c++) {
		if (c >= 97 && c <= 122)
			t.push(c - 96);
		else if (c >= 65 && c <= 90)
			t.push(c - 64);
		else if (c === 45)
			t.push(27);
		else
			t.push((CHAR_CLASS[c] & C_TOKEN) !== 0 ? 31 : 0);
	}
	return t;
})();

/** Octets folded into key1 (the rest go to key2). */
export const KEY1_OCTETS = 10;
const KEY_SLOTS = 256;

function keysOf(lower: string): [number, number] {
	let k1 = 0, k2 = 0;
	for (let i = 0; i < lower.length; i++) {
		const code = NAME_CODE[lower.charCodeAt(i)];
		if (i < KEY1_OCTETS)
			k1 = k1 * 32 + code;
		else
			k2 = k2 * 32 + code;
	}
	return [k1, k2];
}

/** Slot of a key pair in the table (the probe starts here): integer operations only (a % on numbers above 2**31 is slow in V8). */
export function keySlot(key1: number, key2: number): number {
	return ((key1 | 0) ^ ((key1 / 1048576) | 0) ^ (key2 | 0)) & (KEY_SLOTS - 1);
}

const COMPACT_LETTERS = "vftimlceskourbxy";

/** KEY1, KEY2 and KEY_ID: the open-addressing table (KEY1 0 marks an empty slot). */
const KEY_TABLE = (() => {
	const k1s: number[] = new Array<number>(KEY_SLOTS).fill(0);
	const k2s: number[] = new Array<number>(KEY_SLOTS).fill(0);
	const ids: number[] = new Array<number>(KEY_SLOTS).fill(0);
	const add = (lower: string, id: number) => {
		const [k1, k2] = keysOf(lower);
		let i = keySlot(k1, k2);
		while (k1s[i] !== 0)
			i = (i + 1) % KEY_SLOTS;
		k1s[i] = k1;
		k2s[i] = k2;
		ids[i] = id;
	};
	for (let id = 1; id < LOWER.length; id++)
		add(LOWER[id], id);
	for (let i = 0; i < COMPACT_LETTERS.length; i++)
		add(COMPACT_LETTERS[i], compactId(COMPACT_LETTERS.charCodeAt(i)));
	return [k1s, k2s, ids] as const;	// plain, not frozen: see CHAR_CLASS in text.ts
})();
export const KEY1: readonly number[] = KEY_TABLE[0];
export const KEY2: readonly number[] = KEY_TABLE[1];
export const KEY_ID: readonly number[] = KEY_TABLE[2];

/** The id of a header name from its keys (see NAME_CODE); 0 when not known. */
export function headerIdOfKeys(key1: number, key2: number): number {
	let i = keySlot(key1, key2);
	let k;
	while ((k = KEY1[i]) !== 0) {
		if (k === key1 && KEY2[i] === key2)
			return KEY_ID[i];
		i = (i + 1) & (KEY_SLOTS - 1);
	}
	return 0;
}

/**
 * Known names whole -> id: the canonical spelling (what most senders write),
 * lower case, and the compact letters in both cases. Where the host gives the
 * parser a searchable copy of the message (XS), a name is found with one
 * native search for its colon and one Map read, not a table read per octet;
 * another spelling is looked up lower-cased. Read-only once built (preload).
 */
export const NAME_IDS: ReadonlyMap<string, number> = (() => {
	const m = new Map<string, number>();
	for (let id = 1; id < HEADER_NAMES.length; id++) {
		m.set(HEADER_NAMES[id], id);
		m.set(LOWER[id], id);
	}
	for (let i = 0; i < COMPACT_LETTERS.length; i++) {
		const id = compactId(COMPACT_LETTERS.charCodeAt(i));
		m.set(COMPACT_LETTERS[i], id);
		m.set(COMPACT_LETTERS[i].toUpperCase(), id);
	}
	return m;
})();

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
	let k1 = 0, k2 = 0;
	const mid = Math.min(end, start + KEY1_OCTETS);
	let i = start;
	for (; i < mid; i++) {
		const code = NAME_CODE[bytes[i]];
		if (code === 0 || code === 31)
			return H.OTHER;
		k1 = k1 * 32 + code;
	}
	for (; i < end; i++) {
		const code = NAME_CODE[bytes[i]];
		if (code === 0 || code === 31)
			return H.OTHER;
		k2 = k2 * 32 + code;
	}
	return end > start ? headerIdOfKeys(k1, k2) : H.OTHER;
}

/** Known ids grouped by name length, for lookups by string. */
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
		if ((CHAR_CLASS[name.charCodeAt(i)] & C_TOKEN) === 0)
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
