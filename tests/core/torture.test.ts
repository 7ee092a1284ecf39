/*
 * RFC 4475 and RFC 5118 torture messages (tests/torture, INDEX.md says what a
 * compliant element must do with each). Every file has an entry here: valid
 * messages must parse and validate, with their tricky fields checked; invalid
 * ones must be refused with the status a UAS would send. `ua` is the answer
 * the door station's UAS checks give (null: processed normally); `later`
 * records answers owed by layers built on top (registrar, transactions).
 */
import { deepEqual, equal, ok, throws } from "../lib/assert.js";
import { listFixtures, readFixture } from "../lib/fixtures.js";
import { SipParseError, type SipMessage, SipParser } from "../../modules/sip/message.js";
import { checkRequest, type UasCapabilities } from "../../modules/sip/uas-checks.js";
import { SipUri, TelUri, AbsoluteUri } from "../../modules/sip/uri.js";

/** What the door station serves (the UA issue keeps this list). */
const STATION: UasCapabilities = Object.freeze({
	methods: Object.freeze(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE"]),
	schemes: Object.freeze(["sip", "sips"]),
	extensions: Object.freeze(["timer"]),
	contentTypes: Object.freeze(["application/sdp", "application/dtmf-relay"]),
});
/** The built-in registrar also serves REGISTER. */
const REGISTRAR: UasCapabilities = Object.freeze({ ...STATION, methods: Object.freeze([...STATION.methods, "REGISTER"]) });

interface Expectation {
	/** "valid": parses and validates; "invalid": refused with `status`. */
	verdict: "valid" | "invalid";
	status?: number;
	/** The door station's answer (null = processed normally). */
	ua?: number | null;
	/** The answer with REGISTER served (built-in registrar). */
	registrar?: number | null;
	later?: string;
	check?: (m: SipMessage) => void;
}

function sip(u: unknown): SipUri {
	ok(u instanceof SipUri, "expected a SIP URI");
	return u as SipUri;
}

const EXPECT: Record<string, Expectation> = {
	"3.1.1.1-wsinv.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.method, "INVITE");
		equal(m.maxForwards(), 68);
		deepEqual(m.cseq().toJSON(), { seq: 9, method: "INVITE" });
		equal(m.to().tag, "1918181833n");
		equal(m.from().displayName, "J Rosenberg \\\"");
		equal(m.from().tag, "98asjd8");
		const vias = m.vias();
		equal(vias.length, 3);
		equal(vias[0].transport, "UDP");
		equal(vias[0].host, "192.0.2.2");
		equal(vias[1].transport, "TCP");
		equal(vias[1].branch, "z9hG4bK9ikj8");
		equal(vias[2].host, "192.168.255.111");
		equal(m.header("NewFangledHeader"), "newfangled value continued newfangled value");
		equal(m.header("Subject"), "");
		const c = m.contacts();
		equal(c.length, 1);
		equal(c[0].displayName, "Quoted string \"\"");
		equal(c[0].params.get("newparam"), "newvalue");
		equal(c[0].params.get("secondparam"), null);
		equal(c[0].params.get("q"), "0.33");
		equal(m.bodyEnd - m.bodyStart, 150);
		equal(sip(m.routes()[0].uri).params.get("unknownwith"), "value");
	} },
	"3.1.1.2-intmeth.dat": { verdict: "valid", ua: 501, check(m) {
		equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
		equal(m.to().displayName, "BEL:\u0007 NUL:\u0000 DEL:\u007F", "quoted-pairs of raw BEL, NUL, DEL");
		equal(m.from().displayName, "token1~` token2'+_ token3*%!.-");
		equal(m.from().tag, "_token~1'+`*%!-.");
		equal(m.callId(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
		equal(m.header("extensionHeader-!.%*+_`'~"), "\uFEFF\u5927\u505C\u96FB");
		equal(sip(m.uri).user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
		equal(sip(m.uri).password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	} },
	"3.1.1.3-esc01.dat": { verdict: "valid", ua: null, check(m) {
		equal(sip(m.uri).user, "sips%3Auser%40example.com");
		equal(sip(m.uri).host, "example.net");
		equal(sip(m.to().uri).user, "%75se%72");
		equal(sip(m.from().uri).user, "I%20have%20spaces");
		const contact = sip(m.contacts()[0].uri);
		equal(contact.params.get("%6c%72"), null);
		equal(contact.params.get("n%61me"), "v%61lue%25%34%31");
	} },
	"3.1.1.4-escnull.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		equal(sip(m.uri).scheme, "sip");
		equal(sip(m.to().uri).user, "null-%00-null");
		equal(m.contacts().length, 2);
	} },
	"3.1.1.5-esc02.dat": { verdict: "valid", ua: 501, check(m) {
		equal(m.method, "RE%47IST%45R");
		equal(m.contacts().length, 2, "C%6Fntact is not Contact");
		equal(m.header("C%6Fntact"), "<sip:alias2@host2.example.com>");
		equal(m.to().displayName, "%Z%45");
	} },
	"3.1.1.6-lwsdisp.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.from().displayName, "caller");
	} },
	"3.1.1.7-longreq.dat": { verdict: "valid", ua: null, check(m) {
		ok(m.bytes.length > 3000);
		equal(m.vias().length, 34);
		ok(m.to().displayName!.endsWith("extreme proportion"));
		equal(sip(m.to().uri).port, 6000);
		ok(m.from().tag!.length > 100);
		equal(m.contacts().length, 1);
	} },
	"3.1.1.8-dblreq.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		equal(m.method, "REGISTER");
		equal(m.bodyEnd - m.bodyStart, 0);
		// the INVITE after the REGISTER is discarded (§18.3): it is not a header here
		ok(m.bytes.length > m.bodyEnd);
	} },
	"3.1.1.9-semiuri.dat": { verdict: "valid", ua: null, check(m) {
		equal(sip(m.uri).user, "user;par=u%40example.net");
		equal(sip(m.uri).host, "example.com");
		equal(sip(m.uri).params.size, 0);
		equal(m.accept()!.length, 6);
	} },
	"3.1.1.10-transports.dat": { verdict: "valid", ua: null, check(m) {
		deepEqual(m.vias().map((v) => v.transport), ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
		equal(m.topVia().transport, "UDP");
	} },
	"3.1.1.11-mpart01.dat": { verdict: "valid", ua: 405, check(m) {
		equal(m.method, "MESSAGE");
		equal(m.contentType()!.essence, "multipart/mixed");
		equal(m.contentType()!.params.get("boundary"), "7a9cbec02ceef655");
		equal(m.bodyEnd - m.bodyStart, 553);
		ok(Array.prototype.indexOf.call(m.body, 0) >= 0, "binary body kept as bytes");
	} },
	"3.1.1.12-unreason.dat": { verdict: "valid", check(m) {
		equal(m.status, 200);
		equal(m.reason, "= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435");
	} },
	"3.1.1.13-noreason.dat": { verdict: "valid", check(m) {
		equal(m.status, 100);
		equal(m.reason, "");
	} },
	"3.1.2.1-badinv01.dat": { verdict: "invalid", status: 400 },
	"3.1.2.2-clerr.dat": { verdict: "invalid", status: 400 },
	"3.1.2.3-ncl.dat": { verdict: "invalid", status: 400 },
	"3.1.2.4-scalar02.dat": { verdict: "invalid", status: 400 },
	"3.1.2.5-scalarlg.dat": { verdict: "invalid", status: 400 },
	"3.1.2.6-quotbal.dat": { verdict: "invalid", status: 400 },
	"3.1.2.7-ltgtruri.dat": { verdict: "invalid", status: 400 },
	"3.1.2.8-lwsruri.dat": { verdict: "invalid", status: 400 },
	"3.1.2.9-lwsstart.dat": { verdict: "invalid", status: 400 },
	"3.1.2.10-trws.dat": { verdict: "invalid", status: 400 },
	"3.1.2.11-escruri.dat": { verdict: "invalid", status: 400 },
	// Policy: Date is informational; a bad one is ignored (RFC 4475 §3.1.2.12 allows it).
	"3.1.2.12-baddate.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.header("Date"), "Fri, 01 Jan 2010 16:00:00 EST");
	} },
	"3.1.2.13-regbadct.dat": { verdict: "invalid", status: 400 },
	"3.1.2.14-badaspec.dat": { verdict: "invalid", status: 400 },
	"3.1.2.15-baddn.dat": { verdict: "invalid", status: 400 },
	"3.1.2.16-badvers.dat": { verdict: "invalid", status: 505 },
	"3.1.2.17-mismatch01.dat": { verdict: "invalid", status: 400 },
	"3.1.2.18-mismatch02.dat": { verdict: "invalid", status: 400 },
	"3.1.2.19-bigcode.dat": { verdict: "invalid", status: 400 },
	// Policy: a branch that is only the magic cookie is answered 400 (statelessly).
	"3.2.1-badbranch.dat": { verdict: "valid", ua: 400, check(m) {
		equal(m.topVia().branch, "z9hG4bK");
	} },
	"3.3.1-insuf.dat": { verdict: "invalid", status: 400 },
	"3.3.2-unkscm.dat": { verdict: "valid", ua: 416, check(m) {
		ok(m.uri instanceof AbsoluteUri);
		equal(m.uri.scheme, "nobodyknowsthisscheme");
	} },
	"3.3.3-novelsc.dat": { verdict: "valid", ua: 416, check(m) {
		equal(m.uri.scheme, "soap.beep");
	} },
	"3.3.4-unksm2.dat": { verdict: "valid", ua: 405, registrar: null, later: "registrar: no binding for a non-SIP To/Contact (issue 8)", check(m) {
		equal(m.to().uri.scheme, "isbn");
		equal(m.from().uri.scheme, "http");
		equal(m.contacts()[0].uri.scheme, "name");
	} },
	"3.3.5-bext01.dat": { verdict: "valid", ua: 420 },
	"3.3.6-invut.dat": { verdict: "valid", ua: 415, check(m) {
		equal(m.contentType()!.essence, "application/unknownformat");
	} },
	"3.3.7-regaut01.dat": { verdict: "valid", ua: 405, registrar: null, later: "registrar: ignore unknown credentials, 401 with a Digest challenge (issue 8)", check(m) {
		equal(m.auth("Authorization")[0].scheme, "NoOneKnowsThisScheme");
	} },
	"3.3.8-multi01.dat": { verdict: "invalid", status: 400 },
	"3.3.9-mcl01.dat": { verdict: "invalid", status: 400 },
	"3.3.10-bcast.dat": { verdict: "valid", check(m) {
		equal(m.vias()[1].host, "255.255.255.255");
	} },
	"3.3.11-zeromf.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.maxForwards(), 0);
	} },
	"3.3.12-cparam01.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		const c = m.contacts()[0];
		equal(c.params.get("unknownparam"), null);
		equal(sip(c.uri).params.size, 0);
	} },
	"3.3.13-cparam02.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		const c = m.contacts()[0];
		equal(c.params.size, 0);
		equal(sip(c.uri).params.get("unknownparam"), null);
	} },
	"3.3.14-regescrt.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		const uri = sip(m.contacts()[0].uri);
		equal(uri.headers.get("Route"), "%3Csip:sip.example.com%3E");
		equal(uri.toString(), "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
	} },
	"3.3.15-sdp01.dat": { verdict: "valid", ua: 406 },
	"3.4.1-inv2543.dat": { verdict: "valid", ua: null, later: "transactions: RFC 2543 matching when the branch lacks the cookie (issue 3)", check(m) {
		equal(m.topVia().branch, undefined);
		equal(m.maxForwards(), undefined);
		equal(m.find("Content-Length"), -1);
		ok(m.bodyEnd - m.bodyStart > 0, "body runs to the end of the datagram");
		equal(m.bodyEnd, m.bytes.length);
	} },
	"rfc5118-4.1-ipv6-good.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		equal(sip(m.uri).host, "[2001:db8::10]");
		equal(m.topVia().host, "[2001:db8::9:1]");
		equal(sip(m.contacts()[0].uri).host, "[2001:db8::1]");
	} },
	"rfc5118-4.2-ipv6-bad.dat": { verdict: "invalid", status: 400 },
	"rfc5118-4.3-port-ambiguous.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		equal(sip(m.uri).host, "[2001:db8::10:5070]");
		equal(sip(m.uri).port, undefined);
	} },
	"rfc5118-4.4-port-unambiguous.dat": { verdict: "valid", ua: 405, registrar: null, check(m) {
		equal(sip(m.uri).host, "[2001:db8::10]");
		equal(sip(m.uri).port, 5070);
	} },
	"rfc5118-4.5-via-received-param-with-delim.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.topVia().received, "[2001:db8::9:255]");
	} },
	"rfc5118-4.5-via-received-param-no-delim.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.topVia().received, "2001:db8::9:255");
	} },
	// The CRLF copies declare fewer octets than their SDP: over UDP the rest is discarded (§18.3).
	"rfc5118-4.6-ipv6-in-sdp.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.bodyEnd - m.bodyStart, 241);
	} },
	"rfc5118-4.7-mult-ip-in-header.dat": { verdict: "valid", ua: null, check(m) {
		const vias = m.vias();
		equal(vias.length, 3);
		equal(vias[0].host, "[2001:db8::9:1]");
		equal(vias[0].port, 6050);
		equal(vias[1].host, "192.0.2.1");
	} },
	"rfc5118-4.8-mult-ip-in-sdp.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.bodyEnd - m.bodyStart, 181);
	} },
	"rfc5118-4.9-ipv4-mapped-ipv6.dat": { verdict: "valid", ua: null, check(m) {
		equal(m.topVia().host, "[::ffff:192.0.2.10]");
		equal(m.topVia().port, 19823);
		equal(sip(m.contacts()[0].uri).host, "[::ffff:192.0.2.2]");
	} },
	// Policy: the extra colon of RFC 3261's ABNF is refused (corrected grammar, RFC 5954).
	"rfc5118-4.10-ipv6-bug-abnf-3-colons.dat": { verdict: "invalid", status: 400 },
	"rfc5118-4.10-ipv6-correct-abnf-2-colons.dat": { verdict: "valid", ua: null, check(m) {
		equal(sip(m.uri).host, "[2001:db8::192.0.2.1]");
	} },
};

function verdictOf(bytes: Uint8Array): { message?: SipMessage; error?: SipParseError } {
	try {
		const message = new SipParser().parse(bytes);
		message.validate();
		return { message };
	}
	catch (e) {
		if (e instanceof SipParseError)
			return { error: e };
		throw e;
	}
}

describe("torture corpus (RFC 4475, RFC 5118)", () => {
	const files = listFixtures("torture").filter((f) => f.endsWith(".dat"));

	it("has an expectation for every message and a message for every expectation", () => {
		equal(files.length, 61);
		deepEqual(files.slice().sort(), Object.keys(EXPECT).sort());
	});

	for (const file of Object.keys(EXPECT)) {
		const x = EXPECT[file];
		it(`${file}: ${x.verdict}${x.status ? " " + x.status : ""}${x.ua !== undefined ? ", station answers " + (x.ua ?? "normally") : ""}`, () => {
			const { message, error } = verdictOf(readFixture("torture/" + file));
			if (x.verdict === "invalid") {
				ok(error, "must be refused");
				equal(error.status, x.status);
				ok(error.reason.length > 0 && error.reason.length < 80, "a reason fit for a status line");
				return;
			}
			ok(message, "must be accepted: " + (error && error.reason));
			x.check?.(message);
			if (message.isRequest) {
				const answer = checkRequest(message, STATION);
				equal(answer ? answer.status : null, x.ua, "station answer");
				if (x.registrar !== undefined) {
					const r = checkRequest(message, REGISTRAR);
					equal(r ? r.status : null, x.registrar, "registrar answer");
				}
			}
		});
	}

	it("the derived copies with corrected Content-Length keep their whole SDP", () => {
		for (const [file, length] of [["rfc5118-4.6-ipv6-in-sdp.cl-fixed.dat", 251], ["rfc5118-4.8-mult-ip-in-sdp.cl-fixed.dat", 189], ["rfc5118-4.9-ipv4-mapped-ipv6.cl-fixed.dat", 245]] as const) {
			const { message, error } = verdictOf(readFixture("torture/derived/" + file));
			ok(message, file + ": " + (error && error.reason));
			equal(message.bodyEnd - message.bodyStart, length, file);
			equal(message.bodyEnd, message.bytes.length, file);
		}
	});

	it("answers carry what RFC 3261 requires: Allow, Unsupported, Accept", () => {
		const bext = verdictOf(readFixture("torture/3.3.5-bext01.dat")).message!;
		const a420 = checkRequest(bext, STATION)!;
		deepEqual(a420.headers, [["Unsupported", "nothingSupportsThis, nothingSupportsThisEither"]]);
		const invut = verdictOf(readFixture("torture/3.3.6-invut.dat")).message!;
		const a415 = checkRequest(invut, STATION)!;
		equal(a415.headers[0][0], "Accept");
		const intmeth = verdictOf(readFixture("torture/3.1.1.2-intmeth.dat")).message!;
		equal(checkRequest(intmeth, STATION)!.headers[0][0], "Allow");
	});

	it("tel URIs are understood", () => {
		const uri = verdictOf(readFixture("torture/3.1.1.7-longreq.dat")).message!.uri;
		ok(uri instanceof SipUri || uri instanceof TelUri);
	});
});
