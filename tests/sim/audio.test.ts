// The panel's microphone and speaker in the simulator: the SDK's ECMA-419
// audio in/out on ALSA's default device, which this run points (through an
// .asoundrc in its private HOME) at a FIFO for the microphone, fed a 1 kHz
// tone in real time, and at a pipe for the speaker. A SIPp caller echoes the
// station's RTP: the tone goes microphone -> AudioIn -> G.711 -> RTP -> SIPp
// -> RTP -> G.711 -> AudioOut -> the speaker, where it must arrive as 1 kHz.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../node/helpers.js";
import { type SimRun, alsaInstalled, asoundrc, buildStation, findSdk, runSimulator } from "./simulator.js";
import { until } from "../interop/station.js";
import { installed, sipp } from "../interop/peers.js";
import { power } from "../lib/signal.js";

describe("the panel's audio in the simulator", function () {
	this.timeout(300000);
	let sim: SimRun | undefined;
	let sipPort = 0;
	let dir = "";
	let microphone: FileHandle | undefined;
	let feeding: ReturnType<typeof setInterval> | undefined;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string" || !installed("sipp") || !installed("mkfifo", ["--version"])) {
			process.stdout.write(`\n  sim audio: skipped: ${typeof sdk === "string" ? sdk : "needs sipp and mkfifo"}\n`);
			this.skip();
		}
		if (!alsaInstalled()) {
			process.stdout.write("\n  sim audio: skipped: the simulator's audio needs ALSA's library (Debian package libasound2-dev)\n");
			this.skip();
		}
		dir = mkdtempSync(join(tmpdir(), "portier-sim-audio-"));
		execFileSync("mkfifo", [join(dir, "microphone.fifo")]);
		sipPort = await freePort();
		const so = buildStation(sdk, { sipPort, httpPort: 0, trust: "127.0.0.1" });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on", { ".asoundrc": asoundrc(dir) });
	});
	after(async () => {
		if (feeding)
			clearInterval(feeding);
		await microphone?.close().catch(() => undefined);
		await sim?.stop();
		if (dir)
			rmSync(dir, { recursive: true, force: true });
	});

	it("a caller that echoes the station's RTP is heard at the speaker with the microphone's 1 kHz tone", async () => {
		// the microphone: 20 ms of a 1 kHz tone every 20 ms, from when the station opens it (at the call)
		let n = 0;
		void open(join(dir, "microphone.fifo"), "w").then((fifo) => {
			microphone = fifo;
			feeding = setInterval(() => {
				const block = Buffer.alloc(320);
				for (let i = 0; i < 160; i++, n++)
					block.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 1000 * n / 8000)), i * 2);
				fifo.write(block).catch(() => { clearInterval(feeding); });
			}, 20);
		});
		const caller = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-d", "4000", "-mp", String(await freePort()), "-rtp_echo"]);
		await until(() => /portier: call incoming .* answered/.test(sim!.output()), 10000, () => sim!.output().slice(-1000));
		assert.equal(await caller.exited, 0, caller.output());
		await until(() => /call .*ended|hung up|BYE/.test(sim!.output()), 5000, () => sim!.output().slice(-1000)).catch(() => undefined);
		assert.ok(n > 0, "the station opened the microphone");
		const bytes = readFileSync(join(dir, "speaker.raw"));
		const samples = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
		const ratio = power(samples, 1000) / power(samples, 600);
		process.stdout.write(`\n  sim audio: ${(n / 8000).toFixed(1)} s fed to the microphone; at the speaker ${(samples.length / 160) | 0} blocks of 20 ms carrying sound, power at 1 kHz ${ratio.toFixed(0)}x that at 600 Hz\n`);
		// on a failure, what the station and SIPp said: which side of the echo lost the audio
		assert.ok(samples.length > 8000, `the speaker played ${samples.length} samples of sound\n--- station:\n${sim!.output().slice(-2500)}\n--- SIPp:\n${caller.output().slice(-1500)}`);
		assert.ok(ratio > 20, "what the speaker played is the microphone's 1 kHz tone");
	});
});
