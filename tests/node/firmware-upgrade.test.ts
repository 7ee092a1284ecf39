// A firmware upgrade from the page's API on `npm start`, over real HTTP: the
// upload is authenticated (session and CSRF) before its body is taken;
// images refused (another chip, cut short, a wrong signature, unsigned) are
// answered 400 with the reason and change nothing (no image in the state
// folder, the boot state and the configuration as they were); a good image
// is written exactly to the "other partition" (a file in the state folder),
// the station restarts and the new firmware confirms itself. The images are
// real ESP-IDF-format images built by the test (tests/lib/firmware-image.ts)
// and signed with the test's own key pair.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AdminClient, admin, startStation } from "./helpers.js";
import { espImage, signedImage, testCrypto } from "../lib/firmware-image.js";
import { toHex } from "../../modules/update/image.js";

async function upload(base: string, client: AdminClient | undefined, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; data: any }> {
	const r = await fetch(base + "/api/firmware", {
		method: "POST",
		headers: { "content-type": "application/octet-stream", ...(client ? { cookie: client.cookie, "x-csrf-token": client.csrf } : {}), ...headers },
		body,
	});
	return { status: r.status, data: await r.json() };
}

async function until(check: () => boolean, ms: number): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end)
			throw new Error("timed out");
		await new Promise((r) => setTimeout(r, 50));
	}
}

describe("firmware upgrade from the page (npm start)", function () {
	this.timeout(60000);
	let station: Awaited<ReturnType<typeof startStation>>;
	let api: AdminClient;
	// a 600 KB image: many TCP segments, streamed into the file as they come
	const image = espImage({ segments: [200000, 300000, 100000], version: "0.3.0" });
	const good = signedImage(image);

	before(async () => {
		station = await startStation({ args: ["--update-key", toHex(testCrypto().publicKey())] });
		api = await admin(station.base);
		const changed = await api.request("PUT", "/api/config", { station: { relays: [{ id: 1, dtmfCode: "4711" }] } });
		assert.equal(changed.status, 200, JSON.stringify(changed.data));
	});
	after(async () => {
		await station?.stop();
	});

	const imageFile = () => join(station.state, "ota-next.bin");
	const bootState = () => existsSync(join(station.state, "ota-state.json")) ? JSON.parse(readFileSync(join(station.state, "ota-state.json"), "utf8")).state : undefined;

	it("takes no upload without a session, without the CSRF token, or from another site", async () => {
		assert.equal((await upload(station.base, undefined, good)).status, 401);
		assert.deepEqual(await upload(station.base, { ...api, csrf: "wrong" }, good), { status: 403, data: { error: "missing or wrong CSRF token" } });
		assert.equal((await upload(station.base, api, good, { origin: "http://evil.example" })).status, 403);
		assert.equal((await fetch(station.base + "/api/firmware", { headers: { cookie: api.cookie } })).status, 405);
		assert.ok(!existsSync(imageFile()) && bootState() === undefined);
	});

	it("refuses a wrong chip, a truncated image, a wrong signature and an unsigned one, with the reason, changing nothing", async () => {
		const flipped = good.slice();
		flipped[flipped.length - 1] ^= 1;
		const cases: Array<[Uint8Array, RegExp]> = [
			[signedImage(espImage({ chip: 5 })), /^image is for ESP32-C3, this panel is ESP32$/],
			[good.subarray(0, 400000), /^the image is cut short at 400000 bytes/],
			[flipped, /^wrong signature: the image is not signed with this firmware's update key$/],
			[signedImage(image, { otherKey: true }), /^wrong signature/],
			[image, /^no signature block/],
		];
		for (const [bytes, reason] of cases) {
			const r = await upload(station.base, api, bytes);
			assert.equal(r.status, 400, JSON.stringify(r.data));
			assert.match(r.data.error, reason);
			assert.ok(!existsSync(imageFile()) && !existsSync(imageFile() + ".part"), "no image kept");
			assert.equal(bootState(), undefined, "the boot state is untouched");
		}
		const config = await api.request("GET", "/api/config");
		assert.equal(config.data.station.relays[0].dtmfCode, "4711");
	});

	it("writes a good image exactly, restarts, and the new firmware confirms itself; the configuration survives", async () => {
		const r = await upload(station.base, api, good);
		assert.equal(r.status, 200, JSON.stringify(r.data));
		assert.deepEqual(r.data, { upgraded: true, project: "portier", version: "0.3.0", size: image.length, sha256: r.data.sha256, rebooting: true });
		assert.ok(Buffer.from(readFileSync(imageFile())).equals(Buffer.from(image)), "the partition holds exactly the image");
		// restarted (the log says so), then confirmed once SIP and the page are up again
		await until(() => station.output().includes("portier: rebooting"), 5000);
		await until(() => bootState() === "confirmed", 10000);
		assert.match(station.output(), /update: new firmware on trial[\s\S]*update: new firmware confirmed/);
		const again = await admin(station.base);
		const config = await again.request("GET", "/api/config");
		assert.equal(config.data.station.relays[0].dtmfCode, "4711", "the configuration survives the upgrade");
	});

	it("refuses an upload while another is under way", async () => {
		const client = await admin(station.base);
		// an upload whose body has not all come: the first stays under way
		const http = await import("node:http");
		const first = http.request(station.base + "/api/firmware", { method: "POST", headers: { cookie: client.cookie, "x-csrf-token": client.csrf, "content-length": String(good.length) } });
		first.on("error", () => {});
		first.write(good.subarray(0, 1000));
		await new Promise((r) => setTimeout(r, 200));
		const second = await upload(station.base, client, good);
		assert.deepEqual(second, { status: 409, data: { error: "another upgrade is under way" } });
		first.destroy();
	});
});
