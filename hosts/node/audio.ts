/*
 * Audio for the PC station: the microphone is a WAV file (16-bit mono PCM at
 * 8 kHz, looped) or a generated tone; the speaker can record each call to a
 * WAV file. Frames are 20 ms of 160 samples, as the RTP stream wants them.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Samples of a 16-bit mono 8 kHz PCM WAV file, or an error naming what is wrong. */
export function readWav(path: string): Int16Array {
	const b = readFileSync(path);
	if (b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WAVE")
		throw new Error(`${path}: not a WAV file`);
	let offset = 12;
	let format: { channels: number; rate: number; bits: number } | undefined;
	while (offset + 8 <= b.length) {
		const id = b.toString("latin1", offset, offset + 4);
		const size = b.readUInt32LE(offset + 4);
		const body = offset + 8;
		if (id === "fmt ")
			format = { channels: b.readUInt16LE(body + 2), rate: b.readUInt32LE(body + 4), bits: b.readUInt16LE(body + 14) };
		else if (id === "data") {
			if (!format || format.channels !== 1 || format.rate !== 8000 || format.bits !== 16)
				throw new Error(`${path}: must be 16-bit mono PCM at 8000 Hz`);
			// a recorder still writing leaves the size 0 (or all ones): the data runs to the end of the file
			const length = size === 0 || size === 0xFFFFFFFF ? b.length - body : Math.min(size, b.length - body);
			const n = Math.floor(length / 2);
			const out = new Int16Array(n);
			for (let i = 0; i < n; i++)
				out[i] = b.readInt16LE(body + i * 2);
			return out;
		}
		offset = body + size + (size & 1);
	}
	throw new Error(`${path}: no audio data`);
}

/** A looping source over samples. */
export function loop(samples: Int16Array): (frame: Int16Array) => void {
	let at = 0;
	return (frame) => {
		for (let i = 0; i < frame.length; i++) {
			frame[i] = samples.length ? samples[at] : 0;
			at = at + 1 >= samples.length ? 0 : at + 1;
		}
	};
}

export function tone(frequency: number, amplitude = 3000): (frame: Int16Array) => void {
	let n = 0;
	return (frame) => {
		for (let i = 0; i < frame.length; i++, n++)
			frame[i] = Math.round(amplitude * Math.sin(2 * Math.PI * frequency * n / 8000));
	};
}

/** Records frames to `<dir>/<name>.wav`; the header is finished when closed. */
export class WavRecorder {
	#fd: number;
	#samples = 0;
	constructor(dir: string, name: string) {
		this.#fd = openSync(join(dir, name.replace(/[^A-Za-z0-9_.-]/g, "_") + ".wav"), "w");
		writeSync(this.#fd, wavHeader(0));
	}
	write(frame: Int16Array): void {
		const b = Buffer.alloc(frame.length * 2);
		for (let i = 0; i < frame.length; i++)
			b.writeInt16LE(frame[i], i * 2);
		writeSync(this.#fd, b);
		this.#samples += frame.length;
	}
	close(): void {
		writeSync(this.#fd, wavHeader(this.#samples), 0, 44, 0);
		closeSync(this.#fd);
	}
}

/** The 44-octet header of a 16-bit mono PCM WAV file. */
export function wavHeader(samples: number, rate = 8000): Buffer {
	const b = Buffer.alloc(44);
	b.write("RIFF", 0);
	b.writeUInt32LE(36 + samples * 2, 4);
	b.write("WAVEfmt ", 8);
	b.writeUInt32LE(16, 16);
	b.writeUInt16LE(1, 20);
	b.writeUInt16LE(1, 22);
	b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(rate * 2, 28);
	b.writeUInt16LE(2, 32);
	b.writeUInt16LE(16, 34);
	b.write("data", 36);
	b.writeUInt32LE(samples * 2, 40);
	return b;
}
