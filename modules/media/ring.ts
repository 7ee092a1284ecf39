/*
 * A ring of 16-bit samples between an audio device and the RTP stream, which
 * run on different clocks: the device hands over blocks of its own size (250
 * samples on the simulator's ALSA, the I2S DMA's on a panel), the stream
 * takes 20 ms frames. When the ring is full the oldest samples go (latency
 * stays bounded, the memory is fixed); when it runs dry, silence fills in.
 * Device blocks are little-endian octets (LPCM, as ECMA-419 audio gives them).
 */

export class SampleRing {
	#samples: Int16Array;
	#start = 0;
	#count = 0;
	dropped = 0;

	constructor(capacity: number) {
		this.#samples = new Int16Array(capacity);
	}

	get available(): number {
		return this.#count;
	}

	clear(): void {
		this.#start = 0;
		this.#count = 0;
	}

	/** Append samples; the oldest give way when full. */
	write(frame: Int16Array): void {
		for (let i = 0; i < frame.length; i++)
			this.#push(frame[i]);
	}

	/** Append `length` octets of 16-bit little-endian samples. */
	writeBytes(bytes: Uint8Array, length = bytes.length): void {
		for (let i = 0; i + 1 < length; i += 2) {
			const s = bytes[i] | (bytes[i + 1] << 8);
			this.#push(s >= 0x8000 ? s - 0x10000 : s);
		}
	}

	/** Fill the frame, silence where the ring ran dry; returns how many samples were real. */
	read(frame: Int16Array): number {
		let n = 0;
		for (; n < frame.length && this.#count; n++)
			frame[n] = this.#shift();
		frame.fill(0, n);
		return n;
	}

	/** Fill `length` octets with 16-bit little-endian samples, silence where the ring ran dry; returns how many octets were real. */
	readBytes(out: Uint8Array, length = out.length): number {
		let i = 0;
		for (; i + 1 < length && this.#count; i += 2) {
			const s = this.#shift();
			out[i] = s & 0xFF;
			out[i + 1] = (s >> 8) & 0xFF;
		}
		out.fill(0, i, length);
		return i;
	}

	#push(sample: number): void {
		const capacity = this.#samples.length;
		if (this.#count === capacity) {
			this.#start = (this.#start + 1) % capacity;
			this.#count--;
			this.dropped++;
		}
		this.#samples[(this.#start + this.#count) % capacity] = sample;
		this.#count++;
	}

	#shift(): number {
		const s = this.#samples[this.#start];
		this.#start = (this.#start + 1) % this.#samples.length;
		this.#count--;
		return s;
	}
}
