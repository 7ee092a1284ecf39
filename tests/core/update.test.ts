// The firmware upgrade's checks (modules/update) on real ESP-IDF-format images
// built by the test (tests/lib/firmware-image.ts) and signed with the tests'
// own key pair: a good image goes to the update device whole and is completed;
// a truncated one, a wrong SHA-256, checksum or chip, a wrong or missing
// signature and one too big are refused with their reason, the device closed
// and never completed. Chunk sizes vary, as a TCP stream cuts them. The boot
// confirmation: confirmed when ready, rolled back after 60 s otherwise.
// Plain code: runs under mocha and inside XS.
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { espImage, signedImage, testCrypto } from "../lib/firmware-image.js";
import { Updater, type UpdateWriter, type UpgradeResult } from "../../modules/update/upgrade.js";
import { ImageCheck, SIGNATURE_BLOCK_SIZE, type IncrementalDigest } from "../../modules/update/image.js";
import { BootConfirmation } from "../../modules/update/confirm.js";

/** An incremental SHA-256 over the host's (it gathers the bytes; the test images are small). */
function sha256(): IncrementalDigest {
	const parts: Uint8Array[] = [];
	let closed = false;
	return {
		write(bytes: Uint8Array) {
			if (closed)
				throw new Error("digest written after close");
			parts.push(bytes.slice());
		},
		close() {
			if (closed)
				throw new Error("digest closed twice");
			closed = true;
			let n = 0;
			for (const p of parts)
				n += p.length;
			const all = new Uint8Array(n);
			n = 0;
			for (const p of parts) {
				all.set(p, n);
				n += p.length;
			}
			return testCrypto().sha256(all);
		},
	};
}

/** The fake update device: what was written, and whether it was completed and closed. */
class FakeDevice {
	opened = 0;
	written: number[] = [];
	completed = false;
	closed = false;
	open(_options: { byteLength: number }): UpdateWriter {
		this.opened++;
		const device = this;
		return {
			write(bytes: Uint8Array) {
				if (device.closed || device.completed)
					throw new Error("written after close");
				for (let i = 0; i < bytes.length; i++)
					device.written.push(bytes[i]);
			},
			complete() {
				device.completed = true;
			},
			close() {
				device.closed = true;
			},
		};
	}
}

function updater(device: FakeDevice, clock = new ManualClock(), maxSize = 64 * 1024): Updater {
	const c = testCrypto();
	return new Updater({ device, sha256, verify: (digest, signature) => c.verify(digest, signature), chip: 0, maxSize, clock });
}

/** Upload `bytes` in chunks of the given sizes (repeated), as announced with `length`. */
function upload(u: Updater, bytes: Uint8Array, chunks: number[] = [1460], length = bytes.length): UpgradeResult | string {
	const upgrade = u.begin(length);
	if (typeof upgrade === "string")
		return upgrade;
	let at = 0;
	for (let n = 0; at < bytes.length; n++) {
		const size = chunks[n % chunks.length];
		upgrade.write(bytes.subarray(at, at + size));
		at += size;
	}
	return upgrade.end();
}

function refused(result: UpgradeResult | string): string {
	ok(typeof result !== "string" && !result.ok, "expected a refusal, got " + JSON.stringify(result));
	return (result as { error: string }).error;
}

describe("firmware upgrade (modules/update)", () => {
	it("accepts a good image whatever the chunks, writes exactly the image and completes", () => {
		for (const chunks of [[1460], [1], [7, 13, 512], [100000]]) {
			const image = espImage();
			const device = new FakeDevice();
			const result = upload(updater(device), signedImage(image), chunks);
			ok(typeof result !== "string" && result.ok, JSON.stringify(result));
			equal(result.info.imageSize, image.length);
			equal(result.info.version, "0.2.0");
			equal(result.info.project, "portier");
			equal(result.info.segments, 3);
			equal(device.written.length, image.length, "chunks " + chunks.join(","));
			deepEqual(Uint8Array.from(device.written), image);
			ok(device.completed && device.closed);
		}
	});

	it("accepts an image without an appended SHA-256 (hash_appended 0)", () => {
		const image = espImage({ hashAppended: false, segments: [256, 4] });
		const device = new FakeDevice();
		const result = upload(updater(device), signedImage(image), [33]);
		ok(typeof result !== "string" && result.ok, JSON.stringify(result));
		deepEqual(Uint8Array.from(device.written), image);
		ok(device.completed);
	});

	it("refuses a truncated image, saying where it stops, and never completes", () => {
		const whole = signedImage(espImage());
		equal(upload(updater(new FakeDevice()), whole.subarray(0, 10)), "the upload is too short to be a signed firmware image");
		for (const cut of [200, 1000, whole.length - SIGNATURE_BLOCK_SIZE - 10, whole.length - SIGNATURE_BLOCK_SIZE, whole.length - 5]) {
			const device = new FakeDevice();
			const error = refused(upload(updater(device), whole.subarray(0, cut)));
			ok(error.indexOf(cut <= whole.length - SIGNATURE_BLOCK_SIZE - 10 ? "cut short at " + cut : cut === whole.length - SIGNATURE_BLOCK_SIZE ? "no signature block" : "signature block is cut short") >= 0, cut + ": " + error);
			ok(device.closed && !device.completed, "closed, not completed");
		}
	});

	it("refuses an image whose appended SHA-256 does not match", () => {
		const image = espImage();
		image[image.length - 3] ^= 1;
		const device = new FakeDevice();
		ok(refused(upload(updater(device), signedImage(image))).indexOf("SHA-256 does not match") >= 0);
		ok(device.closed && !device.completed);
	});

	it("refuses a changed segment byte (checksum) and a segment length not a multiple of 4", () => {
		const image = signedImage(espImage());
		image[500] ^= 0x40;
		const device = new FakeDevice();
		ok(refused(upload(updater(device), image)).indexOf("checksum") >= 0);
		ok(device.closed && !device.completed);
		const odd = signedImage(espImage());
		odd[24 + 4] = 3;	// first segment length 0x1003
		ok(refused(upload(updater(new FakeDevice()), odd)).indexOf("not a multiple of 4") >= 0);
	});

	it("refuses an image for another chip, naming both", () => {
		const device = new FakeDevice();
		const error = refused(upload(updater(device), signedImage(espImage({ chip: 9 }))));
		equal(error, "image is for ESP32-S3, this panel is ESP32");
		ok(device.closed && !device.completed);
		equal(device.written.length, 0, "refused in the header: nothing past it");
	});

	it("refuses what is not an ESP-IDF image", () => {
		const bytes = new Uint8Array(2000).fill(0x3c);
		ok(refused(upload(updater(new FakeDevice()), bytes)).indexOf("not an ESP-IDF firmware image") >= 0);
	});

	it("refuses a wrong signature, a signature of another key and a missing signature block", () => {
		const good = signedImage(espImage());
		const flipped = good.slice();
		flipped[flipped.length - 20] ^= 1;
		const other = signedImage(espImage(), { otherKey: true });
		for (const bytes of [flipped, other]) {
			const device = new FakeDevice();
			equal(refused(upload(updater(device), bytes)), "wrong signature: the image is not signed with this firmware's update key");
			ok(device.closed && !device.completed);
		}
		const device = new FakeDevice();
		ok(refused(upload(updater(device), espImage())).indexOf("no signature block") >= 0);
		ok(!device.completed);
	});

	it("refuses a signature block for another image length and data after it", () => {
		const image = espImage();
		const signed = signedImage(image);
		signed[image.length + 8] ^= 4;
		ok(refused(upload(updater(new FakeDevice()), signed)).indexOf("signature block is for an image of") >= 0);
		const extra = new Uint8Array(signedImage(image).length + 1);
		extra.set(signedImage(image));
		ok(refused(upload(updater(new FakeDevice()), extra)).indexOf("data after the signature block") >= 0);
	});

	it("refuses an image too big for the partition: announced, or streaming", () => {
		const bytes = signedImage(espImage({ segments: [8192, 8192] }));
		const device = new FakeDevice();
		const result = upload(updater(device, new ManualClock(), 8192), bytes);
		ok(typeof result === "string" && result.indexOf("image too big") === 0, String(result));
		equal(device.opened, 0, "not even opened");
		// a length that lies: the stream is cut at the partition's size
		const lying = new FakeDevice();
		const error = refused(upload(updater(lying, new ManualClock(), 12000), bytes, [1460], 4000));
		ok(error.indexOf("image too big") === 0, error);
		ok(lying.written.length <= 12000 && lying.closed && !lying.completed);
	});

	it("takes one upgrade at a time, another once it ended", () => {
		const u = updater(new FakeDevice());
		const first = u.begin(5000);
		ok(typeof first !== "string");
		equal(u.begin(5000), "another upgrade is under way");
		first.abort("test");
		ok(!u.busy);
		ok(typeof u.begin(5000) !== "string");
	});

	it("gives up an upload that stalls for 30 s", () => {
		const clock = new ManualClock();
		const device = new FakeDevice();
		const u = updater(device, clock);
		const upgrade = u.begin(20000);
		ok(typeof upgrade !== "string");
		upgrade.write(espImage().subarray(0, 100));
		clock.advance(20000);
		upgrade.write(new Uint8Array(0));
		clock.advance(29000);
		ok(u.busy, "heard 29 s ago");
		clock.advance(1000);
		ok(!u.busy && device.closed && !device.completed);
		equal(upgrade.end().ok, false);
		equal(upgrade.error, "upload stalled: nothing for 30 s");
	});

	it("without a key built in, takes no upgrade", () => {
		const device = new FakeDevice();
		const u = new Updater({ device, sha256, chip: 0, maxSize: 65536, clock: new ManualClock() });
		equal(u.begin(5000), "this firmware has no update key built in: it takes no upgrade");
		equal(device.opened, 0);
	});

	it("checks as it streams with fixed memory (the checker holds no chunk)", () => {
		const check = new ImageCheck({ chip: 0, maxSize: 1 << 20, sha256: sha256() });
		const image = signedImage(espImage({ segments: [65536, 4] }));
		let imageBytes = 0;
		for (let at = 0; at < image.length; at += 4096)
			imageBytes += check.push(image.subarray(at, at + 4096));
		equal(imageBytes, image.length - SIGNATURE_BLOCK_SIZE);
		ok(check.finish());
	});
});

describe("boot confirmation (modules/update/confirm)", () => {
	function boot(pending: boolean) {
		const state = { pending, confirmed: 0, rolledBack: 0 };
		return { state, boot: { pending: () => state.pending, confirm: () => { state.confirmed++; state.pending = false; }, rollback: () => { state.rolledBack++; } } };
	}

	it("a pending firmware that gets ready is confirmed, and never rolled back", () => {
		const clock = new ManualClock();
		const b = boot(true);
		const c = new BootConfirmation({ boot: b.boot, clock });
		c.start();
		ok(c.pending);
		clock.advance(5000);
		c.ready();
		clock.advance(120000);
		deepEqual([b.state.confirmed, b.state.rolledBack], [1, 0]);
	});

	it("a pending firmware not ready within 60 s is rolled back at 60 s", () => {
		const clock = new ManualClock();
		const b = boot(true);
		new BootConfirmation({ boot: b.boot, clock }).start();
		clock.advance(59999);
		equal(b.state.rolledBack, 0);
		clock.advance(1);
		deepEqual([b.state.confirmed, b.state.rolledBack], [0, 1]);
	});

	it("a pending firmware that cannot be marked valid is still rolled back at 60 s", () => {
		const clock = new ManualClock();
		const b = boot(true);
		const c = new BootConfirmation({ boot: { ...b.boot, confirm: () => { throw new Error("flash error"); } }, clock });
		c.start();
		clock.advance(5000);
		c.ready();
		clock.advance(54999);
		equal(b.state.rolledBack, 0);
		clock.advance(1);
		equal(b.state.rolledBack, 1);
	});

	it("a confirmed firmware has nothing to do", () => {
		const clock = new ManualClock();
		const b = boot(false);
		const c = new BootConfirmation({ boot: b.boot, clock });
		c.start();
		c.ready();
		clock.advance(120000);
		deepEqual([b.state.confirmed, b.state.rolledBack, clock.pending], [0, 0, 0]);
	});
});
