/*
 * The panel's microphone and speaker: the SDK's ECMA-419 audio
 * (`embedded:io/audio/in` and `embedded:io/audio/out`; I2S on an ESP32, ALSA's
 * default device in the simulator), 16-bit mono LPCM at 8 kHz, what G.711
 * carries. A door station has one microphone and one speaker: the first call
 * whose media starts holds them until it ends, and a second call at the same
 * time gets none (silence to its peer, nothing played). The devices are open
 * only during the call. Between their blocks and the RTP stream's 20 ms
 * frames sit two rings of 60 ms (media/ring): room for one device block (250
 * samples on the simulator's ALSA) and a frame, so latency stays low; they are
 * allocated once, at boot (1.9 KB), so that a call allocates no audio buffers.
 */
import AudioIn from "embedded:io/audio/in";
import AudioOut from "embedded:io/audio/out";
import { SampleRing } from "media/ring";
import type { Log } from "io/types";

const RATE = 8000;
const RING = 480;	// 60 ms
const FORMAT = Object.freeze({ sampleRate: RATE, bitsPerSample: 16 as const, channels: 1 as const });

export class PanelAudio {
	#log: Log;
	#owner: string | undefined;
	#input: AudioIn | undefined;
	#output: AudioOut | undefined;
	#heard = new SampleRing(RING);
	#played = new SampleRing(RING);
	/** The device's block, allocated at its first block: the device's size never changes. */
	#block: Uint8Array | undefined;
	/** Made once: a call costs no closures for its audio. */
	readonly #source = (frame: Int16Array) => void this.#heard.read(frame);
	readonly #sink = (frame: Int16Array) => this.#played.write(frame);

	constructor(options: { log: Log }) {
		this.#log = options.log;
	}

	/** The microphone for this call, or undefined while another call holds it. */
	microphone(callId: string): ((frame: Int16Array) => void) | undefined {
		return this.#take(callId) ? this.#source : undefined;
	}

	/** The speaker for this call, or undefined while another call holds it. */
	speaker(callId: string): ((frame: Int16Array) => void) | undefined {
		return this.#take(callId) ? this.#sink : undefined;
	}

	/** The call ended: its devices close. */
	release(callId: string): void {
		if (this.#owner !== callId)
			return;
		this.#owner = undefined;
		// the SDK's AudioOut has close() (lin, esp32); its typings leave it out
		const devices = [this.#input, this.#output as unknown as { close(): void } | undefined];
		for (const device of devices) {
			try {
				device?.close();
			}
			catch (e) {
				this.#log("audio: close: " + String(e));
			}
		}
		this.#input = undefined;
		this.#output = undefined;
		this.#heard.clear();
		this.#played.clear();
	}

	#take(callId: string): boolean {
		if (this.#owner !== undefined)
			return this.#owner === callId;
		this.#owner = callId;
		const audio = this;
		this.#input = this.#open("microphone", () => new AudioIn({
			...FORMAT,
			onReadable(count: number) {
				try {
					audio.#readInput(this, count);
				}
				catch (e) {
					audio.#log("audio: microphone: " + String(e));
				}
			},
		}));
		this.#output = this.#open("speaker", () => new AudioOut({
			...FORMAT,
			onWritable(count: number) {
				try {
					audio.#writeOutput(this, count);
				}
				catch (e) {
					audio.#log("audio: speaker: " + String(e));
				}
			},
		}));
		return true;
	}

	/** Open and start a device; a panel without it (or a simulator without ALSA) goes on without. */
	#open<T extends { start(): void }>(what: string, make: () => T): T | undefined {
		try {
			const device = make();
			device.start();
			return device;
		}
		catch (e) {
			this.#log(`audio: no ${what}: ${String(e)}`);
			return undefined;
		}
	}

	#blockOf(count: number): Uint8Array {
		if (!this.#block || this.#block.length < count)
			this.#block = new Uint8Array(count);
		return this.#block;
	}

	#readInput(input: AudioIn, count: number): void {
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
	#writeOutput(output: AudioOut, count: number): void {
		const block = this.#blockOf(count);
		const view = count === block.length ? block : block.subarray(0, count);
		this.#played.readBytes(view, count);
		output.write(view);
	}
}
