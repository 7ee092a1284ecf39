// Multicast paging in the simulator: configured through the page's API (a
// group, then a restart from the page, as the setting asks), the firmware
// listens to the group on the simulator's multicast socket (the project's own,
// hosts/sim/multicast-udp: the SDK's Linux UDP does not join groups), and an
// RTP page of a 1 kHz tone sent to the group over loopback is heard at the
// speaker (ALSA's default device pointed, through an .asoundrc in the run's
// private HOME, at a pipe).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, freePort } from "../node/helpers.js";
import { type SimRun, alsaInstalled, asoundrc, buildStation, findSdk, runSimulator } from "./simulator.js";
import { until } from "../interop/station.js";
import { power } from "../lib/signal.js";
import { encode } from "../../modules/media/g711.js";
import { writeRtpHeader } from "../../modules/media/rtp.js";

describe("multicast paging in the Moddable simulator", function () {
	this.timeout(300000);
	let sim: SimRun | undefined;
	let dir = "";
	let httpPort = 0;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string") {
			process.stdout.write(`\n  sim paging: skipped: ${sdk}\n`);
			this.skip();
		}
		if (!alsaInstalled()) {
			process.stdout.write("\n  sim paging: skipped: the simulator's audio needs ALSA's library (Debian package libasound2-dev)\n");
			this.skip();
		}
		dir = mkdtempSync(join(tmpdir(), "portier-sim-paging-"));
		httpPort = await freePort();
		const so = buildStation(sdk, { sipPort: await freePort(), httpPort });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on", { ".asoundrc": asoundrc(dir, false) });
	});
	after(async () => {
		await sim?.stop();
		if (dir)
			rmSync(dir, { recursive: true, force: true });
	});

	it("a page sent to the group is heard at the speaker", async () => {
		const group = { address: "239.255.42.7", port: await freePort(), priority: 1 };
		const api = await admin(`http://127.0.0.1:${httpPort}`);
		const put = await api.request("PUT", "/api/config", { paging: { groups: [group] } });
		assert.equal(put.status, 200, JSON.stringify(put.data));
		const started = sim!.output().split("portier: SIP on").length;
		assert.equal((await api.request("POST", "/api/reboot")).status, 200);
		await until(() => sim!.output().split("portier: SIP on").length > started, 20000, () => sim!.output().slice(-1500));
		const sender = dgram.createSocket("udp4");
		await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
		sender.setMulticastInterface("127.0.0.1");
		sender.setMulticastLoopback(true);
		try {
			const samples = new Int16Array(160);
			for (let i = 0; i < 150; i++) {
				for (let j = 0; j < 160; j++)
					samples[j] = Math.round(8000 * Math.sin(2 * Math.PI * 1000 * (i * 160 + j) / 8000));
				const packet = new Uint8Array(12 + 160);
				writeRtpHeader(packet, i === 0, 0, i + 1, i * 160, 0x5678);
				encode("PCMU", samples, packet.subarray(12));
				sender.send(packet, group.port, group.address);
				await new Promise((r) => setTimeout(r, 20));
			}
		}
		finally {
			sender.close();
		}
		await until(() => sim!.output().includes(`station: paging from ${group.address}:${group.port}`), 5000, () => sim!.output().slice(-1500));
		await until(() => readFileSync(join(dir, "speaker.raw")).length > 16000 * 2, 10000, () => "speaker: " + readFileSync(join(dir, "speaker.raw")).length + " bytes");
		const bytes = readFileSync(join(dir, "speaker.raw"));
		const heard = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
		const ratio = power(heard, 1000) / power(heard, 600);
		process.stdout.write(`\n  sim paging: ${(heard.length / 160) | 0} blocks of 20 ms at the speaker, power at 1 kHz ${ratio.toFixed(0)}x that at 600 Hz\n`);
		assert.ok(ratio > 20, "the speaker played the page's 1 kHz tone");
	});
});
