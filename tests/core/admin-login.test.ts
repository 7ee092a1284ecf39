// The administrator's login under attack, on the injected clock (plain code:
// runs under Node and inside XS): failed logins lock their own source
// address, not the administrator's; the table of sources stays small; a flood
// from many addresses slows every login but locks nobody out; the log gets a
// few lines, not one per attempt. And the first start with a door code.
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { AdminAuth, sourceKey } from "../../modules/web/auth.js";
import { handleRequest, type ApiOptions } from "../../modules/web/api.js";
import type { WebAnswer } from "../../modules/web/server.js";
import type { StationApp } from "../../modules/station/app.js";
import type { Settings } from "../../modules/config/settings.js";

const PASSWORD = "correct-horse";

/** A cheap stand-in for SHA-256: the tests try thousands of passwords. */
function hash(_algorithm: string, text: string): string {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++)
		h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
	return h.toString(16).padStart(8, "0");
}

function makeAuth(clock = new ManualClock()) {
	clock.time = 1000000;
	const data = new Map<string, string | number | boolean | ArrayBuffer>();
	let n = 0;
	const auth = new AdminAuth({
		storage: { get: (d, k) => data.get(d + "/" + k), set: (d, k, v) => void data.set(d + "/" + k, v), delete: (d, k) => void data.delete(d + "/" + k) },
		hash, token: () => (++n).toString(16).padStart(32, "0"), rounds: 2, clock,
	});
	return { auth, clock };
}

describe("administrator login: lock-out per source address", () => {
	it("locks the address that failed five times, for 30 s doubling to 5 minutes; the administrator elsewhere gets in", () => {
		const { auth, clock } = makeAuth();
		auth.setPassword(PASSWORD);
		for (let i = 0; i < 4; i++)
			deepEqual(auth.login("wrong", "10.0.0.9"), { error: "wrong", retryAfter: 0 });
		deepEqual(auth.login("wrong", "10.0.0.9"), { error: "locked", retryAfter: 30, locks: true });
		deepEqual(auth.login(PASSWORD, "10.0.0.9"), { error: "locked", retryAfter: 30 }, "even the right password waits there");
		ok("session" in auth.login(PASSWORD, "10.0.0.20"), "another address logs in while 10.0.0.9 is locked");
		clock.advance(29000);
		deepEqual(auth.login("wrong", "10.0.0.9"), { error: "locked", retryAfter: 1 });
		const locks: number[] = [];
		for (let round = 0; round < 6; round++) {
			clock.advance(300000);
			for (let i = 0; i < 4; i++)
				equal((auth.login("wrong", "10.0.0.9") as { error: string }).error, "wrong");
			locks.push((auth.login("wrong", "10.0.0.9") as { retryAfter: number }).retryAfter);
			ok("session" in auth.login(PASSWORD, "10.0.0.20"), "round " + round);
		}
		deepEqual(locks, [60, 120, 240, 300, 300, 300]);
		clock.advance(300000);
		ok("session" in auth.login(PASSWORD, "10.0.0.9"), "after the lock the right password gets in");
		for (let i = 0; i < 4; i++)
			auth.login("wrong", "10.0.0.9");
		deepEqual(auth.login("wrong", "10.0.0.9"), { error: "locked", retryAfter: 30, locks: true }, "a login starts the count again");
	});

	it("keeps at most 16 sources under 10,000 addresses, and a locked address stays locked", () => {
		const { auth, clock } = makeAuth();
		auth.setPassword(PASSWORD);
		for (let i = 0; i < 5; i++)
			auth.login("wrong", "192.168.1.66");
		let most = 0;
		for (let i = 0; i < 10000; i++) {
			auth.login("wrong", "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255));
			most = Math.max(most, auth.sources);
			clock.advance(2);
		}
		equal(most, 16);
		equal((auth.login(PASSWORD, "192.168.1.66") as { error: string }).error, "locked", "the flood did not unlock it");
		clock.advance(1000);
		ok("session" in auth.login(PASSWORD, "192.168.1.10"), "the administrator gets in (when its turn comes)");
	});

	it("when many addresses fail, every login is slowed (429, retry after 1 s) but the right password gets in at its turn", () => {
		const { auth, clock } = makeAuth();
		auth.setPassword(PASSWORD);
		for (let i = 1; i < 20; i++)
			deepEqual(auth.login("wrong", "10.0.1." + i), { error: "wrong", retryAfter: 0 });
		ok(!auth.slowed);
		deepEqual(auth.login("wrong", "10.0.1.20"), { error: "wrong", retryAfter: 0, slows: true });
		ok(auth.slowed);
		// four attempts a second in all, and one a second from each address
		for (let i = 21; i < 25; i++)
			deepEqual(auth.login("wrong", "10.0.1." + i), { error: "wrong", retryAfter: 0 });
		deepEqual(auth.login(PASSWORD, "192.168.1.10"), { error: "busy", retryAfter: 1 });
		clock.advance(1000);
		deepEqual(auth.login("wrong", "10.0.1.21"), { error: "wrong", retryAfter: 0 });
		deepEqual(auth.login("wrong", "10.0.1.21"), { error: "busy", retryAfter: 1 }, "one a second from an address");
		ok("session" in auth.login(PASSWORD, "192.168.1.10"), "its turn came");
		// a minute and more without failures: no longer slowed
		clock.advance(120000);
		ok(!auth.slowed);
		for (let i = 0; i < 4; i++)
			auth.login("wrong", "10.0.2.1");
		ok("session" in auth.login(PASSWORD, "10.0.2.1"));
	});

	it("counts requests without an address under one key, IPv6 addresses by their /64", () => {
		equal(sourceKey(undefined), "?");
		equal(sourceKey(""), "?");
		equal(sourceKey("10.1.2.3"), "10.1.2.3");
		equal(sourceKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
		equal(sourceKey("2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
		equal(sourceKey("fe80::1%eth0"), "fe80:0:0:0::/64");
		equal(sourceKey("::1"), "0:0:0:0::/64");
		equal(sourceKey("1:2::3:4:5:6:7"), "1:2:0:3::/64");
		equal(sourceKey("zz::1"), "?");
		equal(sourceKey("x".repeat(65)), "?");
		const { auth } = makeAuth();
		auth.setPassword(PASSWORD);
		for (let i = 0; i < 5; i++)
			auth.login("wrong", "2001:db8:1:2::" + (i + 1).toString(16));
		equal((auth.login(PASSWORD, "2001:db8:1:2::99") as { error: string }).error, "locked", "the same /64");
		ok("session" in auth.login(PASSWORD, "2001:db8:1:3::1"));
		for (let i = 0; i < 5; i++)
			auth.login("wrong");
		equal((auth.login(PASSWORD, "") as { error: string }).error, "locked", "unknown addresses share a lock");
	});
});

/** The API over fakes of the station and the settings (only what the login and the first start touch). */
function makeApi() {
	const clock = new ManualClock();
	const { auth } = makeAuth(clock);
	const lines: string[] = [];
	let relays = [{ id: 1, holdTime: 3, dtmfCode: "#" }, { id: 2, holdTime: 5, dtmfCode: "" }];
	const updates: unknown[] = [];
	let refuse = false;
	const settings = {
		get config() {
			return { station: { relays } };
		},
		update(patch: { station: { relays: typeof relays } }) {
			updates.push(patch);
			if (refuse)
				return { errors: [{ field: "station.relays[0].dtmfCode", message: "4-8 of 0-9 * # A-D" }] };
			relays = patch.station.relays;
			return { errors: [] };
		},
	};
	const o: ApiOptions = { app: { clock } as unknown as StationApp, settings: settings as unknown as Settings, auth, log: (l) => lines.push(l) };
	const request = (path: string, body: string, remote = "10.0.0.9", headers: Array<[string, string]> = []): WebAnswer & { data: any } => {
		const answer = handleRequest(o, { method: "POST", path, query: "", headers: new Map([["host", "door"], ...headers]), body, remote });
		return { ...answer, data: JSON.parse(answer.body as string) };
	};
	return { clock, auth, lines, request, updates, relays: () => relays, refuse: () => void (refuse = true) };
}

describe("administrator login over the API", () => {
	it("answers 429 with Retry-After to the locked address, 200 to another; the log gets a few lines, not one per attempt", () => {
		const { clock, lines, request, auth } = makeApi();
		auth.setPassword(PASSWORD);
		for (let i = 0; i < 4; i++)
			equal(request("/api/session", "{\"password\": \"guess" + i + "\"}").status, 401);
		const locked = request("/api/session", "{\"password\": \"guess\"}");
		equal(locked.status, 429);
		deepEqual(locked.headers, [["retry-after", "30"]]);
		for (let i = 0; i < 1000; i++)
			equal(request("/api/session", "{\"password\": \"guess\"}").status, 429);
		const other = request("/api/session", JSON.stringify({ password: PASSWORD }), "10.0.0.20");
		equal(other.status, 200);
		ok(other.data.csrf);
		deepEqual(lines, [
			"web: wrong administrator password from 10.0.0.9",
			"web: logins from 10.0.0.9 locked for 30 s after repeated wrong passwords",
			"web: login from 10.0.0.9 refused: locked",
			"web: administrator logged in from 10.0.0.20",
		]);
		clock.advance(60000);
		deepEqual(lines.slice(4), [
			"web: wrong administrator password from 10.0.0.9 (3 more in 60 s)",
			"web: login from 10.0.0.9 refused: locked (999 more in 60 s)",
		]);
	});

	it("a flood from many addresses is answered 429 (retry after 1 s), logged in a few lines, and the administrator gets in", () => {
		const { clock, lines, request, auth } = makeApi();
		auth.setPassword(PASSWORD);
		let busy = 0;
		for (let i = 0; i < 2000; i++) {
			const r = request("/api/session", "{\"password\": \"guess\"}", "10.1." + (i >> 8) + "." + (i & 255));
			if (r.status === 429) {
				busy++;
				deepEqual(r.headers, [["retry-after", "1"]]);
			}
		}
		ok(busy > 1900, busy + " slowed");
		equal(request("/api/session", JSON.stringify({ password: PASSWORD }), "192.168.1.10").status, 429);
		clock.advance(1000);
		equal(request("/api/session", JSON.stringify({ password: PASSWORD }), "192.168.1.10").status, 200);
		// 16 kinds of line at most (the log limit's bound), one shared by the rest, the slow-down, the login
		ok(lines.length <= 19, lines.length + " lines");
		equal(lines.filter((l) => l === "web: many failed logins: every address is slowed to one login a second").length, 1);
		equal(lines[lines.length - 1], "web: administrator logged in from 192.168.1.10");
		clock.advance(60000);
		ok(lines.length <= 19 + 17, lines.length + " lines: at most one count per kind");
	});

	it("reads only {\"password\": string} before login", () => {
		const { request, auth } = makeApi();
		auth.setPassword(PASSWORD);
		for (const body of ["", "{}", "{\"password\": 12345678}", "{\"password\": [\"x\"]}", "{\"password\": \"a\", \"password\": \"b\"}", "{\"password\": \"correct-horse\", \"x\": \"1\"}", "{\"password\": \"correct-horse\"", "{\"password\": \"correct-horse\"} x", "{\"password\": \"" + "x".repeat(2000) + "\"}", "[\"correct-horse\"]", "{\"password\": \"bad \\q escape\"}"])
			equal(request("/api/session", body).status, 400, body.slice(0, 60));
		equal(request("/api/session", " { \"pass\\u0077ord\" :\n\"correct-\\u0068orse\" } ").status, 200, "any JSON spelling");
	});
});

describe("password change", () => {
	it("guesses of the current password count like failed logins, per address; the change is logged", () => {
		const { request, auth, lines } = makeApi();
		auth.setPassword(PASSWORD);
		const session = auth.open();
		const headers: Array<[string, string]> = [["cookie", "portier_session=" + session.token], ["x-csrf-token", session.csrf]];
		const change = (current: string, remote: string) => request("/api/password", JSON.stringify({ current, password: "another-one-2" }), remote, headers);
		for (let i = 0; i < 4; i++)
			equal(change("guess" + i, "10.0.0.9").status, 403);
		equal(change("guess", "10.0.0.9").status, 429);
		equal(change(PASSWORD, "10.0.0.9").status, 429, "locked there, even with the right one");
		const done = change(PASSWORD, "10.0.0.20");
		equal(done.status, 200);
		ok(auth.verify("another-one-2"));
		deepEqual(lines, [
			"web: wrong current password (password change) from 10.0.0.9",
			"web: logins from 10.0.0.9 locked for 30 s after repeated wrong passwords",
			"web: login from 10.0.0.9 refused: locked",
			"web: administrator password changed from 10.0.0.20",
		]);
	});
});

describe("first start: password and door code", () => {
	const RULE = { error: "doorCode: 4-8 of 0-9 * # A-D", errors: [{ field: "doorCode", message: "4-8 of 0-9 * # A-D" }] };

	it("sets the door code of relay 1 with the password", () => {
		const { request, relays, auth, lines } = makeApi();
		const r = request("/api/session/setup", JSON.stringify({ password: PASSWORD, doorCode: "12A#" }));
		equal(r.status, 200);
		ok(auth.verify(PASSWORD));
		deepEqual(relays(), [{ id: 1, holdTime: 3, dtmfCode: "12A#" }, { id: 2, holdTime: 5, dtmfCode: "" }]);
		deepEqual(lines, ["web: administrator password set from 10.0.0.9; relay 1 has a door code"]);
	});

	it("without a door code (absent or \"\") relay 1 has none", () => {
		const absent = makeApi();
		equal(absent.request("/api/session/setup", JSON.stringify({ password: PASSWORD })).status, 200);
		equal(absent.updates.length, 0, "nothing to change");
		const empty = makeApi();
		equal(empty.request("/api/session/setup", JSON.stringify({ password: PASSWORD, doorCode: "" })).status, 200);
		equal(empty.relays()[0].dtmfCode, "");
	});

	it("refuses a bad door code with 400 naming doorCode and its rule, and sets nothing", () => {
		const { request, relays, auth, updates } = makeApi();
		for (const code of ["#", "123", "123456789", "12a4", "12 4", "１２３４"]) {
			const r = request("/api/session/setup", JSON.stringify({ password: PASSWORD, doorCode: code }));
			equal(r.status, 400, code);
			deepEqual(r.data, RULE, code);
		}
		for (const body of ["{\"password\": \"correct-horse\", \"doorCode\": 1234}", "{\"password\": \"correct-horse\", \"doorCode\": null}", "{\"password\": \"correct-horse\", \"doorCode\": \"1234\", \"relay\": \"2\"}"])
			equal(request("/api/session/setup", body).status, 400, body);
		equal(request("/api/session/setup", JSON.stringify({ password: "short", doorCode: "1234" })).status, 400);
		equal(updates.length, 0);
		equal(relays()[0].dtmfCode, "#");
		ok(!auth.hasPassword, "no password either");
	});

	it("when the configuration refuses the door code, the password is not set either", () => {
		const { request, auth, refuse } = makeApi();
		refuse();
		const r = request("/api/session/setup", JSON.stringify({ password: PASSWORD, doorCode: "2580" }));
		equal(r.status, 400);
		deepEqual(r.data, RULE);
		ok(!auth.hasPassword);
	});
});
