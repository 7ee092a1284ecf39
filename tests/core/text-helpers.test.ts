/*
 * The host's native text helpers (TextHelpers in modules/sip/text.ts) must not
 * change what the SIP layers see: the same strings, the same offsets, the same
 * errors. Here a helper in plain JavaScript stands in for the host's (so the
 * test runs inside XS too), and every torture message is parsed with and
 * without it. Also: the JavaScript UTF-8 decoder follows the WHATWG rules
 * native decoders use, and header names are found through their keys.
 */
import { deepEqual, equal, ok } from "../lib/assert.js";
import { listFixtures, readFixture } from "../lib/fixtures.js";
import { SipParser } from "../../modules/sip/message.js";
import { describeMessage } from "../../modules/sip/describe.js";
import { HEADER_NAMES, headerIdOf, headerIdOfBytes } from "../../modules/sip/names.js";
import { type TextHelpers, decodeJs, decodeText, encodeText, setTextHelpers, utf8Length, utf8LengthJs } from "../../modules/sip/text.js";
import { createResponse, serializeRequest, serializeResponse } from "../../modules/sip/serialize.js";

function bytesOf(codes: number[]): Uint8Array {
	return Uint8Array.from(codes);
}

/** A stand-in for a host: decode through decodeJs, search through a one-character-per-octet copy. */
const JS_HELPERS: TextHelpers = {
	decode: (bytes, start, end) => decodeJs(bytes, start, end),
	searchText(bytes, start, end) {
		const parts: string[] = [];
		for (let i = start; i < end; i++)
			parts.push(String.fromCharCode(bytes[i] < 0x80 ? bytes[i] : 0xFFFD));
		return parts.join("");
	},
	// as the Moddable host's: ASCII only, anything else left to the serializer
	encode(s) {
		const out = new Uint8Array(s.length);
		for (let i = 0; i < s.length; i++) {
			const c = s.charCodeAt(i);
			if (c >= 0x80)
				return undefined;
			out[i] = c;
		}
		return out;
	},
};

/** Every octet of a serialized message, as numbers (for deepEqual). */
function octets(bytes: Uint8Array): number[] {
	return Array.from(bytes);
}

/** Everything a parse gives, or the error it throws. */
function outcome(bytes: Uint8Array): unknown {
	try {
		const m = new SipParser().parse(bytes);
		const d = describeMessage(m) as unknown as Record<string, unknown>;
		let keys: unknown;
		try {
			keys = [m.branch(), m.callId(), m.cseq().seq, m.fromTag(), m.toTag()];
		}
		catch (e) {
			keys = String((e as Error).message);
		}
		return { d: JSON.stringify(d), keys };
	}
	catch (e) {
		return { error: (e as Error).message, partial: (e as { partial?: unknown }).partial !== undefined };
	}
}

describe("text helpers", () => {
	it("decodes invalid UTF-8 with one U+FFFD per maximal subpart (WHATWG), like native decoders", () => {
		const cases: Array<[number[], string]> = [
			[[0x41, 0xE2, 0x82, 0x41], "A\uFFFDA"],	// truncated 3-octet sequence: one replacement
			[[0xE0, 0x80, 0x80], "\uFFFD\uFFFD\uFFFD"],	// overlong: E0 needs A0-BF next
			[[0xED, 0xA0, 0x80], "\uFFFD\uFFFD\uFFFD"],	// a surrogate
			[[0xF0, 0x9F, 0x98, 0x80], "\uD83D\uDE00"],
			[[0xF0, 0x9F, 0x98], "\uFFFD"],
			[[0xF4, 0x90, 0x80, 0x80], "\uFFFD\uFFFD\uFFFD\uFFFD"],
			[[0xC0, 0x80], "\uFFFD\uFFFD"],
			[[0x80, 0x41], "\uFFFDA"],
			[[0xC3, 0xA9, 0x74, 0xC3], "\u00E9t\uFFFD"],
		];
		for (const [codes, expected] of cases)
			equal(decodeJs(bytesOf(codes), 0, codes.length), expected, codes.join(","));
		const text = "Türöffner \u{1F6AA} ok";
		equal(decodeJs(encodeText(text), 0, encodeText(text).length), text);
	});

	it("counts UTF-8 octets as the encoder writes them, with or without a host's counter", () => {
		const texts = ["", "abc", "v=0\r\ns=Türöffner\r\n", "\u{1F6AA} door", "lone \uD800 high", "lone \uDC00 low", "end \uD83D"];
		for (const t of texts)
			equal(utf8LengthJs(t), encodeText(t).length, JSON.stringify(t));
		setTextHelpers({ utf8Length: (t) => utf8LengthJs(t) + 0 });
		try {
			for (const t of texts)
				equal(utf8Length(t), encodeText(t).length, JSON.stringify(t));
		}
		finally {
			setTextHelpers(null);
		}
	});

	it("finds every known header name, any case, through its keys; others are 0", () => {
		for (let id = 1; id < HEADER_NAMES.length; id++) {
			const name = HEADER_NAMES[id];
			for (const spelled of [name, name.toLowerCase(), name.toUpperCase()]) {
				const b = encodeText(spelled);
				equal(headerIdOfBytes(b, 0, b.length), id, spelled);
				equal(headerIdOf(spelled), id, spelled);
			}
		}
		for (const letter of "vftimlceskourbxy") {
			const b = encodeText(letter);
			equal(headerIdOfBytes(b, 0, 1), headerIdOf(letter), letter);
			ok(headerIdOf(letter) > 0, letter);
		}
		for (const other of ["Vía", "Via_", "Via2", "X-Via", "Content-Lengthx", "Proxy-Authorizatio", "Proxy-Authorizationn", "Authentication-Info-And-More-Text", "a", "q", "CallID"]) {
			const b = encodeText(other);
			equal(headerIdOfBytes(b, 0, b.length), 0, other);
		}
	});

	it("parse gives the same messages, keys and errors with the host helpers as without", () => {
		const files = listFixtures("torture").filter((name) => name.endsWith(".dat")).map((name) => "torture/" + name);
		ok(files.length > 20, "fixtures found");
		const plain = files.map((f) => outcome(readFixture(f)));
		setTextHelpers(JS_HELPERS);
		try {
			const helped = files.map((f) => outcome(readFixture(f)));
			for (let i = 0; i < files.length; i++)
				deepEqual(helped[i], plain[i], files[i]);
			equal(decodeText(bytesOf([0x41, 0xE2, 0x82, 0x41]), 0, 4), "A\uFFFDA");
		}
		finally {
			setTextHelpers(null);
		}
	});

	it("writes the same octets with the host helpers as without: responses to every torture request, and values with line breaks and non-ASCII text", () => {
		const files = listFixtures("torture").filter((name) => name.endsWith(".dat")).map((name) => "torture/" + name);
		const requests = files.map((f) => {
			try {
				const m = new SipParser().parse(readFixture(f));
				return m.method !== undefined ? m : undefined;
			}
			catch {
				return undefined;
			}
		}).filter((m) => m !== undefined);
		ok(requests.length > 10, "requests parsed");
		const folded = new SipParser().parse(new TextEncoder().encode("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>\r\n ;tag=1\r\nTo: \"J\u00fcrgen\" <sip:a@b>\r\nCall-ID: c\rd\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"));
		const write = () => [
			...requests.map((r) => octets(createResponse(r, 200, { toTag: "t1", headers: [["Contact", "<sip:door@192.0.2.1>"], ["Subject", "line\r\nInjected: yes"]], body: "v=0\r\n" }))),
			octets(createResponse(folded, 486, { toTag: "t2" })),
			octets(serializeRequest({ method: "MESSAGE", uri: "sip:a@b", headers: [["From", "\"D\u00f6rte \ud83d\udd14\" <sip:d@b>;tag=9"], ["Subject", "a\rb\nc"], ["Raw", new TextEncoder().encode("x\ry")]], body: "gr\u00fc\u00dfe" })),
			octets(serializeResponse({ status: 200, headers: [["Lone", "\ud800"]], body: new Uint8Array([1, 2, 3]) })),
		];
		const plain = write();
		setTextHelpers(JS_HELPERS);
		try {
			const helped = write();
			equal(helped.length, plain.length);
			for (let i = 0; i < plain.length; i++)
				deepEqual(helped[i], plain[i], "message " + i);
		}
		finally {
			setTextHelpers(null);
		}
	});
});
