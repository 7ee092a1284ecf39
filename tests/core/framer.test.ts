import { deepEqual, equal, ok } from "../lib/assert.js";
import { bytes, message } from "../lib/fixtures.js";
import { SipParseError } from "../../modules/sip/errors.js";
import { SipStreamFramer } from "../../modules/sip/framer.js";
import { type SipMessage, SipParser } from "../../modules/sip/message.js";

function collect(maxSize?: number) {
	const got = { messages: [] as SipMessage[], pings: 0, pongs: 0, errors: [] as SipParseError[], bad: [] as SipParseError[] };
	const framer = new SipStreamFramer({
		parser: new SipParser(maxSize ? { maxSize } : {}),
		onMessage(m) { got.messages.push(m); },
		onKeepAlive(ping) { ping ? got.pings++ : got.pongs++; },
		onError(e) { got.errors.push(e); },
		onBadMessage(e) { got.bad.push(e); },
	});
	return { framer, got };
}

const A = message("OPTIONS sip:a@b SIP/2.0", "Call-ID: one", "CSeq: 1 OPTIONS", "Content-Length: 0", "", "");
const B = message("MESSAGE sip:a@b SIP/2.0", "Call-ID: two", "CSeq: 2 MESSAGE", "Content-Length: 5", "", "hello");

describe("stream framing (RFC 3261 §18.3, RFC 5626 keep-alives)", () => {
	it("delivers pipelined messages from one read", () => {
		const { framer, got } = collect();
		const both = new Uint8Array(A.length + B.length);
		both.set(A);
		both.set(B, A.length);
		ok(framer.push(both));
		deepEqual(got.messages.map((m) => m.header("Call-ID")), ["one", "two"]);
		equal(String.fromCharCode(...got.messages[1].body), "hello");
		equal(framer.buffered, 0);
	});

	it("reassembles a message split at every possible point", () => {
		for (let cut = 1; cut < B.length; cut++) {
			const { framer, got } = collect();
			framer.push(B.subarray(0, cut));
			equal(got.messages.length, 0, "cut " + cut);
			framer.push(B.subarray(cut));
			equal(got.messages.length, 1, "cut " + cut);
			equal(String.fromCharCode(...got.messages[0].body), "hello");
		}
	});

	it("one octet at a time", () => {
		const { framer, got } = collect();
		for (let i = 0; i < B.length; i++)
			framer.push(B.subarray(i, i + 1));
		equal(got.messages.length, 1);
	});

	it("tells pings (CRLFCRLF) from pongs (CRLF) between messages", () => {
		const { framer, got } = collect();
		framer.push(bytes("\r\n\r\n"));
		framer.push(bytes("\r\n"));
		framer.push(A);
		framer.push(bytes("\r\n\r\n"));
		equal(got.pings, 2);
		equal(got.pongs, 1);
		equal(got.messages.length, 1);
	});

	it("a message larger than the limit fails the stream, once", () => {
		const { framer, got } = collect(256);
		const big = message("MESSAGE sip:a@b SIP/2.0", "Content-Length: 1000", "", "x".repeat(1000));
		equal(framer.push(big), false);
		equal(got.errors.length, 1);
		equal(got.errors[0].status, 513);
		equal(framer.push(A), false, "nothing more is read");
		equal(got.messages.length, 0);
		const endless = collect(256);
		equal(endless.framer.push(bytes("OPTIONS sip:a@b SIP/2.0\r\nX: " + "y".repeat(300))), false, "a header section that never ends");
	});

	it("a bad Content-Length loses the framing: the stream must be closed (RFC 4475 §3.3.9)", () => {
		const { framer, got } = collect();
		equal(framer.push(message("INVITE sip:a@b SIP/2.0", "Content-Length: 5", "l: 13", "", "0123456789abc")), false);
		equal(got.errors[0].reason, "Multiple Content-Length headers");
		const neg = collect();
		equal(neg.framer.push(message("INVITE sip:a@b SIP/2.0", "Content-Length: -999", "", "")), false);
	});

	it("a malformed message with intact framing is reported and the stream goes on", () => {
		const { framer, got } = collect();
		ok(framer.push(message("INVITE sip:a@b SIP/7.0", "Content-Length: 0", "", "")));
		ok(framer.push(A));
		equal(got.bad.length, 1);
		equal(got.bad[0].status, 505);
		equal(got.messages.length, 1);
	});

	it("a callback that throws does not replay or lose the next message", () => {
		let calls = 0;
		const framer = new SipStreamFramer({ parser: new SipParser(), onMessage() { calls++; if (calls === 1) throw new Error("boom"); } });
		const both = new Uint8Array(A.length * 2);
		both.set(A);
		both.set(A, A.length);
		let thrown = false;
		try {
			framer.push(both);
		}
		catch {
			thrown = true;
		}
		ok(thrown, "the callback's error is not swallowed");
		equal(calls, 2);
		equal(framer.buffered, 0);
	});
});
