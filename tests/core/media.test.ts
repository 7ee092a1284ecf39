import { deepEqual, equal, ok } from "../lib/assert.js";
import { alawToLinear, decode, encode, linearToAlaw, linearToUlaw, ulawToLinear } from "../../modules/media/g711.js";
import { readRtp, writeRtpHeader } from "../../modules/media/rtp.js";
import { DtmfReceiver, readTelephoneEvent, writeTelephoneEvent } from "../../modules/media/dtmf.js";

describe("G.711", () => {
	it("has the reference code points for silence and full scale", () => {
		equal(linearToUlaw(0), 0xFF);
		equal(ulawToLinear(0xFF), 0);
		equal(linearToUlaw(32767), 0x80);
		equal(ulawToLinear(0x80), -32124 * -1);
		equal(linearToUlaw(-32768), 0x00);
		equal(linearToAlaw(0), 0xD5);
		equal(alawToLinear(0xD5), 8);
		equal(linearToAlaw(32767), 0xAA);
		equal(alawToLinear(0xAA), 32256);
	});

	it("decodes every code to a value that encodes back to the same code", () => {
		for (let code = 0; code < 256; code++) {
			if (code !== 0x7F)	// µ-law has two codes for zero (0x7F and 0xFF)
				equal(linearToUlaw(ulawToLinear(code)), code, "µ-law " + code);
			equal(linearToAlaw(alawToLinear(code)), code, "A-law " + code);
		}
	});

	it("keeps the error within the law's step (about 6% of the value)", () => {
		for (let x = -32000; x <= 32000; x += 37) {
			const u = ulawToLinear(linearToUlaw(x));
			const a = alawToLinear(linearToAlaw(x));
			ok(Math.abs(u - x) <= Math.max(16, Math.abs(x) / 16), "µ-law " + x + " -> " + u);
			ok(Math.abs(a - x) <= Math.max(16, Math.abs(x) / 16), "A-law " + x + " -> " + a);
		}
	});

	it("encodes and decodes frames", () => {
		const samples = Int16Array.from([0, 1000, -1000, 20000]);
		const bytes = new Uint8Array(4);
		encode("PCMA", samples, bytes);
		const back = new Int16Array(4);
		decode("PCMA", bytes, back);
		ok(Math.abs(back[1] - 1000) < 64 && Math.abs(back[2] + 1000) < 64);
	});
});

describe("RTP and RFC 4733 packets", () => {
	it("writes and reads the fixed header", () => {
		const p = new Uint8Array(14);
		writeRtpHeader(p, true, 101, 65535, 0xFFFFFFF0, 0xDEADBEEF);
		p[12] = 7;
		p[13] = 9;
		const r = readRtp(p)!;
		deepEqual({ ...r, payload: Array.from(r.payload) }, { marker: true, payloadType: 101, sequence: 65535, timestamp: 0xFFFFFFF0, ssrc: 0xDEADBEEF, payload: [7, 9] });
	});

	it("skips CSRCs and extensions, removes padding, refuses what is not RTP", () => {
		const p = new Uint8Array(12 + 4 + 8 + 2 + 2);
		writeRtpHeader(p, false, 0, 1, 2, 3);
		p[0] |= 0x20 | 0x10 | 1;	// padding, extension, one CSRC
		p[16 + 3] = 1;	// extension length: one word
		p[24] = 0xAB;
		p[25] = 0xCD;
		p[p.length - 1] = 2;	// two octets of padding
		deepEqual(Array.from(readRtp(p)!.payload), [0xAB, 0xCD]);
		equal(readRtp(new Uint8Array(11)), undefined);
		const v1 = new Uint8Array(12);
		v1[0] = 0x40;
		equal(readRtp(v1), undefined);
		const badPad = new Uint8Array(13);
		writeRtpHeader(badPad, false, 0, 1, 2, 3);
		badPad[0] |= 0x20;
		badPad[12] = 200;
		equal(readRtp(badPad), undefined);
	});

	it("reports a key once however many packets carry it", () => {
		const keys: string[] = [];
		const rx = new DtmfReceiver();
		const payload = new Uint8Array(4);
		for (const [ts, event, end] of [[1000, 11, false], [1000, 11, false], [1000, 11, true], [1000, 11, true], [2000, 1, false], [2000, 1, true], [3000, 16, false]] as const) {
			writeTelephoneEvent(payload, 0, event, end, 10, 160);
			const key = rx.receive(ts, payload);
			if (key)
				keys.push(key);
		}
		deepEqual(keys, ["#", "1"]);
		deepEqual(readTelephoneEvent(Uint8Array.of(5, 0x8A, 0x03, 0x20)), { event: 5, end: true, volume: 10, duration: 800 });
	});
});
