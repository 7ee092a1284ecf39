// The built-in SIP server of `npm start` with SIPp indoor units: each unit
// registers with digest authentication (one SIPp) and answers at its contact
// (another SIPp). The call button rings every unit, the first to answer gets
// the call and its audio, the others are cancelled; a unit calls another
// through the station, and a group number rings its members; with the PBX
// (Kamailio) gone, the call button still rings the units.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWav } from "../../hosts/node/audio.js";
import { power } from "../lib/signal.js";
import { type AdminClient, admin, freePort, startStation } from "../node/helpers.js";
import { type Kamailio, USERS, kamailioInstalled, startKamailio } from "./kamailio.js";
import { type Running, installed, scenarioWith, sipp } from "./peers.js";

const password = (user: string) => "pw-" + user + "-x";

describe("built-in SIP server: calls (SIPp units)", function () {
	this.timeout(90000);
	let station: Awaited<ReturnType<typeof startStation>>;
	let api: AdminClient;
	const recordings = mkdtempSync(join(tmpdir(), "portier-recordings-"));
	const running: Running[] = [];

	before(async function () {
		if (!installed("sipp")) {
			process.stdout.write("\n  hotspot: skipped: sipp is not installed\n");
			this.skip();
		}
		station = await startStation({ args: ["--mic", "1000", "--record", recordings] });
		api = await admin(station.base);
		const set = await api.request("PUT", "/api/config", {
			server: {
				enabled: true, realm: "door.local", limit: 3, button: "units",
				subscribers: ["8001", "8002", "8003"].map((user) => ({ user, password: password(user), name: "Flat " + user })),
				groups: [{ number: "600", name: "Upstairs", members: ["8002", "8003"] }],
			},
		});
		assert.equal(set.status, 200, JSON.stringify(set.data));
	});
	afterEach(async () => {
		for (const r of running.splice(0))
			await r.stop();
	});
	after(async () => {
		await station?.stop();
	});

	/** A unit: its answering SIPp (a scenario file, or a ready one), then its registration pointing there. */
	async function unit(user: string, scenario: string, extra: string[] = []): Promise<Running> {
		const port = await freePort();
		const uas = sipp(scenario, port, undefined, ["-mp", String(await freePort()), ...extra]);
		running.push(uas);
		const registration = sipp(scenarioWith("register-auth.xml", { EXPECTED: "200", EXPIRES: "360", CONTACT_PORT: String(port) }), await freePort(), "127.0.0.1:" + station.sipPort, ["-s", user, "-au", user, "-ap", password(user)]);
		assert.equal(await registration.exited, 0, user + ": " + registration.output().slice(-1500));
		return uas;
	}

	const answering = (ms: number) => scenarioWith("uas-answer-after.xml", { RING_MS: String(ms) });
	const status = async () => (await api.request("GET", "/api/status")).data;

	it("the call button rings all three units; the first to answer gets the call and the station's audio, the others are cancelled", async () => {
		const first = await unit("8001", "uas-ring-cancel.xml");
		const second = await unit("8002", answering(1000), ["-rtp_echo"]);
		const third = await unit("8003", "uas-ring-cancel.xml");
		assert.deepEqual((await status()).subscribers.map((s: { user: string }) => s.user).sort(), ["8001", "8002", "8003"]);
		assert.equal((await api.request("POST", "/api/inputs/1/press")).status, 200);
		assert.equal(await first.exited, 0, "8001 was cancelled: " + first.output().slice(-1500));
		assert.equal(await third.exited, 0, "8003 was cancelled: " + third.output().slice(-1500));
		const calls = (await status()).calls as Array<{ remote: string; state: string }>;
		assert.equal(calls.length, 1, JSON.stringify(calls));
		assert.equal(calls[0].state, "answered");
		assert.match(calls[0].remote, /8002@127\.0\.0\.1/);
		await new Promise((r) => setTimeout(r, 1500));	// the echo of the station's tone comes back
		assert.equal((await api.request("POST", "/api/hangup")).status, 200);
		assert.equal(await second.exited, 0, "8002 got its BYE: " + second.output().slice(-1500));
		const files = readdirSync(recordings);
		assert.equal(files.length, 1, "one call had media: " + files.join());
		const heard = readWav(join(recordings, files[0]));
		assert.ok(heard.length >= 4000, "heard " + heard.length + " samples");
		assert.ok(power(heard, 1000) > 20 * power(heard, 600), "the winner echoed the station's 1 kHz tone");
	});

	it("extension 8001 calls 8002 through the station: digest on the INVITE, the SDP passed end to end, BYE carried across", async () => {
		const callee = await unit("8002", answering(500));
		const caller = await unit("8001", "uas-ring-cancel.xml");	// registered; it places the call from another SIPp
		running.splice(running.indexOf(caller), 1);
		await caller.stop();
		const callerPort = await freePort();
		const mediaPort = await freePort();
		const call = sipp(scenarioWith("uac-unit-call.xml", { FROM_USER: "8001" }), callerPort, "127.0.0.1:" + station.sipPort, ["-s", "8002", "-au", "8001", "-ap", password("8001"), "-mp", String(mediaPort), "-trace_msg"]);
		running.push(call);
		assert.equal(await call.exited, 0, call.output().slice(-2000));
		assert.equal(await callee.exited, 0, "8002 answered and got the BYE: " + callee.output().slice(-1500));
		const trace = readFileSync(join(call.dir, readdirSync(call.dir).find((f) => f.endsWith("_messages.log"))!), "latin1");
		assert.match(trace, /SIP\/2\.0 407/, "the station asked for the caller's credentials");
		const answer = trace.split("SIP/2.0 200 OK").slice(1).find((m) => /CSeq: 2 INVITE/.test(m)) ?? "";
		assert.match(answer, /o=user1 53655765 2353687637/, "the caller got the callee's own SDP");
		assert.deepEqual((await status()).calls, []);
	});

	it("a group number rings its members; the first to answer wins and the other is cancelled", async () => {
		const cancelled = await unit("8002", "uas-ring-cancel.xml");
		const winner = await unit("8003", answering(700));
		const call = sipp(scenarioWith("uac-unit-call.xml", { FROM_USER: "8001" }), await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "600", "-au", "8001", "-ap", password("8001"), "-mp", String(await freePort())]);
		running.push(call);
		assert.equal(await call.exited, 0, call.output().slice(-2000));
		assert.equal(await cancelled.exited, 0, "8002 was cancelled: " + cancelled.output().slice(-1500));
		assert.equal(await winner.exited, 0, "8003 answered: " + winner.output().slice(-1500));
	});

	it("a wrong password on the INVITE gets 403 and rings nobody; so does a subscriber that holds no place", async () => {
		const nobody = await unit("8002", "uas-ring-cancel.xml", ["-timeout", "4s"]);
		const wrong = sipp(scenarioWith("uac-unit-refused.xml", { FROM_USER: "8001", EXPECTED: "403" }), await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "8002", "-au", "8001", "-ap", "not-the-password"]);
		running.push(wrong);
		assert.equal(await wrong.exited, 0, wrong.output().slice(-2000));
		// 8003 de-registers: its place is free, and it may place no call until it registers again
		const gone = sipp(scenarioWith("register-auth.xml", { EXPECTED: "200", EXPIRES: "0", CONTACT_PORT: "5999" }), await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "8003", "-au", "8003", "-ap", password("8003")]);
		assert.equal(await gone.exited, 0, gone.output().slice(-1500));
		const unregistered = sipp(scenarioWith("uac-unit-refused.xml", { FROM_USER: "8003", EXPECTED: "403" }), await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "8002", "-au", "8003", "-ap", password("8003")]);
		running.push(unregistered);
		assert.equal(await unregistered.exited, 0, unregistered.output().slice(-2000));
		assert.notEqual(await nobody.exited, 0, "8002 never rang (its SIPp gave up waiting)");
		assert.deepEqual((await status()).calls, []);
	});

	describe("with Kamailio as the PBX", () => {
		let kamailio: Kamailio | undefined;
		let kamailioPort = 0;

		before(async function () {
			if (!kamailioInstalled()) {
				process.stdout.write("\n  hotspot: the PBX tests skipped: kamailio is not installed\n");
				this.skip();
			}
			kamailioPort = await freePort();
			kamailio = await startKamailio({ udpPort: kamailioPort, tcpPort: await freePort() });
			const set = await api.request("PUT", "/api/config", {
				accounts: { "1": { enabled: true, server: "127.0.0.1", port: kamailioPort, registerName: "door", password: USERS.door, expires: 60 } },
			});
			assert.equal(set.status, 200, JSON.stringify(set.data));
			const deadline = Date.now() + 10000;
			while (!(await status()).registrations.find((a: { id: string; registered: boolean }) => a.id === "1")?.registered) {
				assert.ok(Date.now() < deadline, "Account 1 registered to Kamailio");
				await new Promise((r) => setTimeout(r, 100));
			}
		});
		after(async () => {
			await kamailio?.stop();
		});

		it("a call to the station's number through Kamailio rings the units (ring mode extensions); the caller is bridged to the one that answers", async () => {
			assert.equal((await api.request("PUT", "/api/config", { server: { ringMode: "extensions" } })).status, 200);
			const callee = await unit("8002", answering(500));
			const other = await unit("8003", "uas-ring-cancel.xml");
			const caller = sipp(scenarioWith("uac-call.xml", { HOLD_MS: "500" }), await freePort(), "127.0.0.1:" + kamailioPort, ["-s", "door", "-mp", String(await freePort())]);
			running.push(caller);
			assert.equal(await caller.exited, 0, "the caller was answered: " + caller.output().slice(-1500));
			assert.equal(await other.exited, 0, "8003 was cancelled: " + other.output().slice(-1500));
			assert.equal(await callee.exited, 0, "8002 answered and got the caller's BYE: " + callee.output().slice(-1500));
		});

		it("a unit calls 1001 out through Account 1: Kamailio delivers it, from the station's registered number", async () => {
			const port = await freePort();
			const far = sipp(answering(300), port, undefined, ["-mp", String(await freePort()), "-trace_msg"]);
			running.push(far);
			const registration = sipp(scenarioWith("register-auth.xml", { EXPECTED: "200", EXPIRES: "360", CONTACT_PORT: String(port) }), await freePort(), "127.0.0.1:" + kamailioPort, ["-s", "1001", "-au", "1001", "-ap", USERS["1001"]]);
			assert.equal(await registration.exited, 0, registration.output().slice(-1500));
			await unit("8001", "uas-ring-cancel.xml").then((r) => { running.splice(running.indexOf(r), 1); return r.stop(); });
			const call = sipp(scenarioWith("uac-unit-call.xml", { FROM_USER: "8001" }), await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "1001", "-au", "8001", "-ap", password("8001"), "-mp", String(await freePort())]);
			running.push(call);
			assert.equal(await call.exited, 0, call.output().slice(-2000));
			assert.equal(await far.exited, 0, "1001 answered and got the BYE: " + far.output().slice(-1500));
			const trace = readFileSync(join(far.dir, readdirSync(far.dir).find((f) => f.endsWith("_messages.log"))!), "latin1");
			assert.match(trace, /From: <sip:door@127\.0\.0\.1>/, "the call went out as the station's account");
		});

		it("with Kamailio stopped, the call button still rings the local units", async () => {
			assert.equal((await api.request("PUT", "/api/config", { station: { contacts: ["1001"] }, server: { button: "contacts", fallback: 2 } })).status, 200);
			await kamailio!.stop();
			kamailio = undefined;
			const answering1 = await unit("8001", answering(300));
			const pressed = Date.now();
			assert.equal((await api.request("POST", "/api/inputs/1/press")).status, 200);
			const deadline = Date.now() + 10000;
			let calls: Array<{ remote: string; state: string }> = [];
			while (!(calls = (await status()).calls).some((c: { remote: string; state: string }) => c.state === "answered" && /8001@/.test(c.remote))) {
				assert.ok(Date.now() < deadline, "a unit answered: " + JSON.stringify(calls));
				await new Promise((r) => setTimeout(r, 100));
			}
			assert.ok(Date.now() - pressed >= 1900, "the units rang after the 2 s fallback");
			assert.equal((await api.request("POST", "/api/hangup")).status, 200);
			assert.equal(await answering1.exited, 0, answering1.output().slice(-1500));
		});
	});
});
