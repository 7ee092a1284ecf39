/*
 * The panel's microphone and speaker on ECMA-419 audio in/out (injected: the
 * SDK's `embedded:io/audio/in` and `embedded:io/audio/out`, I2S on an ESP32,
 * ALSA's default device in the simulator), 16-bit mono LPCM at 8 kHz, what
 * G.711 carries.
 *
 * A door station has one microphone and one speaker. The first call whose
 * media starts holds both until it ends; a second call at the same time gets
 * none (silence to its peer, nothing played). Multicast paging plays on the
 * speaker too ("paging"): without a call it opens the speaker at its first
 * frame and closes it after a second without one; during a call (a page
 * that may barge in, as the paging listener decides) the page is what is
 * heard while it lasts, not the call's audio. The devices are open only
 * while they are used.
 *
 * Between the devices' blocks (250 samples on the simulator's ALSA, the I2S
 * DMA's on a panel) and the RTP stream's 20 ms frames sit two rings of 60 ms
 * (room for a block and a frame: latency stays low), allocated once with the
 * device's audio, so that a call allocates no audio buffers.
 */
import type { AudioInClass, AudioInput, AudioOutClass, AudioOutput, Clock, Log } from "../io/types.js";
import { SampleRing } from "./ring.js";

const RING = 480;	// 60 ms at 8 kHz
/** ms after the last paging frame that the page still has the speaker, and (without a call) that the speaker stays open. */
const PAGE_HOLD = 100;
const PAGE_CLOSE = 1000;
const FORMAT = Object.freeze({ sampleRate: 8000, bitsPerSample: 16 as const, channels: 1 as const });

/**
 * Scale a 20 ms frame in place by a level in percent (speaker volume,
 * microphone gain), clipping at the 16-bit range; 100 leaves it as it is.
 * No allocation: it runs on every frame of a call.
 */
export function applyLevel(frame: Int16Array, percent: number): void {
	if (percent === 100)
		return;
	const k = percent / 100;
	for (let i = 0; i < frame.length; i++) {
		const v = Math.round(frame[i] * k);
		frame[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
	}
}

export interface PanelAudioOptions {
	input?: AudioInClass;
	output?: AudioOutClass;
	clock: Clock;
	log?: Log;
}

export class PanelAudio {
	#o: PanelAudioOptions;
	#owner: string | undefined;
	#input: AudioInput | undefined;
	#output: AudioOutput | undefined;
	#heard = new SampleRing(RING);
	#played = new SampleRing(RING);
	/** The device's block, allocated at the first block: a device's block size does not change. */
	#block: Uint8Array | undefined;
	#lastPage = -Infinity;
	#pageTimer: unknown;
	/** Made once: a call costs no closures for its audio. */
	readonly #source = (frame: Int16Array) => void this.#heard.read(frame);
	readonly #sink = (frame: Int16Array) => {
		if (!this.#paging(this.#o.clock.now()))
			this.#played.write(frame);
	};
	readonly #pageSink = (frame: Int16Array) => this.#page(frame);
	readonly #pageCheck = () => this.#checkPage();

	constructor(options: PanelAudioOptions) {
		this.#o = options;
	}

	/** Who holds the microphone and speaker: a call's id, or undefined. */
	get owner(): string | undefined {
		return this.#owner;
	}

	/** The microphone for this call, or undefined while another call holds it. */
	microphone(callId: string): ((frame: Int16Array) => void) | undefined {
		return this.#take(callId) ? this.#source : undefined;
	}

	/** The speaker for this call ("paging": for multicast pages), or undefined while another call holds it. */
	speaker(callId: string): ((frame: Int16Array) => void) | undefined {
		if (callId === "paging")
			return this.#pageSink;
		return this.#take(callId) ? this.#sink : undefined;
	}

	/** The call ended: its devices close (the speaker stays while a page plays). */
	release(callId: string): void {
		if (this.#owner !== callId)
			return;
		this.#owner = undefined;
		this.#input = this.#close(this.#input);
		this.#heard.clear();
		if (!this.#paging(this.#o.clock.now())) {
			this.#output = this.#close(this.#output);
			this.#played.clear();
		}
	}

	#take(callId: string): boolean {
		if (this.#owner !== undefined)
			return this.#owner === callId;
		this.#owner = callId;
		if (!this.#input && this.#o.input) {
			const audio = this;
			const input = this.#o.input;
			this.#input = this.#open("microphone", () => new input({
				...FORMAT,
				onReadable(count: number) {
					try {
						audio.#readInput(this, count);
					}
					catch (e) {
						audio.#o.log?.("audio: microphone: " + String(e));
					}
				},
			}));
		}
		this.#openOutput();
		return true;
	}

	#openOutput(): void {
		if (this.#output || !this.#o.output)
			return;
		const audio = this;
		const output = this.#o.output;
		this.#output = this.#open("speaker", () => new output({
			...FORMAT,
			onWritable(count: number) {
				try {
					audio.#writeOutput(this, count);
				}
				catch (e) {
					audio.#o.log?.("audio: speaker: " + String(e));
				}
			},
		}));
	}

	/** A page has the speaker: its last frame came less than PAGE_HOLD ago. */
	#paging(now: number): boolean {
		return now - this.#lastPage < PAGE_HOLD;
	}

	#page(frame: Int16Array): void {
		const now = this.#o.clock.now();
		if (!this.#paging(now))
			this.#played.clear();	// the page starts: the call's audio in the ring gives way
		this.#lastPage = now;
		this.#openOutput();
		this.#played.write(frame);
		if (this.#pageTimer === undefined)
			this.#pageTimer = this.#o.clock.set(this.#pageCheck, PAGE_CLOSE);
	}

	/** A second after a page's frame: close the speaker if the page is over and no call holds it. */
	#checkPage(): void {
		this.#pageTimer = undefined;
		const quiet = this.#o.clock.now() - this.#lastPage;
		if (quiet < PAGE_CLOSE) {
			this.#pageTimer = this.#o.clock.set(this.#pageCheck, PAGE_CLOSE - quiet);
			return;
		}
		if (this.#owner === undefined) {
			this.#output = this.#close(this.#output);
			this.#played.clear();
		}
	}

	/** Open and start a device; a panel without it (or a simulator without ALSA) goes on without. */
	#open<T extends { start(): void }>(what: string, make: () => T): T | undefined {
		try {
			const device = make();
			device.start();
			return device;
		}
		catch (e) {
			this.#o.log?.(`audio: no ${what}: ${String(e)}`);
			return undefined;
		}
	}

	#close(device: AudioInput | AudioOutput | undefined): undefined {
		try {
			device?.close();
		}
		catch (e) {
			this.#o.log?.("audio: close: " + String(e));
		}
		return undefined;
	}

	#blockOf(count: number): Uint8Array {
		if (!this.#block || this.#block.length < count)
			this.#block = new Uint8Array(count);
		return this.#block;
	}

	#readInput(input: AudioInput, count: number): void {
		while (count > 0) {
			const block = this.#blockOf(Math.min(count, 1024));
			const n = Math.min(count, block.length);
			const view = n === block.length ? block : block.subarray(0, n);
			input.read(view);
			this.#heard.writeBytes(view, n);
			count -= n;
		}
	}

	/** The device takes whole blocks: what the ring lacks is silence. */
	#writeOutput(output: AudioOutput, count: number): void {
		const block = this.#blockOf(count);
		const view = count === block.length ? block : block.subarray(0, count);
		this.#played.readBytes(view, count);
		output.write(view);
	}
}
