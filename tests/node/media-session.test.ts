// RTP streams on fake timers and a fake UDP socket: 20 ms pacing, sequence
// numbers and timestamps, G.711 audio that arrives with its frequency,
// RFC 4733 DTMF both ways, and the RTP time-out.
import { power } from "../lib/signal.js";
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { MediaSession, type MediaSessionOptions } from "../../modules/media/session.js";
import { readRtp, writeRtpHeader } from "../../modules/media/rtp.js";
import { decode, encode } from "../../modules/media/g711.js";
import { readTelephoneEvent, writeTelephoneEvent } from "../../modules/media/dtmf.js";
import { FakeUDP } from "./fakes.js";


function tone(frequency: number) {
	let n = 0;
	return (frame: Int16Array) => {
		for (let i = 0; i < frame.length; i++, n++)
			frame[i] = Math.round(10000 * Math.sin(2 * Math.PI * frequency * n / 8000));
	};
}

function session(overrides: Partial<MediaSessionOptions> = {}) {
	let r = 0;
	const s = new MediaSession({
		udp: { io: FakeUDP, port: 40000 },
		clock: nodeClock,
		remote: { address: "192.0.2.1", port: 30000 },
		codec: { payloadType: 0, name: "PCMU" },
		telephoneEvent: 101,
		random: () => [0x11223344, 0xFFFE, 0xFFFFFF00][r++ % 3],
		...overrides,
	});
	return { s, udp: FakeUDP.last! };
}

describe("RTP media session (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	it("sends a packet every 20 ms with consecutive sequence numbers and timestamps +160 (wrapping)", () => {
		const { s, udp } = session();
		s.start();
		clock.tick(1000);
		assert.equal(udp.sent.length, 50);
		assert.deepEqual(udp.sent.slice(0, 4).map((p) => p.at), [20, 40, 60, 80]);
		const packets = udp.sent.map((p) => readRtp(p.bytes)!);
		assert.deepEqual(packets.slice(0, 3).map((p) => p.sequence), [0xFFFE, 0xFFFF, 0]);
		assert.deepEqual(packets.slice(0, 3).map((p) => p.timestamp), [0xFFFFFF00, 0xFFFFFFA0, 0x40]);
		assert.ok(packets.every((p) => p.ssrc === 0x11223344 && p.payloadType === 0 && p.payload.length === 160));
		assert.equal(udp.sent[0].address, "192.0.2.1");
		assert.equal(udp.sent[0].port, 30000);
		s.stop();
	});

	it("paces the whole stream on one repeating timer: no timer made per packet", () => {
		const made = { set: 0, repeat: 0 };
		const counting = {
			now: () => nodeClock.now(),
			set: (cb: () => void, ms: number) => { made.set++; return nodeClock.set(cb, ms); },
			repeat: (cb: () => void, ms: number) => { made.repeat++; return nodeClock.repeat(cb, ms); },
			clear: (id: unknown) => nodeClock.clear(id),
		};
		const { s, udp } = session({ clock: counting });
		s.start();
		s.sendDtmf("1");
		clock.tick(1000);
		assert.equal(udp.sent.length, 50);
		assert.deepEqual(made, { set: 0, repeat: 1 });
		s.stop();
		clock.tick(1000);
		assert.equal(udp.sent.length, 50, "stopped: the timer is cleared");
		assert.equal(clock.countTimers(), 0);
	});

	it("makes up a late tick from the start time; after a longer stall skips the packets but keeps their time in the timestamp", () => {
		const { s, udp } = session();
		s.start();
		clock.tick(100);
		assert.equal(udp.sent.length, 5);
		clock.setSystemTime(Date.now() + 45);	// the event loop was busy for 45 ms
		clock.tick(20);	// 165 ms: packets 6, 7 and 8 are due
		assert.equal(udp.sent.length, 8);
		clock.setSystemTime(Date.now() + 1000);	// a stall of a second: 51 packets due
		clock.tick(20);
		assert.equal(udp.sent.length, 11, "at most three to catch up");
		const packets = udp.sent.map((p) => readRtp(p.bytes)!);
		for (let i = 1; i < packets.length; i++)
			assert.equal(packets[i].sequence, (packets[i - 1].sequence + 1) & 0xFFFF, "no gap in the sequence numbers");
		const steps = packets.slice(1).map((p, i) => ((p.timestamp - packets[i].timestamp) >>> 0) / 160);
		assert.deepEqual(steps, [1, 1, 1, 1, 1, 1, 1, 49, 1, 1], "the skipped 48 packets' time passes in the timestamp");
		clock.tick(200);
		assert.equal(udp.sent.length, 21, "then one per 20 ms again");
		s.stop();
	});

	it("calls onDtmf and onTimeout as methods of its options (no closure needed per call)", () => {
		class Handler {
			keys: string[] = [];
			timedOut = false;
			onDtmf(key: string) { this.keys.push(key); }
			onTimeout() { this.timedOut = true; }
		}
		const handler = new Handler();
		let r = 0;
		const options = Object.assign(handler, {
			udp: { io: FakeUDP, port: 40000 }, clock: nodeClock, remote: { address: "192.0.2.1", port: 30000 },
			codec: { payloadType: 0, name: "PCMU" as const }, telephoneEvent: 101, random: () => ++r, timeout: 1000,
		});
		const s = new MediaSession(options);
		const udp = FakeUDP.last!;
		s.start();
		const p = new Uint8Array(16);
		writeRtpHeader(p, true, 101, 1, 4000, 7);
		writeTelephoneEvent(p, 12, 9, false, 10, 160);
		udp.deliver(p, "192.0.2.1", 30000);
		assert.deepEqual(handler.keys, ["9"]);
		clock.tick(1020);
		assert.equal(handler.timedOut, true);
	});

	it("the station's audio reaches the peer: a 1 kHz tone decodes to 1 kHz", () => {
		const { s, udp } = session({ source: tone(1000) });
		s.start();
		clock.tick(200);
		const samples: number[] = [];
		for (const p of udp.sent) {
			const out = new Int16Array(160);
			decode("PCMU", readRtp(p.bytes)!.payload, out);
			samples.push(...out);
		}
		assert.ok(power(samples, 1000) > 100 * power(samples, 700), "energy at 1 kHz, not elsewhere");
		s.stop();
	});

	it("the peer's tone arrives at the speaker with its frequency", () => {
		const heard: number[] = [];
		const { s, udp } = session({ codec: { payloadType: 8, name: "PCMA" }, sink: (f) => heard.push(...f) });
		s.start();
		const make = tone(440);
		const frame = new Int16Array(160);
		for (let i = 0; i < 10; i++) {
			make(frame);
			const p = new Uint8Array(172);
			writeRtpHeader(p, false, 8, i, i * 160, 99);
			encode("PCMA", frame, p.subarray(12));
			udp.deliver(p, "192.0.2.1", 30000);
		}
		udp.deliver(Uint8Array.of(1, 2, 3), "192.0.2.1", 30000);	// not RTP: ignored
		assert.equal(heard.length, 1600);
		assert.ok(power(heard, 440) > 100 * power(heard, 1000));
		s.stop();
	});

	it("ignores packets from anyone but the negotiated peer", () => {
		const heard: number[] = [];
		const keys: string[] = [];
		const { s, udp } = session({ sink: (f) => heard.push(...f), onDtmf: (k) => keys.push(k) });
		s.start();
		const p = new Uint8Array(16);
		writeRtpHeader(p, true, 101, 1, 1, 1);
		writeTelephoneEvent(p, 12, 11, false, 10, 160);
		udp.deliver(p, "203.0.113.9", 30000);
		assert.deepEqual(keys, []);
		s.stop();
	});

	it("latched (symmetric RTP, RFC 4961): sends nothing until the SDP's address sends RTP, then answers where it came from", () => {
		const { s, udp } = session({ latch: true, remote: { address: "198.51.100.77", port: 30000 } });
		s.start();
		clock.tick(2000);
		assert.equal(udp.sent.length, 0, "no audio aimed at the address an unauthenticated SDP named");
		const p = new Uint8Array(12 + 160);
		writeRtpHeader(p, false, 0, 1, 160, 7);
		udp.deliver(p, "203.0.113.9", 30000);
		clock.tick(100);
		assert.equal(udp.sent.length, 0, "RTP from another address does not open it");
		udp.deliver(p, "198.51.100.77", 31234);
		clock.tick(100);
		assert.equal(udp.sent.length, 5);
		assert.ok(udp.sent.every((x) => x.address === "198.51.100.77" && x.port === 31234), "sent where the peer's RTP came from");
		s.stop();
	});

	it("receives RFC 4733 keys once each", () => {
		const keys: string[] = [];
		const { s, udp } = session({ onDtmf: (k) => keys.push(k) });
		s.start();
		let seq = 0;
		for (const [ts, event, end] of [[8000, 1, false], [8000, 1, false], [8000, 1, true], [8000, 1, true], [8000, 1, true], [9000, 11, false], [9000, 11, true]] as const) {
			const p = new Uint8Array(16);
			writeRtpHeader(p, seq === 0, 101, seq++, ts, 7);
			writeTelephoneEvent(p, 12, event, end, 10, 320);
			udp.deliver(p, "192.0.2.1", 30000);
		}
		assert.deepEqual(keys, ["1", "#"]);
		s.stop();
	});

	it("sends RFC 4733 keys: marker first, growing duration, three end packets, then audio resumes", () => {
		const { s, udp } = session();
		s.start();
		clock.tick(40);	// two audio packets
		s.sendDtmf("5");
		clock.tick(8 * 20);
		clock.tick(20);
		const packets = udp.sent.map((p) => readRtp(p.bytes)!);
		const events = packets.filter((p) => p.payloadType === 101);
		assert.equal(events.length, 8);
		assert.deepEqual(events.map((e) => e.marker), [true, false, false, false, false, false, false, false]);
		const payloads = events.map((e) => readTelephoneEvent(e.payload)!);
		assert.deepEqual(payloads.map((e) => e.duration), [160, 320, 480, 640, 800, 800, 800, 800]);
		assert.deepEqual(payloads.map((e) => e.end), [false, false, false, false, false, true, true, true]);
		assert.ok(payloads.every((e) => e.event === 5));
		assert.ok(events.every((e) => e.timestamp === events[0].timestamp), "one timestamp per event");
		const after = packets[packets.length - 1];
		assert.equal(after.payloadType, 0);
		assert.equal((after.timestamp - events[0].timestamp) >>> 0, 8 * 160);
		assert.equal(s.stats.dtmfSent, 1);
		s.stop();
	});

	it("ends the stream when the peer has been silent for the time-out", () => {
		let timedOut = -1;
		const { s, udp } = session({ timeout: 5000, onTimeout: () => { timedOut = Date.now(); } });
		s.start();
		clock.tick(3000);
		const p = new Uint8Array(172);
		writeRtpHeader(p, false, 0, 1, 1, 1);
		udp.deliver(p, "192.0.2.1", 30000);
		clock.tick(4990);
		assert.equal(timedOut, -1, "heard at 3 s");
		clock.tick(20);
		assert.equal(timedOut, 8000);
		assert.equal(udp.closed, true);
	});
});
