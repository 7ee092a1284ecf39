// The built-in registrar on sinon's clock: digest challenge and check, the
// subscriber limit, expiry and de-registration freeing places, bad input.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { DigestClient } from "../../modules/sip/digest.js";
import { parseAuth } from "../../modules/sip/headers.js";
import { parseMessage } from "../../modules/sip/message.js";
import { Registrar } from "../../modules/sip/registrar.js";
import type { Source } from "../../modules/sip/transport.js";

const USERS: Record<string, string> = { "8001": "pw8001", "8002": "pw8002", "8003": "pw8003", "8004": "pw8004" };
const SOURCE: Source = { transport: "UDP", address: "127.0.0.1", port: 5099 };

function register(user: string, o: { authorization?: string; contact?: string; expires?: number; extra?: string[] } = {}) {
	const lines = [
		`REGISTER sip:door.local SIP/2.0`,
		`Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK${Math.random().toString(16).slice(2)}`,
		"Max-Forwards: 70",
		`From: <sip:${user}@door.local>;tag=f${user}`,
		`To: <sip:${user}@door.local>`,
		`Call-ID: reg-${user}`,
		"CSeq: 1 REGISTER",
		o.contact === "" ? undefined : `Contact: ${o.contact ?? `<sip:${user}@127.0.0.1:5099>`}`,
		o.expires === undefined ? undefined : `Expires: ${o.expires}`,
		o.authorization ? `Authorization: ${o.authorization}` : undefined,
		...(o.extra ?? []),
		"Content-Length: 0", "", "",
	].filter((l) => l !== undefined).join("\r\n");
	return parseMessage(new TextEncoder().encode(lines));
}

describe("built-in registrar (fake clock)", () => {
	let clock: sinon.SinonFakeTimers;
	let registrar: Registrar;
	let n = 0;
	beforeEach(() => {
		clock = sinon.useFakeTimers({ now: 1000000 });
		registrar = new Registrar({ clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"), realm: "door.local", subscribers: Object.entries(USERS).map(([user, password]) => ({ user, password })), limit: 3 });
	});
	afterEach(() => {
		registrar.close();
		clock.restore();
	});

	/** Register with the right (or a given) password: challenge, then credentials. */
	function registered(user: string, password = USERS[user], o: { expires?: number; contact?: string } = {}) {
		const challenge = registrar.handle(register(user, o), SOURCE);
		assert.equal(challenge.status, 401);
		const header = String(challenge.headers[0][1]);
		const client = new DigestClient({ hash: nodeHash, random: () => "cn" + user });
		const value = new TextEncoder().encode(header);
		assert.ok(client.challenge(parseAuth(value, 0, value.length, "WWW-Authenticate")));
		const authorization = client.authorize("door.local", { username: user, password }, { method: "REGISTER", uri: "sip:door.local" })!;
		return registrar.handle(register(user, { ...o, authorization }), SOURCE);
	}

	it("challenges, then binds a subscriber with the right password; a wrong one gets 403 and nothing", () => {
		const ok = registered("8001");
		assert.equal(ok.status, 200);
		assert.deepEqual(ok.headers, [["Contact", "<sip:8001@127.0.0.1:5099>;expires=360"]]);
		assert.deepEqual(registrar.bindings.map((b) => [b.user, b.contact]), [["8001", "sip:8001@127.0.0.1:5099"]]);
		const wrong = registered("8002", "guess");
		assert.equal(wrong.status, 403);
		assert.equal(registered("9999", "any").status, 403, "unknown user");
		assert.equal(registrar.bindings.length, 1);
		const forged = registrar.handle(register("8002", { authorization: `Digest username="8002", realm="door.local", nonce="${"f".repeat(12)}.${"0".repeat(32)}", uri="sip:door.local", response="${"0".repeat(32)}"` }), SOURCE);
		assert.equal(forged.status, 401, "a nonce we did not issue is challenged again");
	});

	it("holds the limit: a fourth subscriber is refused until a place is freed by de-registration or expiry", () => {
		for (const u of ["8001", "8002", "8003"])
			assert.equal(registered(u).status, 200);
		const fourth = registered("8004");
		assert.equal(fourth.status, 403);
		assert.equal(fourth.reason, "Forbidden (subscriber limit of 3 reached)");
		assert.equal(registered("8001").status, 200, "a registered subscriber may refresh");
		assert.equal(registered("8001", USERS["8001"], { expires: 0 }).status, 200);
		assert.equal(registrar.bindings.length, 2, "de-registration frees the place at once");
		assert.equal(registered("8004").status, 200);
		clock.tick(359999);
		assert.equal(registrar.bindings.length, 3);
		clock.tick(1);
		assert.equal(registrar.bindings.length, 0, "all three expired after 360 s");
	});

	it("clamps huge Expires, refuses too brief ones with 423 and Min-Expires, and answers bad Contacts with 400", () => {
		const huge = registered("8001", USERS["8001"], { expires: 4000000000 });
		assert.equal(huge.status, 200);
		assert.deepEqual(huge.headers, [["Contact", "<sip:8001@127.0.0.1:5099>;expires=3600"]]);
		const brief = registered("8002", USERS["8002"], { expires: 10 });
		assert.equal(brief.status, 423);
		assert.deepEqual(brief.headers, [["Min-Expires", "60"]]);
		assert.equal(registered("8003", USERS["8003"], { contact: "*" }).status, 400, "* without Expires: 0");
		assert.equal(registered("8003", USERS["8003"], { contact: "<sip:a@1.2.3.4>, <sip:b@1.2.3.4>" }).status, 400);
		assert.equal(registered("8003", USERS["8003"], { contact: "<not a uri" }).status, 400);
		assert.equal(registered("8001", USERS["8001"], { contact: "*", expires: 0 }).status, 200);
		assert.equal(registrar.bindings.length, 0);
	});

	it("answers a stale nonce with a new challenge (stale=true) when the credentials are right", () => {
		const challenge = registrar.handle(register("8001"), SOURCE);
		const header = String(challenge.headers[0][1]);
		const value = new TextEncoder().encode(header);
		const client = new DigestClient({ hash: nodeHash, random: () => "cn" });
		client.challenge(parseAuth(value, 0, value.length, "WWW-Authenticate"));
		clock.tick(301000);
		const authorization = client.authorize("door.local", { username: "8001", password: USERS["8001"] }, { method: "REGISTER", uri: "sip:door.local" })!;
		const again = registrar.handle(register("8001", { authorization }), SOURCE);
		assert.equal(again.status, 401);
		assert.match(String(again.headers[0][1]), /stale=true/);
	});
});
