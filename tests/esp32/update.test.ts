// A firmware upgrade on an emulated ESP32 (QEMU), from the outside: the
// emulation target built with the test run's own update key, its app
// partition split in two (ota_0, ota_1, otadata) and ESP-IDF's app rollback
// on. Through the page's API: an image for another chip and a wrong
// signature are refused with their reason; the build's own image, signed
// with the test's key, is streamed to the next OTA partition by the SDK's
// embedded:update, and the board restarts from it (the bootloader loads the
// other partition), on trial, and confirms itself once SIP and the page are
// up (hosts/esp32/ota-boot.c); the settings are kept. Skipped with one line
// when the toolchain, ESP-IDF, QEMU or the SDK is not there.
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../node/helpers.js";
import { espImage, signedImage } from "../lib/firmware-image.js";
import { type Board, type Firmware, GUEST, type PageClient, type Route, buildFirmware, findRoute, freshFlash, pageLogin, partitions, powerOn, waitFor } from "./qemu.js";

const BOOTED = "portier: SIP on udp and tcp port 5060";

/** The upload as the page sends it: the image as the body, with the session and its CSRF token. */
function upload(port: number, client: PageClient, body: Uint8Array): Promise<{ status: number; data: any }> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/api/firmware", agent: false, timeout: 600000,
			headers: { connection: "close", cookie: client.cookie, "x-csrf-token": client.csrf, "content-type": "application/octet-stream", "content-length": String(body.length) } }, (res) => {
			let text = "";
			res.setEncoding("utf8");
			res.on("data", (d) => { text += d; });
			res.on("end", () => resolve({ status: res.statusCode ?? 0, data: JSON.parse(text) }));
		});
		req.on("timeout", () => req.destroy(new Error("no answer to the upload")));
		req.on("error", reject);
		req.end(body);
	});
}

describe("firmware upgrade on an emulated ESP32 (QEMU)", function () {
	this.timeout(1800000);
	let route: Route;
	let firmware: Firmware;
	let board: Board | undefined;
	let flash = "";
	const ports = { sip: 0, http: 0 };
	const figures: string[] = [];

	before(async function () {
		const found = findRoute();
		if (typeof found === "string") {
			process.stdout.write(`\n  esp32 upgrade: skipped: ${found}\n`);
			this.skip();
		}
		route = found;
		firmware = buildFirmware(route);
		ports.sip = await freePort();
		ports.http = await freePort();
		flash = freshFlash(firmware, "flash-update.bin");
		board = powerOn(route, flash, [{ proto: "tcp", host: ports.http, guest: GUEST.http }, { proto: "udp", host: ports.sip, guest: GUEST.sip }], join(firmware.out, "console-update.log"));
		await waitFor(board, BOOTED, 300000);
	});
	after(async () => {
		await board?.stop();
		if (figures.length)
			process.stdout.write(`\n  esp32 upgrade figures: ${figures.join("; ")}\n`);
	});

	it("refuses another chip's image and a wrong signature, then installs the signed build, boots it from the other partition and confirms it", async () => {
		assert.deepEqual(partitions(firmware).filter((p) => p.type === "app").map((p) => p.subtype), ["ota_0", "ota_1"]);
		const client = await pageLogin(ports.http);
		const s3 = await upload(ports.http, client, signedImage(espImage({ chip: 9 })));
		assert.deepEqual(s3, { status: 400, data: { error: "image is for ESP32-S3, this panel is ESP32" } });
		const flipped = signedImage(espImage());
		flipped[flipped.length - 1] ^= 1;
		const wrong = await upload(ports.http, client, flipped);
		assert.deepEqual(wrong, { status: 400, data: { error: "wrong signature: the image is not signed with this firmware's update key" } });
		await waitFor(board!, /update: signature checked in \d+ ms/, 10000);
		const image = new Uint8Array(readFileSync(join(firmware.build, "xs_esp32.bin")));
		const started = Date.now();
		const good = await upload(ports.http, client, signedImage(image));
		assert.equal(good.status, 200, JSON.stringify(good.data));
		assert.equal(good.data.size, image.length);
		figures.push(`${image.length} B uploaded and written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		figures.push("signature checks " + [...board!.output().matchAll(/update: signature checked in (\d+) ms/g)].map((m) => m[1]).join(", ") + " ms (QEMU's clock)");
		// the bootloader now loads the second app partition, on trial; the firmware confirms itself
		await waitFor(board!, /update: new firmware confirmed/, 300000);
		const out = board!.output();
		assert.match(out, /update: new firmware on trial/);
		const ota1 = partitions(firmware).find((p) => p.subtype === "ota_1")!;
		assert.match(out, new RegExp(`Loaded app from partition at offset 0x${ota1.offset.toString(16)}`), "booted from ota_1");
		assert.doesNotMatch(out, /Guru Meditation|abort\(\)/);
		// the settings (the administrator password) are kept
		await waitFor(board!, /update: new firmware confirmed[\s\S]*portier: SIP on/, 60000);
		await pageLogin(ports.http);
	});
});
