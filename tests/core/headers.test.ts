import { deepEqual, equal, ok, throws } from "../lib/assert.js";
import { bytes, message } from "../lib/fixtures.js";
import { SipParseError } from "../../modules/sip/errors.js";
import { AuthValue, CSeq, NameAddr, Via, parseAuth, parseNameAddr, parseVias, quote, unquote } from "../../modules/sip/headers.js";
import { parseMessage } from "../../modules/sip/message.js";
import { SipUri, parseUri } from "../../modules/sip/uri.js";

const bad = (e: unknown) => e instanceof SipParseError && e.status === 400;
function vias(text: string): Via[] {
	const b = bytes(text);
	const out: Via[] = [];
	parseVias(b, 0, b.length, out);
	return out;
}
function nameAddr(text: string): NameAddr {
	const b = bytes(text);
	return parseNameAddr(b, 0, b.length, "To");
}
function auth(text: string): AuthValue {
	const b = bytes(text);
	return parseAuth(b, 0, b.length, "WWW-Authenticate");
}

describe("structured headers", () => {
	it("Via: protocol, sent-by, branch, received, rport (RFC 3581)", () => {
		const [v] = vias("SIP/2.0/udp 192.0.2.1:5062;branch=z9hG4bKabc;received=198.51.100.7;rport=40123");
		equal(v.transport, "UDP");
		equal(v.host, "192.0.2.1");
		equal(v.port, 5062);
		equal(v.branch, "z9hG4bKabc");
		equal(v.received, "198.51.100.7");
		equal(v.rport, 40123);
		equal(v.toString(), "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKabc;received=198.51.100.7;rport=40123");
		equal(vias("SIP/2.0/TCP a.example.com;rport").length, 1);
		equal(vias("SIP/2.0/TCP a.example.com;rport")[0].rport, null);
		equal(vias("SIP/2.0/TCP a;branch=1, SIP/2.0/UDP b;branch=2").length, 2);
		for (const t of ["SIP/2.0 host", "SIP/2.0/UDP", "SIP/2.0/UDP host;ttl=256", "SIP/2.0/UDP host;received=host.name", "SIP/2.0/UDP host;branch", "SIP/2.0/UDP host;rport=70000", "SIP/2.0/UDP host,", "SIP/2.0/UDP host junk"])
			throws(() => vias(t), bad, t);
	});

	it("name-addr and addr-spec: display names, <URI>, header parameters (§20.10)", () => {
		const a = nameAddr("\"Front \\\"Door\\\"\" <sip:door@example.com;transport=tcp>;tag=abc;expires=60");
		equal(a.displayName, "Front \"Door\"");
		equal((a.uri as SipUri).transport, "tcp");
		equal(a.tag, "abc");
		equal(a.params.get("expires"), "60");
		equal(nameAddr("Front Door <sip:door@example.com>").displayName, "Front Door");
		const spec = nameAddr("sip:door@example.com;tag=xyz");
		equal(spec.tag, "xyz", "after an addr-spec, parameters belong to the header");
		equal((spec.uri as SipUri).params.size, 0);
		equal(nameAddr("<sip:door@example.com>").toString(), "<sip:door@example.com>");
		equal(new NameAddr(parseUri("sip:a@b"), "A \"B\"", new Map([["tag", "1"]])).toString(), "\"A \\\"B\\\"\" <sip:a@b>;tag=1");
		for (const t of ["<sip:a@b", "\"open <sip:a@b>", "Bad, Name <sip:a@b>", "< sip:a@b>", "sip:a@b?x=y", "<sip:a@b>;", "<sip:a@b> junk"])
			throws(() => nameAddr(t), bad, t);
	});

	it("Contact lists, * and parameters", () => {
		const m = parseMessage(message("REGISTER sip:r SIP/2.0", "Contact: <sip:a@h1>;expires=0, \"B\" <sip:b@h2>;q=0.5", "m: sip:c@h3", "", ""));
		const c = m.contacts();
		equal(c.length, 3);
		equal(c[0].params.get("expires"), "0");
		equal(c[1].params.get("q"), "0.5");
		equal((c[2].uri as SipUri).user, "c");
		const star = parseMessage(message("REGISTER sip:r SIP/2.0", "Contact: *", "", ""));
		equal(star.isWildcardContact(), true);
		equal(star.contacts().length, 0);
	});

	it("CSeq: 32-bit sequence below 2**31 and a method (§8.1.1.5)", () => {
		const m = (v: string) => parseMessage(message("OPTIONS sip:a@b SIP/2.0", "CSeq: " + v, "", "")).cseq();
		deepEqual(m("2147483647 INVITE").toJSON(), { seq: 2147483647, method: "INVITE" });
		equal(new CSeq(7, "BYE").toString(), "7 BYE");
		for (const t of ["2147483648 INVITE", "1INVITE", "INVITE", "1 INVITE x", "-1 INVITE"])
			throws(() => m(t), bad, t);
	});

	it("digest challenges and credentials (RFC 3261 §22.4, RFC 8760)", () => {
		const c = auth("Digest realm=\"pbx.example.com\", nonce=\"abc\\\"d\", qop=\"auth,auth-int\", algorithm=SHA-256, stale=FALSE");
		equal(c.scheme, "Digest");
		equal(c.get("realm"), "pbx.example.com");
		equal(c.get("nonce"), "abc\"d");
		equal(c.get("qop"), "auth,auth-int");
		equal(c.get("algorithm"), "SHA-256");
		equal(c.get("stale"), "FALSE");
		const back = auth(c.toString());
		deepEqual(back.params, c.params, "round trip");
		equal(auth("Digest username=\"door\", nc=00000001, qop=auth").get("nc"), "00000001");
		for (const t of ["Digest realm", "Digest realm=\"x", "Digest =x", "Digest realm=x junk"])
			throws(() => auth(t), bad, t);
	});

	it("quote and unquote are inverse", () => {
		for (const s of ["plain", "with \"quotes\"", "back\\slash", ""])
			equal(unquote(quote(s)), s);
		equal(unquote("token"), "token");
		equal(unquote(null), undefined);
	});

	it("media types and token lists", () => {
		const m = parseMessage(message("INVITE sip:a@b SIP/2.0", "c: Application/SDP;charset=utf-8", "Accept: application/sdp, */*;q=0.1", "Require: timer, 100rel", "k: replaces", "Supported: timer", "", ""));
		equal(m.contentType()!.essence, "application/sdp");
		equal(m.contentType()!.params.get("charset"), "utf-8");
		deepEqual(m.accept()!.map((t) => t.essence), ["application/sdp", "*/*"]);
		deepEqual(m.tokens("Require"), ["timer", "100rel"]);
		deepEqual(m.tokens("Supported"), ["replaces", "timer"]);
		ok(parseMessage(message("INVITE sip:a@b SIP/2.0", "Accept:", "", "")).accept()!.length === 0, "empty Accept is legal");
	});
});
