import { deepEqual, equal, ok, throws } from "../lib/assert.js";
import { bytes, message } from "../lib/fixtures.js";
import { SipParseError, SipParser, parseMessage } from "../../modules/sip/message.js";
import { H } from "../../modules/sip/names.js";

const isParseError = (status: number, reason?: string) => (e: unknown) =>
	e instanceof SipParseError && e.status === status && (reason === undefined || e.reason === reason);

const OPTIONS = message(
	"OPTIONS sip:door@192.0.2.10 SIP/2.0",
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport",
	"Max-Forwards: 70",
	"To: <sip:door@192.0.2.10>",
	"From: \"Admin\" <sip:admin@example.com>;tag=1928301774",
	"Call-ID: a84b4c76e66710@pc33.example.com",
	"CSeq: 63104 OPTIONS",
	"Accept: application/sdp",
	"Content-Length: 0",
	"", "");

describe("message parser", () => {
	it("parses a request line and indexes headers without decoding them", () => {
		const m = parseMessage(OPTIONS);
		equal(m.method, "OPTIONS");
		equal(m.isRequest, true);
		equal(m.status, 0);
		equal(m.uriText, "sip:door@192.0.2.10");
		equal(m.headerCount, 8);
		equal(m.headerIdAt(0), H.VIA);
		equal(m.headerNameAt(2), "To");
		equal(m.header("call-id"), "a84b4c76e66710@pc33.example.com");
		equal(m.header("I"), "a84b4c76e66710@pc33.example.com", "compact form finds the long name");
		equal(m.header("X-Missing"), undefined);
		equal(m.bodyEnd - m.bodyStart, 0);
		m.validate();
	});

	it("reads the transaction and dialog keys straight from the octets", () => {
		const m = parseMessage(OPTIONS);
		equal(m.branch(), "z9hG4bK776asdhds");
		equal(m.fromTag(), "1928301774");
		equal(m.toTag(), undefined);
		equal(m.callId(), "a84b4c76e66710@pc33.example.com");
		deepEqual(m.cseq().toJSON(), { seq: 63104, method: "OPTIONS" });
		equal(m.topVia().rport, null);
	});

	it("key lookups skip look-alikes inside quotes and URIs", () => {
		const m = parseMessage(message(
			"BYE sip:a@b SIP/2.0",
			"Via: SIP/2.0/UDP h;received=192.0.2.1;branch=z9hG4bKreal",
			"From: \"tag=evil;tag=x\" <sip:a@b;tag=uri>;tag=good",
			"To: sip:c@d;tag=addrspec",
			"Call-ID: x", "CSeq: 2 BYE", "", ""));
		equal(m.fromTag(), "good");
		equal(m.toTag(), "addrspec");
		equal(m.branch(), "z9hG4bKreal");
	});

	it("parses status lines, with and without reason phrases", () => {
		const m = parseMessage(message("SIP/2.0 180 Ringing", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "", ""));
		equal(m.status, 180);
		equal(m.reason, "Ringing");
		equal(m.method, undefined);
		equal(parseMessage(message("SIP/2.0 200", "", "")).reason, "");
		throws(() => parseMessage(message("SIP/2.0 99 Low", "", "")), isParseError(400, "Bad status code"));
		throws(() => parseMessage(message("SIP/2.0 700 High", "", "")), isParseError(400, "Bad status code"));
		throws(() => parseMessage(message("SIP/2.0 2000 OK", "", "")), isParseError(400, "Bad status code"));
	});

	it("answers other SIP versions 505 and junk 400", () => {
		throws(() => parseMessage(message("INVITE sip:a@b SIP/3.0", "", "")), isParseError(505));
		throws(() => parseMessage(message("INVITE sip:a@b HTTP/1.1", "", "")), isParseError(400));
		throws(() => parseMessage(message("GET / HTTP/1.1", "", "")), isParseError(400));
	});

	it("interns known methods and keeps extension methods case-sensitive", () => {
		equal(parseMessage(message("INVITE sip:a@b SIP/2.0", "", "")).method, "INVITE");
		equal(parseMessage(message("invite sip:a@b SIP/2.0", "", "")).method, "invite");
	});

	it("unfolds continuation lines and trims LWS", () => {
		const m = parseMessage(message("OPTIONS sip:a@b SIP/2.0", "Subject:   first\t", "\t second  ", "   third", "X-Empty:", "", ""));
		equal(m.header("Subject"), "first second third");
		equal(m.header("x-empty"), "");
	});

	it("accepts bare LF line ends and ignores CRLFs before the start line (§7.5)", () => {
		const m = parseMessage(bytes("\r\n\r\nOPTIONS sip:a@b SIP/2.0\nCall-ID: x\nCSeq: 1 OPTIONS\n\n"));
		equal(m.header("Call-ID"), "x");
	});

	it("frames a datagram body by Content-Length and refuses a short one (§18.3)", () => {
		const m = parseMessage(message("MESSAGE sip:a@b SIP/2.0", "Content-Length: 5", "", "helloEXTRA"));
		equal(m.bodyEnd - m.bodyStart, 5);
		equal(String.fromCharCode(...m.body), "hello");
		const n = parseMessage(message("MESSAGE sip:a@b SIP/2.0", "", "no length: to the end"));
		equal(n.bodyEnd, n.bytes.length);
		throws(() => parseMessage(message("MESSAGE sip:a@b SIP/2.0", "l: 50", "", "short")), isParseError(400, "Content-Length larger than message"));
		throws(() => parseMessage(message("MESSAGE sip:a@b SIP/2.0", "l: 1", "Content-Length: 1", "", "x")), isParseError(400, "Multiple Content-Length headers"));
		throws(() => parseMessage(message("MESSAGE sip:a@b SIP/2.0", "l: 1x", "", "x")), isParseError(400, "Bad Content-Length"));
	});

	it("the body is a view over the received octets, not a copy", () => {
		const m = parseMessage(message("MESSAGE sip:a@b SIP/2.0", "Content-Length: 3", "", "abc"));
		equal(m.body.buffer, m.bytes.buffer);
	});

	it("enforces the size and header-count limits", () => {
		const parser = new SipParser({ maxSize: 200, maxHeaders: 4 });
		throws(() => parser.parse(new Uint8Array(201)), isParseError(513, "Message Too Large"));
		const five = message("OPTIONS sip:a@b SIP/2.0", "A: 1", "B: 2", "C: 3", "D: 4", "E: 5", "", "");
		throws(() => parser.parse(five), isParseError(400, "Too many headers"));
		equal(new SipParser({ maxHeaders: 5 }).parse(five).headerCount, 5);
		equal(new SipParser({ maxSize: 1 << 20 }).maxSize, 65535, "the index holds 16-bit offsets");
	});

	it("refuses malformed header lines", () => {
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", "No colon here", "", "")), isParseError(400, "Bad header line"));
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", ": no name", "", "")), isParseError(400, "Bad header line"));
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", "Bad Name: x", "", "")), isParseError(400, "Bad header line"));
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", "Call-ID: x")), isParseError(400, "Incomplete header section"));
	});

	it("validate() demands the mandatory headers once each and a matching CSeq", () => {
		const base = ["Via: SIP/2.0/UDP h;branch=z9hG4bK1", "To: <sip:a@b>", "From: <sip:c@d>;tag=1", "Call-ID: x", "CSeq: 1 OPTIONS"];
		parseMessage(message("OPTIONS sip:a@b SIP/2.0", ...base, "", "")).validate();
		for (let i = 0; i < base.length; i++) {
			const lines = base.filter((_, j) => j !== i);
			throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", ...lines, "", "")).validate(), isParseError(400), "without " + base[i]);
		}
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", ...base, "i: y", "", "")).validate(), isParseError(400, "Multiple Call-ID headers"));
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", ...base.slice(0, 4), "CSeq: 1 INVITE", "", "")).validate(), isParseError(400, "CSeq method does not match the request"));
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", ...base, "Max-Forwards: 256", "", "")).validate(), isParseError(400, "Bad Max-Forwards"));
		throws(() => parseMessage(message("OPTIONS sip:a@b SIP/2.0", ...base, "Expires: 4294967296", "", "")).validate(), isParseError(400, "Bad Expires"));
		parseMessage(message("OPTIONS sip:a@b SIP/2.0", ...base, "Expires: 4294967295", "", "")).validate();
	});

	it("hostile input: every truncation and random octets give SipParseError or a message, never another exception", () => {
		const parser = new SipParser();
		const sample = OPTIONS;
		for (let n = 0; n <= sample.length; n++) {
			try {
				const m = parser.parse(sample.subarray(0, n));
				m.validate();
			}
			catch (e) {
				ok(e instanceof SipParseError, "truncated at " + n + ": " + String(e));
			}
		}
		let seed = 12345;
		const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
		for (let round = 0; round < 300; round++) {
			const mutated = sample.slice();
			for (let k = 0; k < 1 + (round % 8); k++)
				mutated[random() % mutated.length] = random() & 0xFF;
			const noise = new Uint8Array(random() % 400);
			for (let i = 0; i < noise.length; i++)
				noise[i] = random() & 0xFF;
			for (const input of [mutated, noise]) {
				try {
					const m = parser.parse(input);
					m.validate();
					for (let i = 0; i < m.headerCount; i++)
						m.headerValueAt(i);
				}
				catch (e) {
					ok(e instanceof SipParseError, "round " + round + ": " + String(e));
				}
			}
		}
	});
});
