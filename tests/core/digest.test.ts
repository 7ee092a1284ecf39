import { equal, ok } from "../lib/assert.js";
import { bytes, hostHash } from "../lib/fixtures.js";
import { DigestClient, digestResponse, verifyDigest } from "../../modules/sip/digest.js";
import { type AuthValue, parseAuth } from "../../modules/sip/headers.js";

function auth(text: string): AuthValue {
	const b = bytes(text);
	return parseAuth(b, 0, b.length, "WWW-Authenticate");
}

describe("digest authentication (RFC 2617, RFC 7616, RFC 8760)", () => {
	it("computes the RFC 2617 §3.5 example (MD5, qop=auth)", () => {
		equal(digestResponse(hostHash, {
			algorithm: "MD5", session: false, username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life",
			nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", method: "GET", uri: "/dir/index.html",
			qop: "auth", nc: "00000001", cnonce: "0a4f113b",
		}), "6629fae49393a05397450978507c4ef1");
	});

	it("computes the RFC 7616 §3.9.1 examples (SHA-256 and MD5)", () => {
		const common = {
			session: false, username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life",
			nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", method: "GET", uri: "/dir/index.html",
			qop: "auth", nc: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		};
		equal(digestResponse(hostHash, { ...common, algorithm: "SHA-256" }), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
		equal(digestResponse(hostHash, { ...common, algorithm: "MD5" }), "8ca523f5e9506fed4657c9700eebdbec");
	});

	it("answers a challenge, counts nonces, and the registrar side verifies it", () => {
		let n = 0;
		const client = new DigestClient({ hash: hostHash, random: () => "c" + ++n });
		ok(client.challenge(auth("Digest realm=\"pbx\", nonce=\"n1\", qop=\"auth,auth-int\", algorithm=SHA-256, opaque=\"o\"")));
		const first = client.authorize("pbx", { username: "door", password: "s3cret" }, { method: "REGISTER", uri: "sip:pbx" })!;
		const second = client.authorize("pbx", { username: "door", password: "s3cret" }, { method: "REGISTER", uri: "sip:pbx" })!;
		const a = auth(first), b = auth(second);
		equal(a.get("nc"), "00000001");
		equal(b.get("nc"), "00000002");
		equal(a.get("qop"), "auth");
		equal(a.get("algorithm"), "SHA-256");
		equal(a.get("opaque"), "o");
		equal(a.get("cnonce"), "c1");
		ok(verifyDigest(hostHash, a, "REGISTER", "s3cret", "pbx"));
		ok(verifyDigest(hostHash, b, "REGISTER", "s3cret", "pbx"));
		ok(!verifyDigest(hostHash, a, "REGISTER", "wrong", "pbx"), "wrong password");
		ok(!verifyDigest(hostHash, a, "INVITE", "s3cret", "pbx"), "another method");
		ok(!verifyDigest(hostHash, a, "REGISTER", "s3cret", "other"), "another realm");
	});

	it("without qop, in the RFC 2069 form", () => {
		const client = new DigestClient({ hash: hostHash, random: () => "x" });
		ok(client.challenge(auth("Digest realm=\"r\", nonce=\"n\"")));
		const c = auth(client.authorize("r", { username: "u", password: "p" }, { method: "INVITE", uri: "sip:1001@r" })!);
		equal(c.get("qop"), undefined);
		equal(c.get("nc"), undefined);
		ok(verifyDigest(hostHash, c, "INVITE", "p", "r"));
	});

	it("gives up on refused credentials, but retries a stale nonce (no loops)", () => {
		const client = new DigestClient({ hash: hostHash, random: () => "x" });
		ok(client.challenge(auth("Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"")));
		ok(!client.challenge(auth("Digest realm=\"r\", nonce=\"n2\", qop=\"auth\""), true), "answered and challenged again: wrong password");
		ok(client.challenge(auth("Digest realm=\"r\", nonce=\"n3\", qop=\"auth\", stale=true"), true), "stale: the same credentials with a new nonce");
		equal(auth(client.authorize("r", { username: "u", password: "p" }, { method: "REGISTER", uri: "sip:r" })!).get("nonce"), "n3");
	});

	it("refuses what it cannot answer", () => {
		const client = new DigestClient({ hash: hostHash, random: () => "x" });
		ok(!client.challenge(auth("Basic realm=\"r\"")));
		ok(!client.challenge(auth("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256")));
		ok(!client.challenge(auth("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"")));
		ok(!client.challenge(auth("Digest nonce=\"n\"")));
		equal(client.authorize("r", { username: "u", password: "p" }, { method: "REGISTER", uri: "sip:r" }), undefined);
	});

	it("quotes user names with quotes and backslashes", () => {
		const client = new DigestClient({ hash: hostHash, random: () => "x" });
		client.challenge(auth("Digest realm=\"r\", nonce=\"n\", qop=\"auth\""));
		const c = auth(client.authorize("r", { username: "a\"b\\c", password: "p" }, { method: "REGISTER", uri: "sip:r" })!);
		equal(c.get("username"), "a\"b\\c");
		ok(verifyDigest(hostHash, c, "REGISTER", "p", "r"));
	});
});
