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
import http from "node:http";
import { type Heap, type SimRun, buildStation, findSdk, heap, runSimulator } from "./simulator.js";
import { until } from "../interop/station.js";
import { espImage, signedImage, testCrypto } from "../lib/firmware-image.js";
import { toHex } from "../../modules/update/image.js";

describe("the station in the Moddable simulator: firmware upgrade from the page", function () {
	this.timeout(600000);
	let sim: SimRun | undefined;
	let base = "";
	let api: AdminClient;
	let controlPort = 0;
	let idle: Heap;
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
		controlPort = await freePort();
		const so = buildStation(sdk, { sipPort: await freePort(), httpPort, controlPort, updateKey: toHex(testCrypto().publicKey()), audio: 0 });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
		base = `http://127.0.0.1:${httpPort}`;
		api = await admin(base);
		const changed = await api.request("PUT", "/api/config", { station: { relays: [{ id: 1, dtmfCode: "4711" }] } });
		assert.equal(changed.status, 200, JSON.stringify(changed.data));
		// a first refused upload makes what a first upload makes once (the API's log limiter), and its log lines
		assert.equal((await upload(signedImage(espImage({ chip: 5 })))).status, 400);
		idle = await quiet();
	});

	/** The heap once the log's journal has written what waited (its lines are held in RAM until then, up to a minute). */
	async function quiet(): Promise<Heap> {
		const deadline = Date.now() + 120000;
		while ((await api.request("GET", "/api/status")).data.journals.waiting !== 0) {
			assert.ok(Date.now() < deadline, "the journals kept their records for two minutes");
			await new Promise((r) => setTimeout(r, 2000));
		}
		return heap(controlPort);
	}
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
		// the firmware's trace reaches the test through the debugger, after the answer
		const deadline = Date.now() + 10000;
		while (!/update: signature checked in \d+ ms/.test(sim!.output()) && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 100));
		assert.match(sim!.output(), /update: signature checked in \d+ ms/);
		const config = await api.request("GET", "/api/config");
		assert.equal(config.data.station.relays[0].dtmfCode, "4711");
		// nothing of the refused upgrades stays in the heap (the recent log's lines vary in length: a few hundred bytes)
		const after = await quiet();
		process.stdout.write(`      heap (ESP32 bytes): ${idle.esp32} before, ${after.esp32} after three refused upgrades\n`);
		assert.ok(after.esp32 <= idle.esp32 + 768, `heap after the refused upgrades: ${after.esp32} vs ${idle.esp32}`);
	});

	it("holds the heap within a call's budget while an upgrade streams", async () => {
		// half the image sent, then the heap read while the upgrade waits for the rest
		const start = await heap(controlPort);
		const during = await new Promise<{ heap: Heap; status: number; text: string }>((resolve, reject) => {
			const bad = good.slice();
			bad[bad.length - 1] ^= 1;	// refused at its end: this test leaves the partition as it was
			const req = http.request(base + "/api/firmware", { method: "POST", headers: { cookie: api.cookie, "x-csrf-token": api.csrf, "content-type": "application/octet-stream", "content-length": String(bad.length) } }, (res) => {
				let text = "";
				res.on("data", (d: Buffer) => text += d.toString());
				res.on("end", () => resolve({ heap: measured!, status: res.statusCode ?? 0, text }));
			});
			let measured: Heap | undefined;
			req.on("error", reject);
			req.write(bad.subarray(0, 150000));
			setTimeout(() => {
				heap(controlPort).then((h) => {
					measured = h;
					req.end(bad.subarray(150000));
				}, reject);
			}, 2000);
		});
		assert.equal(during.status, 400, during.text);
		assert.ok(nothingKept());
		process.stdout.write(`      heap (ESP32 bytes) with an upgrade half received: ${during.heap.esp32} (${during.heap.esp32 - start.esp32} more than just before it)\n`);
		assert.ok(during.heap.esp32 - start.esp32 < 8192, `an upgrade under way costs ${during.heap.esp32 - start.esp32} bytes`);
	});

	it("writes a good image exactly, restarts, and the new firmware confirms itself; the configuration survives", async () => {
		const r = await upload(good);
		assert.equal(r.status, 200, JSON.stringify(r.data));
		assert.deepEqual(r.data, { upgraded: true, project: "portier", version: "0.3.0", size: image.length, sha256: r.data.sha256, rebooting: true });
		assert.ok(readFileSync(file("ota-next.bin")).equals(Buffer.from(image)), "the update device holds exactly the image");
		// the station restarts, finds itself on trial and confirms itself once SIP and the page are up
		// the log line reaches the test through the debugger's console, after the device's file is written
		await until(() => existsSync(file("ota-state")) && readFileSync(file("ota-state"), "utf8") === "confirmed" && /update: new firmware confirmed/.test(sim!.output()), 30000, () => sim!.output().slice(-2000));
		assert.match(sim!.output(), /update: new firmware on trial[\s\S]*update: new firmware confirmed/);
		const again = await admin(base);
		const config = await again.request("GET", "/api/config");
		assert.equal(config.data.station.relays[0].dtmfCode, "4711", "the configuration survives the upgrade");
		const times = [...sim!.output().matchAll(/update: signature checked in (\d+) ms/g)].map((m) => Number(m[1]));
		process.stdout.write(`      signature verification in the simulator: ${times.join(", ")} ms\n`);
	});
});
