// The built-in SIP server of `npm start`: SIPp subscribers register with
// digest authentication; the subscriber limit holds; a wrong password gets
// 403; de-registration frees a place at once; new settings keep the units
// registered that may still join.
import assert from "node:assert/strict";
import { type AdminClient, admin, freePort, startStation } from "../node/helpers.js";
import { installed, scenarioWith, sipp } from "./peers.js";

describe("built-in SIP server (SIPp subscribers)", function () {
	this.timeout(60000);
	let station: Awaited<ReturnType<typeof startStation>>;
	let api: AdminClient;

	before(async function () {
		if (!installed("sipp")) {
			process.stdout.write("\n  registrar: skipped: sipp is not installed\n");
			this.skip();
		}
		station = await startStation();
		api = await admin(station.base);
		const subscribers = ["8001", "8002", "8003", "8004"].map((user) => ({ user, password: "pw-" + user + "-x" }));
		const set = await api.request("PUT", "/api/config", { server: { enabled: true, realm: "door.local", limit: 3, subscribers } });
		assert.equal(set.status, 200, JSON.stringify(set.data));
		assert.deepEqual(set.data.server.subscribers.map((s: { password: unknown }) => s.password), [null, null, null, null], "passwords are not sent back");
	});
	after(async () => {
		await station?.stop();
	});

	async function register(user: string, password: string, expected: number, expires = 360): Promise<void> {
		const port = await freePort();
		const phone = sipp(scenarioWith("register-auth.xml", { EXPECTED: String(expected), EXPIRES: String(expires), CONTACT_PORT: String(port) }), port, "127.0.0.1:" + station.sipPort, ["-s", user, "-au", user, "-ap", password]);
		assert.equal(await phone.exited, 0, `${user} expected ${expected}: ` + phone.output().slice(-1500));
	}

	const subscribers = async () => ((await api.request("GET", "/api/status")).data.subscribers as Array<{ user: string; userAgent: string }>);

	it("three subscribers register with digest; a fourth beyond the limit and a wrong password get 403", async () => {
		for (const user of ["8001", "8002", "8003"])
			await register(user, "pw-" + user + "-x", 200);
		assert.deepEqual((await subscribers()).map((s) => [s.user, s.userAgent]), [["8001", "SIPp indoor unit"], ["8002", "SIPp indoor unit"], ["8003", "SIPp indoor unit"]]);
		await register("8004", "pw-8004-x", 403);
		await register("8001", "not-the-password", 403);
		await register("9999", "whatever-pw", 403);
		assert.equal((await subscribers()).length, 3);
	});

	it("joined devices in the status; a reboot is sent to an online one, removal frees its place; unknown ones get 404", async () => {
		const devices = (await api.request("GET", "/api/status")).data.server.devices as Array<{ user: string; online: boolean; model: string; extension: string }>;
		assert.deepEqual(devices.map((d) => [d.user, d.extension, d.online, d.model]).sort(), [["8001", "8001", true, "SIPp indoor unit"], ["8002", "8002", true, "SIPp indoor unit"], ["8003", "8003", true, "SIPp indoor unit"]]);
		assert.equal((await api.request("POST", "/api/devices/8003/reboot")).status, 200);
		assert.equal((await api.request("POST", "/api/devices/9999/reboot")).status, 404);
		assert.equal((await api.request("POST", "/api/devices/8003/remove")).status, 200);
		assert.deepEqual((await subscribers()).map((s) => s.user), ["8001", "8002"]);
		assert.equal((await api.request("POST", "/api/devices/8003/reboot")).status, 404, "removed from the list");
		await register("8003", "pw-8003-x", 200);
	});

	it("de-registration frees the place at once; sending the list back keeps the passwords", async () => {
		await register("8001", "pw-8001-x", 200, 0);
		assert.deepEqual((await subscribers()).map((s) => s.user), ["8002", "8003"]);
		await register("8004", "pw-8004-x", 200);
		assert.deepEqual((await subscribers()).map((s) => s.user), ["8002", "8003", "8004"]);
		// the redacted list sent back with a smaller limit: the units registered longest stay, the passwords too
		const config = (await api.request("GET", "/api/config")).data;
		assert.equal((await api.request("PUT", "/api/config", { server: { ...config.server, limit: 2 } })).status, 200);
		assert.deepEqual((await subscribers()).map((s) => s.user), ["8002", "8003"]);
		await register("8004", "pw-8004-x", 403);
		await register("8002", "pw-8002-x", 200, 0);
		await register("8001", "pw-8001-x", 200);
		assert.deepEqual((await subscribers()).map((s) => s.user), ["8003", "8001"]);
	});
});
