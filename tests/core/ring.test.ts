// The sample ring between an audio device and the RTP stream: blocks in,
// frames out, the oldest dropped when full, silence when dry, LPCM octets
// little-endian both ways.
import { deepEqual, equal } from "../lib/assert.js";
import { SampleRing } from "../../modules/media/ring.js";

describe("sample ring", () => {
	it("hands out what went in, in order, across the wrap", () => {
		const ring = new SampleRing(5);
		ring.write(Int16Array.of(1, 2, 3));
		const two = new Int16Array(2);
		equal(ring.read(two), 2);
		deepEqual(Array.from(two), [1, 2]);
		ring.write(Int16Array.of(4, 5, 6, 7));
		const five = new Int16Array(5);
		equal(ring.read(five), 5);
		deepEqual(Array.from(five), [3, 4, 5, 6, 7]);
	});

	it("drops the oldest when full and fills with silence when dry", () => {
		const ring = new SampleRing(4);
		ring.write(Int16Array.of(1, 2, 3, 4, 5, 6));
		equal(ring.dropped, 2);
		const frame = new Int16Array(6).fill(99);
		equal(ring.read(frame), 4);
		deepEqual(Array.from(frame), [3, 4, 5, 6, 0, 0]);
		equal(ring.available, 0);
	});

	it("reads and writes 16-bit little-endian octets, signed", () => {
		const ring = new SampleRing(8);
		ring.writeBytes(Uint8Array.of(0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80, 0xFF, 0x7F, 0xAA), 9);	// the odd last octet is no sample
		const frame = new Int16Array(4);
		ring.read(frame);
		deepEqual(Array.from(frame), [1, -1, -32768, 32767]);
		ring.write(Int16Array.of(-2, 258));
		const out = new Uint8Array(6).fill(7);
		equal(ring.readBytes(out), 4);
		deepEqual(Array.from(out), [0xFE, 0xFF, 0x02, 0x01, 0, 0]);
	});
});
