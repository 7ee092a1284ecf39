// The built-in registrar on sinon's clock: digest challenge and check, the
// subscriber limit, expiry and de-registration freeing places, bad input.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { DigestClient } from "../../modules/sip/digest.js";
import { parseAuth } from "../../modules/sip/headers.js";
import { parseMessage } from "../../modules/sip/message.js";
import { Registrar, macOf, modelOf, versionOf } from "../../modules/sip/registrar.js";
import type { Source } from "../../modules/sip/transport.js";

const USERS: Record<string, string> = { "8001": "pw8001", "8002": "pw8002", "8003": "pw8003", "8004": "pw8004" };
const SOURCE: Source = { transport: "UDP", address: "127.0.0.1", port: 5099 };

function invite(user: string, to: string, authorization?: string) {
	return parseMessage(new TextEncoder().encode([
		`INVITE sip:${to}@door.local SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKi${Math.random().toString(16).slice(2)}`, "Max-Forwards: 70",
		`From: <sip:${user}@door.local>;tag=i${user}`, `To: <sip:${to}@door.local>`, `Call-ID: call-${user}`, "CSeq: 1 INVITE",
		...(authorization ? [`Proxy-Authorization: ${authorization}`] : []), "Content-Length: 0", "", "",
	].join("\r\n")));
}

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
	function registered(user: string, password = USERS[user], o: { expires?: number; contact?: string; extra?: string[] } = {}) {
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
	it("a unit's INVITE: 407 with our realm, then the caller is known; wrong credentials or no place get 403; others are no unit's", () => {
		assert.equal(registered("8001").status, 200);
		assert.equal(registrar.caller(invite("1003", "8002"), SOURCE), undefined, "From is none of ours: a plain direct call");
		const first = registrar.caller(invite("8001", "8002"), SOURCE);
		assert.ok(first && "answer" in first && first.answer.status === 407);
		const header = String(first.answer.headers[0][1]);
		assert.equal(first.answer.headers[0][0], "Proxy-Authenticate");
		const value = new TextEncoder().encode(header);
		const answerWith = (user: string, password: string) => {
			const client = new DigestClient({ hash: nodeHash, random: () => "cn" });
			client.challenge(parseAuth(value, 0, value.length, "Proxy-Authenticate"));
			return client.authorize("door.local", { username: user, password }, { method: "INVITE", uri: "sip:8002@door.local" })!;
		};
		const ok = registrar.caller(invite("8001", "8002", answerWith("8001", USERS["8001"])), SOURCE);
		assert.ok(ok && "user" in ok && ok.user === "8001" && ok.binding.extension === "8001");
		const wrong = registrar.caller(invite("8001", "8002", answerWith("8001", "guess")), SOURCE);
		assert.ok(wrong && "answer" in wrong && wrong.answer.status === 403);
		const unregistered = registrar.caller(invite("8002", "8001", answerWith("8002", USERS["8002"])), SOURCE);
		assert.ok(unregistered && "answer" in unregistered);
		assert.equal(unregistered.answer.reason, "Forbidden (not registered)");
	});

	it("managed mode: a subscriber with a MAC address joins only from that device (User-Agent or +sip.instance)", () => {
		registrar.configure({ realm: "door.local", limit: 3, subscribers: [{ user: "8001", password: USERS["8001"], mac: "0C:38:3E:3D:AF:10" }, { user: "8002", password: USERS["8002"] }] });
		const other = registered("8001", USERS["8001"], { extra: ["User-Agent: Fanvil X7A 2.4.1 0c383e3daf99"] });
		assert.equal(other.status, 403);
		assert.equal(other.reason, "Forbidden (device not managed)");
		assert.equal(registered("8001", USERS["8001"], { extra: ["User-Agent: Fanvil X7A 2.4.1 0c383e3daf10"] }).status, 200);
		assert.equal(registered("8001", USERS["8001"], { contact: "<sip:8001@127.0.0.1:5099>;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-0c383e3daf10>\"" }).status, 200);
		assert.equal(registered("8002").status, 200, "no MAC set: any device with the password");
		assert.equal(registered("guest", "join-secret-1").status, 403, "managed: nobody else joins");
		const d = registrar.devices.find((x) => x.user === "8001")!;
		assert.deepEqual([d.mac, d.online, d.managed], ["0c:38:3e:3d:af:10", true, true]);
	});

	it("unmanaged mode: another device joins with the join password and gets the next free extension (P-Associated-URI), kept when it comes back", () => {
		registrar.configure({ realm: "door.local", limit: 3, prefix: "8", managed: false, joinPassword: "join-secret-1", subscribers: [{ user: "8001", password: USERS["8001"] }] });
		assert.equal(registered("kitchen", "wrong-secret-1").status, 403);
		const kitchen = registered("kitchen", "join-secret-1", { contact: "<sip:kitchen@127.0.0.1:5099>", extra: ["User-Agent: Akuvox C313 113.30.2.812"] });
		assert.equal(kitchen.status, 200);
		assert.deepEqual(kitchen.headers[1], ["P-Associated-URI", "<sip:8002@door.local>"], "8001 is configured: the next is 8002");
		assert.equal(registrar.lookup("8002")?.user, "kitchen");
		assert.equal(registrar.hostExtension, "8000");
		assert.equal(registered("kitchen", "join-secret-1", { expires: 0 }).status, 200);
		assert.equal(registrar.devices.find((x) => x.user === "kitchen")?.online, false, "listed offline after de-registration");
		assert.equal(registered("hall", "join-secret-1").headers[1][1], "<sip:8003@door.local>", "the offline device keeps its extension");
		assert.equal(registered("kitchen", "join-secret-1", { extra: ["User-Agent: Akuvox C313 113.30.2.812"] }).headers[1][1], "<sip:8002@door.local>");
		const d = registrar.devices.find((x) => x.user === "kitchen")!;
		assert.deepEqual([d.extension, d.model, d.version, d.managed], ["8002", "Akuvox C313", "113.30.2.812", false]);
		assert.ok(registrar.remove("kitchen"));
		assert.equal(registrar.devices.find((x) => x.user === "kitchen"), undefined);
		assert.equal(registrar.lookup("8002"), undefined, "removal frees the place");
	});

	it("new settings keep the bindings that may still join, within the new limit (the oldest stay)", () => {
		for (const u of ["8001", "8002", "8003"]) {
			assert.equal(registered(u).status, 200);
			clock.tick(1000);
		}
		registrar.configure({ realm: "door.local", limit: 2, subscribers: ["8001", "8002", "8003"].map((user) => ({ user, password: USERS[user] })) });
		assert.deepEqual(registrar.bindings.map((b) => b.user), ["8001", "8002"]);
		registrar.configure({ realm: "door.local", limit: 2, subscribers: [{ user: "8002", password: USERS["8002"] }] });
		assert.deepEqual(registrar.bindings.map((b) => b.user), ["8002"], "a subscriber taken off the list loses its binding");
	});

	it("a flood of REGISTERs (wrong realms, unknown users, joiners beyond the limit) leaves the limit and the device list bounded", () => {
		registrar.configure({ realm: "door.local", limit: 50, managed: false, joinPassword: "join-secret-1", subscribers: [] });
		for (let i = 0; i < 300; i++) {
			const user = "flood" + i;
			const challenge = registrar.handle(register(user), SOURCE);
			assert.equal(challenge.status, 401);
			const value = new TextEncoder().encode(String(challenge.headers[0][1]));
			const client = new DigestClient({ hash: nodeHash, random: () => "cn" + i });
			client.challenge(parseAuth(value, 0, value.length, "WWW-Authenticate"));
			const realm = i % 3 === 0 ? "elsewhere" : "door.local";
			const authorization = client.authorize("door.local", { username: user, password: "join-secret-1" }, { method: "REGISTER", uri: "sip:door.local" })!.replace(/realm="[^"]*"/, `realm="${realm}"`);
			const answer = registrar.handle(register(user, { authorization }), SOURCE);
			assert.ok([200, 401, 403].includes(answer.status), String(answer.status));
			if (realm === "elsewhere")
				assert.equal(answer.status, 401, "credentials for another realm are challenged again");
			if (i % 2 === 0)
				registrar.handle(register(user, { authorization, expires: 0 }), SOURCE);
			clock.tick(10);
		}
		assert.equal(registrar.bindings.length, 50, "the limit holds");
		assert.ok(registrar.devices.length <= 64, "the device list is bounded: " + registrar.devices.length);
		assert.equal(new Set(registrar.devices.map((d) => d.extension)).size, registrar.devices.length, "each extension once");
		const late = registered("late", "join-secret-1", { expires: 0 });
		assert.equal(late.status, 200, "places were freed: a new device still gets an extension");
	});

	it("SHA-256 when configured (RFC 8760): the challenge asks for it, MD5 credentials are challenged again", () => {
		registrar.configure({ realm: "door.local", limit: 3, algorithm: "SHA-256", subscribers: [{ user: "8001", password: USERS["8001"] }] });
		const challenge = registrar.handle(register("8001"), SOURCE);
		assert.match(String(challenge.headers[0][1]), /algorithm=SHA-256/);
		const value = new TextEncoder().encode(String(challenge.headers[0][1]));
		const client = new DigestClient({ hash: nodeHash, random: () => "cn" });
		assert.ok(client.challenge(parseAuth(value, 0, value.length, "WWW-Authenticate")));
		const authorization = client.authorize("door.local", { username: "8001", password: USERS["8001"] }, { method: "REGISTER", uri: "sip:door.local" })!;
		assert.match(authorization, /algorithm=SHA-256/);
		assert.equal(registrar.handle(register("8001", { authorization }), SOURCE).status, 200);
		const md5 = authorization.replace("algorithm=SHA-256", "algorithm=MD5");
		assert.equal(registrar.handle(register("8001", { authorization: md5 }), SOURCE).status, 401, "a weaker algorithm than asked for is not taken");
	});

	it("reads MAC, model and version from what devices say about themselves", () => {
		assert.equal(macOf("Yealink SIP-T46S 66.85.0.5 00:15:65:aa:bb:cc", ""), "00:15:65:aa:bb:cc");
		assert.equal(macOf("Fanvil X7A 2.4.1 0c383e3daf10", ""), "0c:38:3e:3d:af:10");
		assert.equal(macOf("baresip v3.20.0 (x86_64/linux)", ""), "");
		assert.equal(macOf("", "\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\""), "00:a0:c9:1e:6b:f6");
		assert.equal(macOf("", "<urn:uuid:f81d4fae-7dec-41d0-a765-00a0c91e6bf6>"), "", "a random (v4) UUID holds no MAC");
		assert.equal(modelOf("Yealink SIP-T46S 66.85.0.5 00:15:65:aa:bb:cc"), "Yealink SIP-T46S");
		assert.equal(versionOf("Yealink SIP-T46S 66.85.0.5 00:15:65:aa:bb:cc"), "66.85.0.5");
		assert.equal(versionOf("baresip v3.20.0 (x86_64/linux)"), "3.20.0");
		assert.equal(modelOf("SIPp indoor unit"), "SIPp indoor unit");
	});
});

describe("built-in registrar: per-subscriber expiry and authentication by IP address (fake clock)", () => {
	let clock: sinon.SinonFakeTimers;
	let registrar: Registrar;
	let n = 0;
	const FROM = (address: string): Source => ({ transport: "UDP", address, port: 5099 });
	beforeEach(() => {
		clock = sinon.useFakeTimers({ now: 1000000 });
		registrar = new Registrar({
			clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"), realm: "door.local", limit: 8, maxExpires: 3600,
			subscribers: [
				{ user: "8001", password: "", address: "192.0.2.21" },
				{ user: "8002", password: "pw8002", address: "192.0.2.22" },
				{ user: "8003", password: "pw8003", expires: 120 },
			],
		});
	});
	afterEach(() => {
		registrar.close();
		clock.restore();
	});

	it("a subscriber bound to an address registers from it without digest; from elsewhere it is refused, or challenged when it has a password", () => {
		const ok = registrar.handle(register("8001"), FROM("192.0.2.21"));
		assert.equal(ok.status, 200, "no challenge from its own address");
		assert.deepEqual(registrar.bindings.map((b) => b.user), ["8001"]);
		const elsewhere = registrar.handle(register("8001"), FROM("203.0.113.9"));
		assert.equal(elsewhere.status, 403);
		assert.match(elsewhere.reason!, /not the subscriber's address/);
		assert.equal(registrar.handle(register("8002"), FROM("192.0.2.22")).status, 200);
		assert.equal(registrar.handle(register("8002"), FROM("203.0.113.9")).status, 401, "with a password: challenged as usual");
	});

	it("a unit's INVITE from its address needs no digest either", () => {
		registrar.handle(register("8001"), FROM("192.0.2.21"));
		const caller = registrar.caller(invite("8001", "8002"), FROM("192.0.2.21"));
		assert.ok(caller && "user" in caller && caller.user === "8001");
		const stranger = registrar.caller(invite("8001", "8002"), FROM("203.0.113.9"));
		assert.ok(stranger && "answer" in stranger && stranger.answer.status === 403);
	});

	it("a subscriber's own expiry is what it gets at most, and by default", () => {
		const asked = (expires?: number) => {
			const challenge = registrar.handle(register("8003", { expires }), FROM("192.0.2.23"));
			const header = String(challenge.headers[0][1]);
			const client = new DigestClient({ hash: nodeHash, random: () => "cn8003" });
			const value = new TextEncoder().encode(header);
			client.challenge(parseAuth(value, 0, value.length, "WWW-Authenticate"));
			const authorization = client.authorize("door.local", { username: "8003", password: "pw8003" }, { method: "REGISTER", uri: "sip:door.local" })!;
			return registrar.handle(register("8003", { expires, authorization }), FROM("192.0.2.23"));
		};
		assert.deepEqual(asked(3600).headers[0], ["Contact", "<sip:8003@127.0.0.1:5099>;expires=120"]);
		assert.deepEqual(asked(undefined).headers[0], ["Contact", "<sip:8003@127.0.0.1:5099>;expires=120"]);
		assert.deepEqual(asked(90).headers[0], ["Contact", "<sip:8003@127.0.0.1:5099>;expires=90"]);
		clock.tick(90000);
		assert.deepEqual(registrar.bindings, [], "expired at its own time");
	});
});
