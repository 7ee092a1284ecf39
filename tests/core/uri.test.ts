import { deepEqual, equal, ok, throws } from "../lib/assert.js";
import { SipParseError } from "../../modules/sip/errors.js";
import { AbsoluteUri, SipUri, TelUri, parseUri } from "../../modules/sip/uri.js";

const bad = (e: unknown) => e instanceof SipParseError && e.status === 400;

describe("URIs (RFC 3261 §19.1, §25.1)", () => {
	it("splits a SIP URI into user, password, host, port, parameters and headers", () => {
		const u = parseUri("sips:alice:secret@Atlanta.example.com:5061;transport=TLS;Maddr=239.255.255.1;lr?Subject=project%20x&priority=urgent") as SipUri;
		ok(u instanceof SipUri);
		equal(u.scheme, "sips");
		equal(u.user, "alice");
		equal(u.password, "secret");
		equal(u.host, "Atlanta.example.com");
		equal(u.port, 5061);
		equal(u.transport, "tls");
		equal(u.params.get("maddr"), "239.255.255.1", "parameter names are case-insensitive");
		equal(u.params.get("lr"), null);
		equal(u.headers.get("Subject"), "project%20x");
		equal(u.headers.get("priority"), "urgent");
	});

	it("writes back what it read, and rebuilds after a change", () => {
		const text = "sip:door@192.0.2.10:5070;transport=udp";
		const u = parseUri(text) as SipUri;
		equal(u.toString(), text);
		u.port = 5060;
		u.params.set("ob", null);
		equal(u.touch().toString(), "sip:door@192.0.2.10:5060;transport=udp;ob");
		equal(new SipUri({ host: "example.com", user: "1001" }).toString(), "sip:1001@example.com");
	});

	it("takes IPv6 references, with the port outside the brackets (RFC 5118)", () => {
		const u = parseUri("sip:[2001:db8::10]:5070") as SipUri;
		equal(u.host, "[2001:db8::10]");
		equal(u.port, 5070);
		equal((parseUri("sip:[::ffff:192.0.2.10]") as SipUri).host, "[::ffff:192.0.2.10]");
		equal((parseUri("sip:[::1]") as SipUri).host, "[::1]");
		for (const t of ["sip:[2001:db8:::1]", "sip:[2001:db8::10", "sip:[1:2:3:4:5:6:7:8:9]", "sip:[12345::]", "sip:2001:db8::10", "sip:[1::2::3]"])
			throws(() => parseUri(t), bad, t);
	});

	it("keeps %-escapes as written and checks them", () => {
		equal((parseUri("sip:%61lice@example.com") as SipUri).user, "%61lice");
		throws(() => parseUri("sip:%6@example.com"), bad);
		throws(() => parseUri("sip:%zz@example.com"), bad);
	});

	it("parses tel URIs and keeps other schemes opaque", () => {
		const t = parseUri("tel:+1-201-555-0123;phone-context=example.com") as TelUri;
		ok(t instanceof TelUri);
		equal(t.number, "+1-201-555-0123");
		equal(t.params.get("phone-context"), "example.com");
		const a = parseUri("urn:service:sos") as AbsoluteUri;
		ok(a instanceof AbsoluteUri);
		equal(a.scheme, "urn");
		equal(a.rest, "service:sos");
	});

	it("refuses malformed URIs with a reason", () => {
		for (const t of ["sip:", "sip:@host", "sip:user@", "sip:host:99999", "sip:host:12a", "sip:host;;", "1sip:host", ":nothing", "sip:ho st", "sip:host?"])
			throws(() => parseUri(t), bad, t);
		throws(() => parseUri("sip:host?a=b", false), (e) => e instanceof SipParseError && e.reason === "Headers not allowed in Request-URI");
	});

	it("serializes to JSON for diagnostics", () => {
		deepEqual(JSON.parse(JSON.stringify(parseUri("sip:a@b;x=1"))), { scheme: "sip", user: "a", host: "b", params: { x: "1" }, headers: {} });
	});
});
