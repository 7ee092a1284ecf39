// Stands behind the simulator's ALSA speaker in the audio test (the file
// plugin pipes the played samples to it): ALSA's null device takes samples
// as fast as they come, so silence streams through without pause; only
// 20 ms blocks that carry sound are kept, in the file named on the command line.
import { appendFileSync, writeFileSync } from "node:fs";

const out = process.argv[2];
writeFileSync(out, "");
let pending = Buffer.alloc(0);
process.stdin.on("data", (chunk: Buffer) => {
	pending = Buffer.concat([pending, chunk]);
	const blocks = Math.floor(pending.length / 320);
	for (let b = 0; b < blocks; b++) {
		const block = pending.subarray(b * 320, b * 320 + 320);
		let loud = false;
		for (let i = 0; i < 320 && !loud; i += 2)
			loud = Math.abs(block.readInt16LE(i)) > 200;
		if (loud)
			appendFileSync(out, block);
	}
	pending = pending.subarray(blocks * 320);
});
