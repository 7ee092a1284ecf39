// The panel's microphone and speaker over fake ECMA-419 audio in/out and a
// manual clock: one call holds them at a time and they open and close with
// it; the device's blocks reach the RTP frames and back (silence where the
// ring runs dry); a multicast page opens the speaker by itself, is what is
// heard over a call while it lasts, and lets the speaker close a second
// after its last frame.
import { deepEqual, equal, ok } from "../lib/assert.js";
import { PanelAudio } from "../../modules/media/panel-audio.js";
import type { AudioOptions } from "../../modules/io/types.js";
import { ManualClock as Manual } from "../lib/manual-clock.js";


type Callback = (this: any, count: number) => void;

class FakeIn {
	static all: FakeIn[] = [];
	options: AudioOptions & { onReadable: Callback };
	started = false;
	closed = false;
	#block = new Uint8Array(0);
	constructor(options: AudioOptions & { onReadable: Callback }) {
		this.options = options;
		FakeIn.all.push(this);
	}
	start(): void { this.started = true; }
	close(): void { this.closed = true; }
	read(buffer: Uint8Array): number {
		buffer.set(this.#block.subarray(0, buffer.length));
		this.#block = this.#block.subarray(buffer.length);
		return buffer.length;
	}
	/** The device delivers a block of samples (little-endian, as LPCM). */
	deliver(samples: number[]): void {
		const bytes = new Uint8Array(samples.length * 2);
		samples.forEach((s, i) => { bytes[i * 2] = s & 0xFF; bytes[i * 2 + 1] = (s >> 8) & 0xFF; });
		this.#block = bytes;
		this.options.onReadable.call(this, bytes.length);
	}
}

class FakeOut {
	static all: FakeOut[] = [];
	options: AudioOptions & { onWritable: Callback };
	started = false;
	closed = false;
	played: number[] = [];
	constructor(options: AudioOptions & { onWritable: Callback }) {
		this.options = options;
		FakeOut.all.push(this);
	}
	start(): void { this.started = true; }
	close(): void { this.closed = true; }
	write(buffer: Uint8Array): number {
		for (let i = 0; i + 1 < buffer.length; i += 2) {
			const s = buffer[i] | (buffer[i + 1] << 8);
			this.played.push(s >= 0x8000 ? s - 0x10000 : s);
		}
		return buffer.length;
	}
	/** The device asks for a block of `samples` samples. */
	ask(samples: number): number[] {
		const before = this.played.length;
		this.options.onWritable.call(this, samples * 2);
		return this.played.slice(before);
	}
}

function setup() {
	FakeIn.all = [];
	FakeOut.all = [];
	const clock = new Manual();
	const lines: string[] = [];
	const audio = new PanelAudio({ input: FakeIn, output: FakeOut, clock, log: (l) => lines.push(l) });
	return { audio, clock, lines };
}

const frame = (...values: number[]) => Int16Array.from(values);

describe("panel audio (ECMA-419 audio in/out)", () => {
	it("opens microphone and speaker for the first call, at 8 kHz 16-bit mono, and closes them when it ends", () => {
		const { audio } = setup();
		ok(audio.microphone("call-1"));
		ok(audio.speaker("call-1"));
		equal(FakeIn.all.length, 1);
		equal(FakeOut.all.length, 1);
		deepEqual([FakeIn.all[0].options.sampleRate, FakeIn.all[0].options.bitsPerSample, FakeIn.all[0].options.channels], [8000, 16, 1]);
		ok(FakeIn.all[0].started && FakeOut.all[0].started);
		equal(audio.owner, "call-1");
		audio.release("call-2");
		ok(!FakeIn.all[0].closed, "another call's end closes nothing");
		audio.release("call-1");
		ok(FakeIn.all[0].closed && FakeOut.all[0].closed);
		equal(audio.owner, undefined);
	});

	it("gives a second call at the same time no audio, and the next call fresh devices", () => {
		const { audio } = setup();
		audio.microphone("call-1");
		equal(audio.microphone("call-2"), undefined);
		equal(audio.speaker("call-2"), undefined);
		audio.release("call-1");
		ok(audio.microphone("call-2"));
		equal(FakeIn.all.length, 2);
	});

	it("carries the microphone's blocks into 20 ms frames, silence where they run dry", () => {
		const { audio } = setup();
		const source = audio.microphone("call-1")!;
		FakeIn.all[0].deliver([1, -2, 3, 32767, -32768]);
		const f = new Int16Array(8).fill(9);
		source(f);
		deepEqual(Array.from(f), [1, -2, 3, 32767, -32768, 0, 0, 0]);
	});

	it("plays the call's frames in the speaker's blocks, silence where the ring runs dry", () => {
		const { audio } = setup();
		const sink = audio.speaker("call-1")!;
		sink(frame(5, 6, 7));
		deepEqual(FakeOut.all[0].ask(5), [5, 6, 7, 0, 0]);
		deepEqual(FakeOut.all[0].ask(2), [0, 0]);
	});

	it("a page without a call opens the speaker, plays, and closes it a second after its last frame", () => {
		const { audio, clock } = setup();
		const page = audio.speaker("paging")!;
		page(frame(100, 200));
		equal(FakeOut.all.length, 1);
		equal(FakeIn.all.length, 0, "no microphone for a page");
		deepEqual(FakeOut.all[0].ask(2), [100, 200]);
		clock.advance(500);
		page(frame(300));
		clock.advance(999);
		ok(!FakeOut.all[0].closed, "still within a second of the last frame");
		clock.advance(1);
		ok(FakeOut.all[0].closed);
		equal(audio.owner, undefined);
	});

	it("a page during a call is what the speaker plays while it lasts; then the call is heard again", () => {
		const { audio, clock } = setup();
		const sink = audio.speaker("call-1")!;
		const page = audio.speaker("paging")!;
		sink(frame(1, 1));
		page(frame(50, 50));
		sink(frame(2, 2));	// the call's audio gives way to the page
		deepEqual(FakeOut.all[0].ask(4), [50, 50, 0, 0]);
		clock.advance(100);
		sink(frame(3, 3));
		deepEqual(FakeOut.all[0].ask(2), [3, 3]);
		clock.advance(2000);
		ok(!FakeOut.all[0].closed, "the call still holds the speaker");
		equal(FakeOut.all.length, 1, "one speaker for both");
	});

	it("a call that ends during a page leaves the speaker to the page until it is over", () => {
		const { audio, clock } = setup();
		audio.speaker("call-1");
		const page = audio.speaker("paging")!;
		page(frame(7));
		audio.release("call-1");
		ok(FakeIn.all[0].closed);
		ok(!FakeOut.all[0].closed);
		clock.advance(1000);
		ok(FakeOut.all[0].closed);
	});

	it("goes on without a device that cannot open, and keeps a failing callback inside", () => {
		FakeIn.all = [];
		const lines: string[] = [];
		class Broken {
			constructor() { throw new Error("no I2S"); }
			start(): void {}
			close(): void {}
			read(): number { return 0; }
		}
		const audio = new PanelAudio({ input: Broken, output: FakeOut, clock: new Manual(), log: (l) => lines.push(l) });
		ok(audio.microphone("call-1"), "the call still gets its (silent) microphone");
		ok(lines.some((l) => l.includes("no microphone") && l.includes("no I2S")));
		const out = FakeOut.all.at(-1)!;
		out.write = () => { throw new Error("underrun"); };
		out.ask(4);
		ok(lines.some((l) => l.includes("audio: speaker: Error: underrun")));
	});
});
