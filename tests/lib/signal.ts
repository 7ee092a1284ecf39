/** Power of one frequency in samples at 8 kHz (the Goertzel algorithm): how tests hear a tone. */
export function power(samples: ArrayLike<number>, frequency: number): number {
	const k = 2 * Math.cos(2 * Math.PI * frequency / 8000);
	let s1 = 0, s2 = 0;
	for (let i = 0; i < samples.length; i++) {
		const s0 = samples[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - k * s1 * s2;
}
