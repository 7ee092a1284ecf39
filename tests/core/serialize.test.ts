import { deepEqual, equal, ok } from "../lib/assert.js";
import { message } from "../lib/fixtures.js";
import { NameAddr, Via } from "../../modules/sip/headers.js";
import { parseMessage } from "../../modules/sip/message.js";
import { type HeaderList, type OutgoingResponse, MessageWriter, createResponse, formatRequest, formatResponse, reasonPhrase, serializeMessage, serializeRequest, serializeResponse } from "../../modules/sip/serialize.js";
import { decodeText, setTextHelpers } from "../../modules/sip/text.js";
import { parseUri } from "../../modules/sip/uri.js";

const text = (b: Uint8Array) => decodeText(b, 0, b.length);

/** Run f with the text form appending lines (rope strings, V8) and joining them (copying concatenation, XS). */
function bothWays(f: () => void): void {
	for (const copyingConcat of [false, true]) {
		setTextHelpers({ copyingConcat });
		try {
			f();
		}
		finally {
			setTextHelpers(null);
		}
	}
}

const INVITE = {
	method: "INVITE",
	uri: parseUri("sip:1001@192.0.2.20"),
	headers: [
		["Via", new Via("UDP", "192.0.2.50", 5060, new Map([["branch", "z9hG4bKx1"], ["rport", null]]))],
		["Max-Forwards", 70],
		["From", new NameAddr(parseUri("sip:door@example.com"), "Front Door", new Map([["tag", "t1"]]))],
		["To", new NameAddr(parseUri("sip:1001@example.com"))],
		["Call-ID", "c1@192.0.2.50"],
		["CSeq", "1 INVITE"],
		["Subject", "Tür öffnen"],
		["Content-Type", "application/sdp"],
	] as Array<[string, string | number | object]>,
	body: "v=0\r\n",
};

describe("serializer", () => {
	it("writes a request that parses back to the same fields, with Content-Length in octets", () => {
		const wire = serializeRequest(INVITE);
		const m = parseMessage(wire);
		m.validate();
		equal(m.method, "INVITE");
		equal(m.uriText, "sip:1001@192.0.2.20");
		equal(m.branch(), "z9hG4bKx1");
		equal(m.from().displayName, "Front Door");
		equal(m.header("Subject"), "Tür öffnen");
		equal(m.header("Content-Length"), "5");
		equal(text(m.body), "v=0\r\n");
		ok(text(wire).startsWith("INVITE sip:1001@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKx1;rport\r\n"));
	});

	it("the text form, the reused-buffer writer and the exact form agree", () => {
		bothWays(() => {
			const exact = serializeRequest(INVITE);
			equal(formatRequest(INVITE), text(exact));
			const writer = new MessageWriter({ initialSize: 16 });
			equal(text(writer.request(INVITE)), text(exact), "grows from a small buffer");
			const r = { status: 486, headers: [["Call-ID", "x"]] as Array<[string, string]> };
			equal(text(writer.response(r)), text(serializeResponse(r)));
		});
	});

	it("the text form writes each line once, the empty line and the body, with or without a body", () => {
		bothWays(() => {
			equal(formatRequest({ method: "OPTIONS", uri: "sip:a@b", headers: [["Call-ID", "x"], ["Max-Forwards", 70]] }),
				"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
			equal(formatResponse({ status: 200, headers: [] }), "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
			equal(formatResponse({ status: 200, headers: [["Content-Type", "text/plain"]], body: "é\r\n" }),
				"SIP/2.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\né\r\n");
			equal(formatResponse({ status: 200, headers: [], body: Uint8Array.of(104, 105) }), "SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi");
			for (const r of [{ status: 180, headers: [] }, { status: 200, headers: INVITE.headers, body: "v=0\r\n" }, { status: 200, headers: INVITE.headers, body: "" }] as OutgoingResponse[])
				equal(formatResponse(r), text(serializeResponse(r)));
		});
	});

	it("a structured value changed after it was written is written with its new content", () => {
		bothWays(() => {
			const m = parseMessage(message("INVITE sip:door@h SIP/2.0", "Via: SIP/2.0/UDP a:5060;branch=z9hG4bK1;rport", "From: \"Gate\" <sip:x@y>;tag=f1", "To: <sip:door@h>", "Call-ID: c", "CSeq: 1 INVITE", "", ""));
			const via = m.vias()[0], from = m.from();
			const request = { method: "INVITE", uri: "sip:door@h", headers: [["Via", via], ["From", from]] as HeaderList };
			ok(formatRequest(request).includes("Via: SIP/2.0/UDP a:5060;branch=z9hG4bK1;rport\r\nFrom: \"Gate\" <sip:x@y>;tag=f1\r\n"));
			via.params.set("rport", "5062");
			via.params.set("received", "192.0.2.7");
			from.params.set("tag", "f2");
			from.displayName = "Door";
			const again = formatRequest(request);
			ok(again.includes("Via: SIP/2.0/UDP a:5060;branch=z9hG4bK1;rport=5062;received=192.0.2.7\r\nFrom: \"Door\" <sip:x@y>;tag=f2\r\n"), again);
			equal(again, text(serializeRequest(request)));
		});
	});

	it("drops a caller's Content-Length and never lets a value inject a line", () => {
		bothWays(() => {
			const wire = text(serializeRequest({ method: "OPTIONS", uri: "sip:a@b", headers: [["Content-Length", "99"], ["l", "7"], ["Subject", "x\r\nInjected: yes"]] }));
			equal(wire.indexOf("Content-Length: 99"), -1);
			equal(wire.indexOf("\r\nInjected"), -1);
			equal(parseMessage(serializeRequest({ method: "OPTIONS", uri: "sip:a@b", headers: [["Subject", "x\r\nInjected: yes"]] })).has("Injected"), false);
			// the text form too, for strings, octets and the Content-Length it writes itself
			const octets = Uint8Array.from("y\r\nInjected: yes", (c) => c.charCodeAt(0));
			const formatted = formatRequest({ method: "OPTIONS", uri: "sip:a@b", headers: [["Content-Length", "99"], ["Subject", "x\r\nInjected: yes"], ["Subject", octets]] });
			equal(formatted.indexOf("\r\nInjected"), -1);
			equal(formatted.indexOf("Content-Length: 99"), -1);
			ok(formatted.includes("Subject: y  Injected: yes\r\n"), formatted);
			// in any case, long or compact; names that only look alike stay
			const cased = formatRequest({ method: "OPTIONS", uri: "sip:a@b", headers: [["content-length", 9], ["CONTENT-length", "9"], ["L", "9"], ["l", 9], ["Content-Lengths", "x"], ["Content-Type", "text/plain"]], body: "hi" });
			equal(cased, "OPTIONS sip:a@b SIP/2.0\r\nContent-Lengths: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
			// a line break in any string value, with others before and after it and a body
			for (const bad of ["a\nInjected: yes", "a\rInjected: yes", "\r\n"]) {
				const f = formatRequest({ method: "OPTIONS", uri: "sip:a@b", headers: [["Call-ID", "c"], ["Subject", bad], ["Max-Forwards", 70], ["Subject", "ok"]], body: "b" });
				equal(f.indexOf("\r\nInjected"), -1);
				equal(f.split("\r\n").length, 8, JSON.stringify(f));
				ok(f.endsWith("\r\nSubject: ok\r\nContent-Length: 1\r\n\r\nb"), f);
			}
		});
	});

	it("a display name with line breaks stays on its line", () => {
		const from = new NameAddr(parseUri("sip:door@example.com"), "Door\r\nInjected: yes", new Map([["tag", "1"]]));
		const m = parseMessage(serializeRequest({ method: "OPTIONS", uri: "sip:a@b", headers: [["From", from]] }));
		equal(m.has("Injected"), false);
		equal(m.from().displayName, "Door  Injected: yes");
	});

	it("createResponse copies Via, From, Call-ID, CSeq octet for octet and tags To (§8.2.6.2)", () => {
		const req = parseMessage(message("INVITE sip:door@h SIP/2.0", "v: SIP/2.0/UDP a;branch=z9hG4bK1,", " SIP/2.0/UDP b;branch=z9hG4bK2", "Via: SIP/2.0/TCP c;branch=z9hG4bK3", "f: <sip:x@y>;tag=f1", "t: <sip:door@h>", "i: call-1", "CSeq: 5 INVITE", "Timestamp: 54", "Subject: not copied", "", ""));
		const ringing = parseMessage(createResponse(req, 180, { toTag: "door1", headers: [["Contact", "<sip:door@192.0.2.10>"]] }));
		equal(ringing.status, 180);
		equal(ringing.reason, "Ringing");
		equal(ringing.vias().length, 3);
		equal(ringing.fromTag(), "f1");
		equal(ringing.toTag(), "door1");
		equal(ringing.callId(), "call-1");
		equal(ringing.cseq().seq, 5);
		equal(ringing.has("Subject"), false);
		equal(ringing.has("Timestamp"), false);
		equal(ringing.header("Contact"), "<sip:door@192.0.2.10>");
		const trying = parseMessage(createResponse(req, 100, { toTag: "ignored" }));
		equal(trying.toTag(), undefined, "no tag on 100");
		equal(trying.header("Timestamp"), "54", "echoed in 100 (§8.2.6.1)");
		const tagged = parseMessage(message("BYE sip:door@h SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK9", "From: <sip:x@y>;tag=f1", "To: <sip:door@h>;tag=mine", "Call-ID: c", "CSeq: 6 BYE", "", ""));
		equal(parseMessage(createResponse(tagged, 200, { toTag: "other" })).toTag(), "mine");
	});

	it("createResponse tags a To whose only tag is inside its URI or display name, and keeps a header tag in any case", () => {
		const to = (value: string) => {
			const req = parseMessage(message("INVITE sip:door@h SIP/2.0", "Via: SIP/2.0/UDP a;branch=z9hG4bK1", "From: <sip:x@y>;tag=f1", "To: " + value, "Call-ID: c", "CSeq: 1 INVITE", "", ""));
			return parseMessage(createResponse(req, 200, { toTag: "new" })).header("To");
		};
		equal(to("<sip:bob@x;tag=uri>"), "<sip:bob@x;tag=uri>;tag=new");
		equal(to("\"Bob;tag=no\" <sip:bob@x>"), "\"Bob;tag=no\" <sip:bob@x>;tag=new");
		equal(to("sip:bob@x;tag=hdr"), "sip:bob@x;tag=hdr");
		equal(to("<sip:bob@x>;TAG=up"), "<sip:bob@x>;TAG=up");
	});

	it("a response that makes a dialog copies the INVITE's Record-Route values in order (§12.1.1); others do not", () => {
		const req = parseMessage(message("INVITE sip:door@h SIP/2.0", "Via: SIP/2.0/UDP p1;branch=z9hG4bK1", "Record-Route: <sip:p1;lr>", "Record-Route: <sip:p2;lr;ftag=x>, <sip:p3;lr>", "From: <sip:x@y>;tag=f1", "To: <sip:door@h>", "Call-ID: rr", "CSeq: 1 INVITE", "", ""));
		const rr = (status: number) => parseMessage(createResponse(req, status, { toTag: "t" })).recordRoutes().map((r) => r.toString());
		deepEqual(rr(200), ["<sip:p1;lr>", "<sip:p2;lr;ftag=x>", "<sip:p3;lr>"]);
		deepEqual(rr(180), ["<sip:p1;lr>", "<sip:p2;lr;ftag=x>", "<sip:p3;lr>"]);
		deepEqual(rr(100), []);
		deepEqual(rr(486), []);
	});

	it("serializeMessage writes a received message back, unfolded", () => {
		const m = parseMessage(message("OPTIONS sip:a@b SIP/2.0", "Subject: one", " two", "Call-ID: x", "Content-Length: 2", "", "hi"));
		const back = parseMessage(serializeMessage(m));
		equal(back.header("Subject"), "one two");
		equal(text(back.body), "hi");
	});

	it("knows the reason phrases", () => {
		equal(reasonPhrase(200), "OK");
		equal(reasonPhrase(481), "Call/Transaction Does Not Exist");
		equal(reasonPhrase(299), "Success");
	});
});
