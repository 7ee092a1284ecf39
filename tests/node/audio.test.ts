// The PC station's audio: WAV in and out, and end to end through npm start:
// SIPp calls, echoes the station's tone, and the recording holds that tone.
import { power } from "../lib/signal.js";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WavRecorder, loop, readWav, tone } from "../../hosts/node/audio.js";
import { admin, freePort, openToLocalCallers, startStation } from "./helpers.js";
import { installed, sipp, toneWav } from "../interop/peers.js";


describe("PC station audio", function () {
	this.timeout(30000);

	it("records frames to a WAV file that reads back, and loops a WAV file as the microphone", () => {
		const dir = mkdtempSync(join(tmpdir(), "portier-wav-"));
		const r = new WavRecorder(dir, "call:1");
		const frame = new Int16Array(160);
		const source = tone(1000, 5000);
		for (let i = 0; i < 10; i++) {
			source(frame);
			r.write(frame);
		}
		r.close();
		const file = join(dir, readdirSync(dir)[0]);
		assert.equal(readdirSync(dir)[0], "call_1.wav");
		const samples = readWav(file);
		assert.equal(samples.length, 1600);
		assert.ok(power(samples, 1000) > 100 * power(samples, 500));
		const mic = loop(samples.subarray(0, 100));
		const out = new Int16Array(160);
		mic(out);
		assert.equal(out[100], samples[0], "wraps around");
		writeFileSync(join(dir, "bad.wav"), "nope");
		assert.throws(() => readWav(join(dir, "bad.wav")), /not a WAV file/);
		writeFileSync(join(dir, "stereo.wav"), toneWav(440, 16000, 1));
		assert.throws(() => readWav(join(dir, "stereo.wav")), /16-bit mono PCM at 8000 Hz/);
	});

	it("npm start plays its microphone into a call and records the caller: SIPp echoes a 1 kHz tone back", async function () {
		if (!installed("sipp"))
			this.skip();
		const dir = mkdtempSync(join(tmpdir(), "portier-rec-"));
		const sipPort = await freePort();
		const station = await startStation({ sipPort, args: ["--mic", "1000", "--record", dir] });
		try {
			await openToLocalCallers(await admin(station.base));
			const peer = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-d", "2000", "-mp", String(await freePort()), "-rtp_echo"]);
			assert.equal(await peer.exited, 0, peer.output());
			const deadline = Date.now() + 3000;
			while (!station.output().includes("(remote)") && Date.now() < deadline)
				await new Promise((r) => setTimeout(r, 50));
		}
		finally {
			await station.stop();
		}
		const files = readdirSync(dir);
		assert.equal(files.length, 1, station.output());
		const samples = readWav(join(dir, files[0]));
		assert.ok(samples.length >= 8000, "about 2 s recorded: " + samples.length);
		assert.ok(power(samples, 1000) > 100 * power(samples, 425), "the echo is our 1 kHz tone");
	});
});
