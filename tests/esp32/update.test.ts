// Firmware upgrades on an emulated ESP32 (QEMU), from the outside: the
// emulation target built with the test run's own update key, its app
// partition split in two (ota_0, ota_1, otadata), ESP-IDF's app rollback on
// and the project's ota-boot native module linked. Through the page's API:
// an image for another chip is refused from its header, and a whole image
// with a wrong signature is streamed to the next OTA partition by the SDK's
// embedded:update and refused at its end (esp_ota_abort), the board running
// on. Then the build's own image (1.7 MB), given another version in its app
// descriptor and signed with the run's key, is uploaded as a browser sends
// it (fetch: headers and body at once), checked, written to ota_1, verified
// by ESP-IDF and switched to; the board restarts into it (the page's health
// shows the new version), the new firmware confirms itself, and a power
// cycle boots it again. Last, a build that does not confirm itself
// (updateConfirm=0) is installed the same way and rolled back when its
// minute runs out. Skipped with one line when the toolchain, ESP-IDF, QEMU
// or the SDK is not there.
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../node/helpers.js";
import { espImage, signedImage, withAppVersion } from "../lib/firmware-image.js";
import { type Board, type Firmware, type Forward, GUEST, type PageClient, type Route, buildFirmware, findRoute, freshFlash, httpRequest, pageLogin, partitions, powerOn, waitFor } from "./qemu.js";

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

/** The upload as a browser's fetch() sends it: headers and body at once, no pause between them. */
async function fetchUpload(port: number, client: PageClient, body: Uint8Array): Promise<{ status: number; data: any }> {
	const answer = await fetch(`http://127.0.0.1:${port}/api/firmware`, { method: "POST", body,
		headers: { cookie: client.cookie, "x-csrf-token": client.csrf, "content-type": "application/octet-stream" }, signal: AbortSignal.timeout(600000) });
	const text = await answer.text();
	return { status: answer.status, data: JSON.parse(text) };
}

/** Wait until `pattern` shows in the console after `from` (an offset into it), or fail with the console's tail. */
async function waitAfter(board: Board, from: number, pattern: RegExp, timeoutMs: number): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const m = pattern.exec(board.output().slice(from));
		if (m)
			return m[0];
		if (board.child.exitCode !== null || board.child.signalCode !== null)
			throw new Error(`QEMU exited before ${pattern}:\n${board.output().slice(-3000)}`);
		if (Date.now() > deadline)
			throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${board.output().slice(-3000)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

async function health(port: number): Promise<string> {
	return (JSON.parse((await httpRequest(port, "GET", "/api/health")).text) as { version: string }).version;
}

/**
 * The most of the XS heap in use (chunks + slots, bytes, no collection
 * forced) in the instrumented build's once-a-second console rows between
 * two offsets of the console; rows that other output broke are skipped.
 */
function heapPeak(text: string): number {
	let peak = 0;
	for (const m of text.matchAll(/instruments: ([\d,]+)\r?\n/g)) {
		const cols = m[1].split(",").map(Number);
		if (cols.length >= 20)
			peak = Math.max(peak, cols[14] + cols[16]);	// Chunk used, Slot used (see "instruments key")
	}
	return peak;
}

describe("firmware upgrade on an emulated ESP32 (QEMU)", function () {
	this.timeout(1800000);
	let route: Route;
	let firmware: Firmware;
	let board: Board | undefined;
	let flash = "";
	const ports = { sip: 0, http: 0 };
	const figures: string[] = [];
	const forwards = (): Forward[] => [{ proto: "tcp", host: ports.http, guest: GUEST.http }, { proto: "udp", host: ports.sip, guest: GUEST.sip }];

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
		board = powerOn(route, flash, forwards(), join(firmware.out, "console-update.log"));
		await waitFor(board, BOOTED, 300000);
	});
	after(async () => {
		await board?.stop();
		if (figures.length)
			process.stdout.write(`\n  esp32 upgrade figures: ${figures.join("; ")}\n`);
	});

	it("splits the app partition in two and refuses another chip's image and a wrong signature on the board's own path", async () => {
		assert.deepEqual(partitions(firmware).filter((p) => p.type === "app").map((p) => p.subtype), ["ota_0", "ota_1"]);
		const client = await pageLogin(ports.http);
		const s3 = await upload(ports.http, client, signedImage(espImage({ chip: 9 })));
		assert.deepEqual(s3, { status: 400, data: { error: "image is for ESP32-S3, this panel is ESP32" } });
		// a whole ESP-IDF image, streamed to the next OTA partition by embedded:update, then refused: esp_ota_abort
		const flipped = signedImage(espImage());
		flipped[flipped.length - 1] ^= 1;
		const wrong = await upload(ports.http, client, flipped);
		assert.deepEqual(wrong, { status: 400, data: { error: "wrong signature: the image is not signed with this firmware's update key" } });
		await waitFor(board!, /update: signature checked in \d+ ms/, 10000);
		figures.push("signature check " + /update: signature checked in (\d+) ms/.exec(board!.output())![1] + " ms (QEMU's clock)");
		// the board runs on: nothing was switched
		await pageLogin(ports.http);
		assert.doesNotMatch(board!.output(), /Guru Meditation|abort\(\)|update: new firmware/);
	});
	it("installs a signed image sent as a browser sends it, restarts into it, and the new firmware confirms itself", async () => {
		const before = await health(ports.http);
		// the build's own image, told apart by the version in its app descriptor
		const marker = "ota-" + Date.now().toString(36);
		const image = signedImage(withAppVersion(new Uint8Array(readFileSync(join(firmware.build, "xs_esp32.bin"))), marker));
		const client = await pageLogin(ports.http);
		const from = board!.output().length;
		const started = Date.now();
		const answer = await fetchUpload(ports.http, client, image);
		const seconds = (Date.now() - started) / 1000;
		assert.equal(answer.status, 200, JSON.stringify(answer.data));
		assert.equal(answer.data.upgraded, true);
		assert.equal(answer.data.version, marker);
		assert.equal(answer.data.size, image.length - 76);
		assert.equal(answer.data.rebooting, true);
		const during = board!.output().slice(from);
		figures.push(`upload of ${image.length} B through the page in ${seconds.toFixed(1)} s (${Math.round(image.length / seconds / 1024)} KB/s)`);
		figures.push("signature check " + /update: signature checked in (\d+) ms/.exec(during)![1] + " ms, esp_ota_end + switch " + /update: ESP-IDF verified the image and switched in (\d+) ms/.exec(during)![1] + " ms (QEMU's clock)");
		const idle = heapPeak(board!.output().slice(0, from).slice(-4000));
		figures.push(`XS heap in use (chunks + slots, no collection) at most ${heapPeak(during)} B during the upload, ${idle} B just before`);
		// every byte reached the web server: none lost in the hand-over of the connection (docs/update.md)
		assert.doesNotMatch(during, /update: refused|Guru Meditation|XS abort/);
		// the restart: the bootloader starts the new image from ota_1 (0x200000), on trial
		await waitAfter(board!, from, /boot: Loaded app from partition at offset 0x200000/, 120000);
		await waitAfter(board!, from, /update: new firmware on trial/, 120000);
		await waitAfter(board!, from, /portier: SIP on udp[^\n]*\n/, 120000);
		const after = await health(ports.http);
		assert.notEqual(after, before);
		assert.match(after, new RegExp(`\\(${marker} `));
		await waitAfter(board!, from, /update: new firmware confirmed/, 120000);
		// a power cycle: ota_1 is confirmed, so the bootloader starts it again (no rollback)
		await board!.stop();
		board = powerOn(route, flash, forwards(), join(firmware.out, "console-update-2.log"));
		await waitFor(board, BOOTED, 300000);
		assert.match(board.output(), /boot: Loaded app from partition at offset 0x200000/);
		assert.doesNotMatch(board.output(), /update: new firmware on trial|rolling back/);
		assert.match(await health(ports.http), new RegExp(`\\(${marker} `));
	});
	it("rolls back a new firmware that does not confirm itself within the minute", async () => {
		// the running firmware (ota_1, confirmed by the case above) and a build that never confirms itself
		const kept = await health(ports.http);
		const broken = buildFirmware(route, { updateConfirm: 0 });
		const marker = "noconfirm-" + Date.now().toString(36);
		const image = signedImage(withAppVersion(new Uint8Array(readFileSync(join(broken.build, "xs_esp32.bin"))), marker));
		const client = await pageLogin(ports.http);
		const from = board!.output().length;
		const answer = await fetchUpload(ports.http, client, image);
		assert.equal(answer.status, 200, JSON.stringify(answer.data));
		assert.equal(answer.data.version, marker);
		// it runs from ota_0 on trial, cannot confirm itself, and its page answers meanwhile
		await waitAfter(board!, from, /boot: Loaded app from partition at offset 0x10000/, 120000);
		await waitAfter(board!, from, /update: cannot confirm the new firmware/, 120000);
		await waitAfter(board!, from, /portier: SIP on udp[^\n]*\n/, 120000);
		const trial = board!.at(/update: new firmware on trial/);
		assert.match(await health(ports.http), new RegExp(`\\(${marker} `));
		// the minute (of the board's timers, which QEMU runs several times slow) runs out: back to ota_1
		await waitAfter(board!, from, /update: the new firmware did not confirm itself: rolling back/, 900000);
		const rolled = board!.output().length;
		await waitAfter(board!, rolled, /boot: Loaded app from partition at offset 0x200000/, 120000);
		await waitAfter(board!, rolled, /portier: SIP on udp[^\n]*\n/, 120000);
		assert.doesNotMatch(board!.output().slice(rolled), /update: new firmware on trial/);
		assert.equal(await health(ports.http), kept);
		figures.push(`rollback ${Math.round((board!.at(/update: the new firmware did not confirm itself/) - trial) / 1000)} s of real time after the trial began (the board's 60 s timer)`);
	});
});
