/*
 * The Node host's native text helpers must give exactly what the JavaScript
 * routines give (TextHelpers in modules/sip/text.ts): the serializer and the
 * parser cannot tell which ran.
 */
import assert from "node:assert/strict";
import { nodeTextHelpers } from "../../hosts/node/text.js";
import { decodeJs, encodeText, setTextHelpers, utf8LengthJs } from "../../modules/sip/text.js";
import { createResponse, serializeRequest } from "../../modules/sip/serialize.js";
import { SipParser } from "../../modules/sip/message.js";

const TEXTS = ["", "a", "SIP/2.0 200 OK\r\n", "s=Türöffner\r\n", "\u{1F6AA} door", "lone \uD800 high", "lone \uDC00 low", "end \uD83D", "\uFFFF\u0080\u07FF\u0800"];

describe("Node text helpers", () => {
	it("encode and count UTF-8 exactly as the JavaScript routines, lone surrogates included", () => {
		for (const t of TEXTS) {
			assert.deepEqual(Array.from(nodeTextHelpers.encode!(t)!), Array.from(encodeText(t)), JSON.stringify(t));
			assert.equal(nodeTextHelpers.utf8Length!(t), utf8LengthJs(t), JSON.stringify(t));
		}
	});

	it("decode as decodeJs does, invalid sequences included", () => {
		const cases = [[0x41, 0xE2, 0x82, 0x41], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98, 0x80], [0xC3, 0xA9, 0x74, 0xC3], [0x61, 0x62, 0x63, 0x64], [0xEF, 0xBB, 0xBF, 0x41, 0x42]];	// the last: a BOM is a character like any other
		for (const c of cases) {
			const b = Uint8Array.from([0x20, ...c, 0x20]);
			assert.equal(nodeTextHelpers.decode!(b, 1, b.length - 1), decodeJs(b, 1, b.length - 1), c.join(","));
		}
	});

	it("serialize the same octets with the helpers as without", () => {
		const request = { method: "INVITE", uri: "sip:door@192.0.2.1", headers: [["Via", "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx"], ["From", "\"Tür \uD800\" <sip:a@192.0.2.2>;tag=1"], ["To", "<sip:door@192.0.2.1>"], ["Call-ID", "c1"], ["CSeq", "1 INVITE"]] as Array<[string, string]>, body: "v=0\r\ns=\u{1F6AA}\r\n" };
		const plain = serializeRequest(request);
		setTextHelpers(nodeTextHelpers);
		try {
			const native = serializeRequest(request);
			assert.deepEqual(Array.from(native), Array.from(plain));
			const received = new SipParser().parse(plain);
			const answer = createResponse(received, 200, { toTag: "t", body: "v=0\r\ns=é\r\n" });
			setTextHelpers(null);
			assert.deepEqual(Array.from(answer), Array.from(createResponse(received, 200, { toTag: "t", body: "v=0\r\ns=é\r\n" })));
		}
		finally {
			setTextHelpers(null);
		}
	});
});
