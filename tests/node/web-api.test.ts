// The configuration API of `npm start` over real HTTP: login, CSRF, every
// invalid value of the schema refused with the stored configuration
// unchanged, secrets never sent back, settings kept across a restart.
import assert from "node:assert/strict";
import http from "node:http";
import sinon from "sinon";
import { DEVICE_SCHEMA, type SchemaNode } from "../../modules/config/schema.js";
import { allowedOf, defaultsOf } from "../../modules/config/values.js";
import { AdminAuth } from "../../modules/web/auth.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { nodeClock } from "../../hosts/node/clock.js";
import { type AdminClient, admin, startStation } from "./helpers.js";
import { leaves } from "../lib/schema.js";

function bad(node: SchemaNode): unknown[] {
	switch (node.kind) {
		case "int": return [node.min - 1, node.max + 1, 1.5, "5"];
		case "bool": return ["true", 1];
		case "choice": return ["nonsense", null];
		case "text": return ["x".repeat(node.max + 1), 7, ...(node.pattern || node.dialable ? ["bad value \u0001 with spaces"] : [])];
		case "list": return [Array.from({ length: node.max + 1 }, () => defaultsOf(node.of)), "not a list"];
		default: return [42];
	}
}

/** A POST from another loopback address (the station sees it as that client's address). */
function postFrom(localAddress: string, url: string, body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method: "POST", localAddress, headers: { "content-type": "application/json", connection: "close" } }, (res) => {
			let text = "";
			res.setEncoding("utf8");
			res.on("data", (d: string) => text += d);
			res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
		});
		req.on("error", reject);
		req.end(body);
	});
}

function patchAt(path: string, value: unknown): Record<string, unknown> {
	return path.split(".").reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

describe("configuration API (npm start)", function () {
	this.timeout(60000);
	let station: Awaited<ReturnType<typeof startStation>>;
	let api: AdminClient;

	before(async () => {
		station = await startStation();
	});
	after(async () => {
		await station?.stop();
	});

	it("asks for an administrator password at first start; only the page and the health check are open", async () => {
		const base = station.base;
		assert.equal((await fetch(base + "/api/health")).status, 200);
		const page = await fetch(base + "/", { headers: { "accept-encoding": "gzip" } });
		assert.equal(page.status, 200);
		const html = await page.text();
		assert.match(html, /<title>portier<\/title>/);
		// the page's script at least parses (the browser tests drive it)
		new Function(html.slice(html.indexOf("<script>") + 8, html.indexOf("</script>")));
		for (const path of ["/api/status", "/api/config", "/api/schema", "/api/config/export"])
			assert.equal((await fetch(base + path)).status, 401, path);
		assert.equal((await fetch(base + "/api/relays/1/open", { method: "POST" })).status, 401);
		assert.deepEqual(await (await fetch(base + "/api/session")).json(), { authenticated: false, setup: true, csrf: null });
		const short = await fetch(base + "/api/session/setup", { method: "POST", body: JSON.stringify({ password: "short" }) });
		assert.equal(short.status, 400);
		assert.deepEqual(await short.json(), { error: "password must be 8-64 characters" });
		const odd = await fetch(base + "/api/session/setup", { method: "POST", body: JSON.stringify({ password: "long enough", more: "1" }) });
		assert.equal(odd.status, 400, "only {password, doorCode} is read before login");
		// the door code of relay 1 is asked at the first start: a refused one sets nothing
		for (const doorCode of ["#", "123", "123456789", "12x4", 1234]) {
			const r = await fetch(base + "/api/session/setup", { method: "POST", body: JSON.stringify({ password: "door-admin-1", doorCode }) });
			assert.equal(r.status, 400, String(doorCode));
			if (typeof doorCode === "string")
				assert.deepEqual(await r.json(), { error: "doorCode: 4-8 of 0-9 * # A-D", errors: [{ field: "doorCode", message: "4-8 of 0-9 * # A-D" }] });
			assert.equal(((await (await fetch(base + "/api/session")).json()) as { setup: boolean }).setup, true, "no password set either");
		}
		const first = await fetch(base + "/api/session/setup", { method: "POST", body: JSON.stringify({ password: "door-admin-1", doorCode: "4711#" }) });
		assert.equal(first.status, 200);
		assert.match(station.output(), /web: administrator password set from 127\.0\.0\.1; relay 1 has a door code/);
		api = await admin(base);
		assert.equal((await api.request("GET", "/api/config")).data.station.relays[0].dtmfCode, "4711#");
		const cookie = (await fetch(base + "/api/session", { method: "POST", body: JSON.stringify({ password: "door-admin-1" }) })).headers.get("set-cookie") ?? "";
		assert.match(cookie, /^portier_session=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Strict$/);
		const again = await fetch(base + "/api/session/setup", { method: "POST", body: JSON.stringify({ password: "someone-else-1" }) });
		assert.equal(again.status, 409, "the first password cannot be replaced without logging in");
	});

	it("locks the login of the address that guessed, not the administrator's; the log gets one line per kind", async () => {
		const base = station.base;
		const guesses: number[] = [];
		for (let i = 0; i < 8; i++)
			guesses.push((await postFrom("127.0.0.2", base + "/api/session", JSON.stringify({ password: "guess-" + i }))).status);
		assert.deepEqual(guesses, [401, 401, 401, 401, 429, 429, 429, 429]);
		const locked = await postFrom("127.0.0.2", base + "/api/session", JSON.stringify({ password: "door-admin-1" }));
		assert.equal(locked.status, 429, "even the right password waits there");
		assert.ok(Number(locked.headers["retry-after"]) > 0 && Number(locked.headers["retry-after"]) <= 30, String(locked.headers["retry-after"]));
		assert.match(JSON.parse(locked.text).error, /^too many failed logins: try again in \d+ s$/);
		const other = await postFrom("127.0.0.1", base + "/api/session", JSON.stringify({ password: "door-admin-1" }));
		assert.equal(other.status, 200, "the administrator elsewhere gets in");
		const output = station.output();
		assert.equal(output.match(/wrong administrator password from 127\.0\.0\.2/g)?.length, 1, "written once, then counted");
		assert.match(output, /web: logins from 127\.0\.0\.2 locked for 30 s/);
		assert.equal(output.match(/refused: locked/g)?.length, 1);
		assert.match(output, /web: administrator logged in from 127\.0\.0\.1/);
	});

	it("refuses changes without the CSRF token or from another site", async () => {
		const base = station.base;
		const put = (headers: Record<string, string>) => fetch(base + "/api/config", { method: "PUT", headers: { cookie: api.cookie, ...headers }, body: JSON.stringify({ station: { maxCallTime: 10 } }) });
		assert.equal((await put({})).status, 403);
		assert.equal((await put({ "x-csrf-token": "0".repeat(32) })).status, 403);
		assert.equal((await put({ "x-csrf-token": api.csrf, origin: "http://evil.example" })).status, 403);
		assert.equal((await put({ "x-csrf-token": api.csrf, "sec-fetch-site": "cross-site" })).status, 403);
		assert.equal((await api.request("GET", "/api/config")).data.station.maxCallTime, 300, "nothing changed");
		assert.equal((await put({ "x-csrf-token": api.csrf, origin: base })).status, 200, "the page's own origin is fine");
		assert.equal((await api.request("PUT", "/api/config", { station: { maxCallTime: 300 } })).status, 200);
	});

	it("answers every invalid value of the schema with 400 naming the field and its range, and changes nothing", async () => {
		const before = (await api.request("GET", "/api/config")).data;
		const all = leaves(DEVICE_SCHEMA);
		let checked = 0;
		for (const { path, node } of all) {
			for (const value of bad(node)) {
				const r = await api.request("PUT", "/api/config", patchAt(path, value));
				assert.equal(r.status, 400, `${path} = ${JSON.stringify(value)}`);
				assert.equal(r.data.errors[0].field, path);
				assert.equal(r.data.errors[0].message, allowedOf(node));
				assert.ok(r.data.error.startsWith(path + ": "), r.data.error);
				checked++;
			}
		}
		assert.ok(checked > 200, checked + " values checked");
		const unknown = await api.request("PUT", "/api/config", { station: { maxCalTime: 5 } });
		assert.equal(unknown.status, 400);
		assert.equal(unknown.data.errors[0].field, "station.maxCalTime");
		const between = await api.request("PUT", "/api/config", { station: { inputs: [{ id: 1, kind: "exit", activeLevel: 0, debounce: 50, relay: 3, template: "" }] } });
		assert.deepEqual(between.data.errors, [{ field: "station.inputs[0].relay", message: "0 (none) or one of the relays 1" }]);
		assert.equal((await api.request("PUT", "/api/config", "{not json")).status, 400);
		const huge = await api.request("PUT", "/api/config", JSON.stringify({ station: { whitelist: ["x".repeat(20000)] } }));
		assert.equal(huge.status, 413);
		assert.deepEqual((await api.request("GET", "/api/config")).data, before, "the stored configuration is unchanged");
	});

	it("never sends a password back: not in config, export, status, schema or session", async () => {
		const secret = "Sup3r-Secret-9";
		const set = await api.request("PUT", "/api/config", { accounts: { "2": { password: secret, server: "127.0.0.9", registerName: "door" } } });
		assert.equal(set.status, 200);
		assert.equal(set.data.accounts["2"].password, null, "set, but not shown");
		for (const path of ["/api/config", "/api/config/export", "/api/status", "/api/schema", "/api/session", "/api/health"]) {
			const r = await api.request("GET", path);
			const text = JSON.stringify(r.data);
			assert.equal(text.indexOf(secret), -1, path);
			assert.equal(text.indexOf("door-admin-1"), -1, path);
		}
		// sending the redacted value back keeps the password; "" clears it
		const config = (await api.request("GET", "/api/config")).data;
		assert.equal((await api.request("PUT", "/api/config", { accounts: config.accounts })).data.accounts["2"].password, null);
		assert.equal((await api.request("PUT", "/api/config", { accounts: { "2": { password: "" } } })).data.accounts["2"].password, "");
	});

	it("keeps every setting across a restart, and imports and exports the configuration", async () => {
		const change = { station: { contacts: ["1001", "1002"], callMode: "group", relays: [{ id: 1, holdTime: 7, dtmfCode: "1234" }], schedules: [{ name: "Office", numbers: ["1003"], windows: [{ days: [1, 2, 3, 4, 5], start: 480, end: 1020 }] }] }, accounts: { "1": { label: "Main PBX", password: "pw-kept-1" } } };
		assert.equal((await api.request("PUT", "/api/config", change)).status, 200);
		const saved = (await api.request("GET", "/api/config")).data;
		await station.stop();
		station = await startStation({ state: station.state, sipPort: station.sipPort, httpPort: station.httpPort });
		assert.match(station.output(), /config: loaded the stored configuration/);
		assert.equal((await fetch(station.base + "/api/status")).status, 401, "sessions do not survive a restart");
		api = await admin(station.base);
		assert.deepEqual((await api.request("GET", "/api/config")).data, saved);
		const exported = (await api.request("GET", "/api/config/export")).data;
		assert.equal((await api.request("POST", "/api/config/reset")).data.station.callMode, "single");
		const imported = await api.request("POST", "/api/config/import", exported);
		assert.equal(imported.status, 200);
		assert.deepEqual(imported.data.station, saved.station);
		assert.equal(imported.data.accounts["1"].password, "", "a factory reset forgot the password; the export did not carry it");
		assert.equal((await api.request("POST", "/api/config/import", { station: { callMode: "loud" } })).status, 400);
	});

	it("reboots from the API: the station starts again with its settings", async () => {
		const r = await api.request("POST", "/api/reboot");
		assert.equal(r.status, 200);
		const deadline = Date.now() + 10000;
		while ((station.output().match(/portier: SIP on/g) ?? []).length < 2 && Date.now() < deadline)
			await new Promise((res) => setTimeout(res, 50));
		assert.match(station.output(), /portier: rebooting[\s\S]*config: loaded the stored configuration[\s\S]*portier: SIP on/);
		api = await admin(station.base);
		assert.equal((await api.request("GET", "/api/config")).data.station.callMode, "group");
	});
});

describe("administrator login (fake clock)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => {
		clock = sinon.useFakeTimers({ now: 1000000 });
	});
	afterEach(() => clock.restore());

	function auth(): AdminAuth {
		const data = new Map<string, string | number | boolean | ArrayBuffer>();
		let n = 0;
		return new AdminAuth({
			storage: { get: (d, k) => data.get(d + k), set: (d, k, v) => void data.set(d + k, v), delete: (d, k) => void data.delete(d + k) },
			hash: nodeHash, token: () => (++n).toString(16).padStart(32, "0"), rounds: 10,
			clock: nodeClock,
		});
	}

	it("locks the logins of an address after five failures, for 30 s, then twice as long; other addresses get in", () => {
		const a = auth();
		a.setPassword("correct-horse");
		for (let i = 0; i < 4; i++)
			assert.deepEqual(a.login("wrong", "10.0.0.9"), { error: "wrong", retryAfter: 0 });
		assert.deepEqual(a.login("wrong", "10.0.0.9"), { error: "locked", retryAfter: 30, locks: true });
		assert.deepEqual(a.login("correct-horse", "10.0.0.9"), { error: "locked", retryAfter: 30 }, "even the right password waits");
		assert.ok("session" in a.login("correct-horse", "10.0.0.10"), "another address is not locked");
		clock.tick(30000);
		for (let i = 0; i < 4; i++)
			a.login("wrong", "10.0.0.9");
		assert.deepEqual(a.login("wrong", "10.0.0.9"), { error: "locked", retryAfter: 60, locks: true });
		clock.tick(60000);
		assert.ok("session" in a.login("correct-horse", "10.0.0.9"));
	});

	it("ends idle sessions after 30 minutes, keeps at most four, and forgets them on a password change", () => {
		const a = auth();
		a.setPassword("correct-horse");
		const s = a.open();
		clock.tick(29 * 60000);
		assert.equal(a.session("portier_session=" + s.token), s);
		clock.tick(29 * 60000);
		assert.equal(a.session("x=1; portier_session=" + s.token), s, "use keeps it alive");
		clock.tick(30 * 60000);
		assert.equal(a.session("portier_session=" + s.token), undefined);
		const many = [a.open(), a.open(), a.open(), a.open(), a.open()];
		assert.equal(a.session("portier_session=" + many[0].token), undefined, "the oldest went");
		assert.equal(a.session("portier_session=" + many[4].token), many[4]);
		a.setPassword("another-one-2");
		assert.equal(a.session("portier_session=" + many[4].token), undefined);
		assert.ok(!a.verify("correct-horse"));
		assert.ok(a.verify("another-one-2"));
	});
});
