// A firmware upgrade in the Moddable simulator, through the page's API, on
// the firmware's own path (modules/update, the web server's streamed body,
// the SDK's crypt Digest and ECDSA with the key built in by mcconfig
// updateKey=...) against the simulator's update device (hosts/sim/update:
// files in the run's folder in place of the OTA partition and otadata).
// Images built by the test in the ESP-IDF format and signed with the test's
// own key pair: another chip, a truncated image and a wrong signature are
// refused with their reason and nothing changes (no image kept, the boot
// state untouched, the configuration as it was); a good one is written
// exactly, the station restarts and the new firmware confirms itself.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AdminClient, admin, freePort } from "../node/helpers.js";
import { type SimRun, buildStation, findSdk, runSimulator } from "./simulator.js";
import { until } from "../interop/station.js";
import { espImage, signedImage, testCrypto } from "../lib/firmware-image.js";
import { toHex } from "../../modules/update/image.js";

describe("the station in the Moddable simulator: firmware upgrade from the page", function () {
	this.timeout(600000);
	let sim: SimRun | undefined;
	let base = "";
	let api: AdminClient;
	// 300 KB: a few hundred TCP segments streamed through the SDK's HTTP server
	const image = espImage({ segments: [150000, 100000, 50000], version: "0.3.0" });
	const good = signedImage(image);

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string") {
			process.stdout.write(`\n  sim firmware upgrade: skipped: ${sdk}\n`);
			this.skip();
		}
		const httpPort = await freePort();
		const so = buildStation(sdk, { sipPort: await freePort(), httpPort, updateKey: toHex(testCrypto().publicKey()), audio: 0 });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
		base = `http://127.0.0.1:${httpPort}`;
		api = await admin(base);
		const changed = await api.request("PUT", "/api/config", { station: { relays: [{ id: 1, dtmfCode: "4711" }] } });
		assert.equal(changed.status, 200, JSON.stringify(changed.data));
	});
	after(async () => {
		await sim?.stop();
	});

	const file = (name: string) => join(sim!.home, name);
	const nothingKept = () => !existsSync(file("ota-next.bin")) && !existsSync(file("ota-next.bin.part")) && !existsSync(file("ota-state"));

	async function upload(body: Uint8Array): Promise<{ status: number; data: any }> {
		const r = await fetch(base + "/api/firmware", { method: "POST", headers: { cookie: api.cookie, "x-csrf-token": api.csrf, "content-type": "application/octet-stream" }, body });
		return { status: r.status, data: await r.json() };
	}

	it("refuses an image for another chip, a truncated one and a wrong signature, with the reason; nothing changes", async () => {
		const flipped = good.slice();
		flipped[flipped.length - 7] ^= 0x10;
		const cases: Array<[string, Uint8Array, RegExp]> = [
			["wrong chip", signedImage(espImage({ chip: 9 })), /^image is for ESP32-S3, this panel is ESP32$/],
			["truncated", good.subarray(0, 200000), /^the image is cut short at 200000 bytes/],
			["wrong signature", flipped, /^wrong signature: the image is not signed with this firmware's update key$/],
		];
		for (const [what, bytes, reason] of cases) {
			const r = await upload(bytes);
			assert.equal(r.status, 400, what + ": " + JSON.stringify(r.data));
			assert.match(r.data.error, reason, what);
			assert.ok(nothingKept(), what + ": nothing kept, the boot state untouched");
		}
		assert.match(sim!.output(), /update: signature checked in \d+ ms/);
		const config = await api.request("GET", "/api/config");
		assert.equal(config.data.station.relays[0].dtmfCode, "4711");
	});

	it("writes a good image exactly, restarts, and the new firmware confirms itself; the configuration survives", async () => {
		const r = await upload(good);
		assert.equal(r.status, 200, JSON.stringify(r.data));
		assert.deepEqual(r.data, { upgraded: true, project: "portier", version: "0.3.0", size: image.length, sha256: r.data.sha256, rebooting: true });
		assert.ok(readFileSync(file("ota-next.bin")).equals(Buffer.from(image)), "the update device holds exactly the image");
		// the station restarts, finds itself on trial and confirms itself once SIP and the page are up
		await until(() => existsSync(file("ota-state")) && readFileSync(file("ota-state"), "utf8") === "confirmed", 30000, () => sim!.output().slice(-2000));
		assert.match(sim!.output(), /update: new firmware on trial[\s\S]*update: new firmware confirmed/);
		const again = await admin(base);
		const config = await again.request("GET", "/api/config");
		assert.equal(config.data.station.relays[0].dtmfCode, "4711", "the configuration survives the upgrade");
		const times = [...sim!.output().matchAll(/update: signature checked in (\d+) ms/g)].map((m) => Number(m[1]));
		process.stdout.write(`      signature verification in the simulator: ${times.join(", ")} ms\n`);
	});
});
