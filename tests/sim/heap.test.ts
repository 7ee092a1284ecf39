// XS heap of the station in the Moddable simulator, from the debugger's
// instruments (Instrumentation.map() is not available on lin): registered and
// idle, during a call, and after 200 calls, each read after a full garbage
// collection. The simulator's slots are 32 bytes, the ESP32's 16: the ESP32
// figure is chunks + slots / 2. The heap must come back to its idle figure.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { freePort } from "../node/helpers.js";
import { type SimRun, buildStation, findSdk, runSimulator } from "./simulator.js";
import { type Kamailio, USERS, kamailioInstalled, startKamailio } from "../interop/kamailio.js";
import { until } from "../interop/station.js";
import { installed, sipp } from "../interop/peers.js";

interface Heap {
	chunks: number;
	slots: number;
	keys: number;
	/** chunks + slots / 2: the same heap with the ESP32's 16-byte slots. */
	esp32: number;
}

function control(port: number, text: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const s = dgram.createSocket("udp4");
		const timer = setTimeout(() => { s.close(); reject(new Error("no answer to " + text)); }, 3000);
		s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m.toString()); });
		s.bind(0, "127.0.0.1", () => s.send(text, port, "127.0.0.1"));
	});
}

async function heap(sim: SimRun, controlPort: number): Promise<Heap> {
	assert.equal(await control(controlPort, "gc"), "ok");
	await new Promise((r) => setTimeout(r, 1500));	// the instruments are sampled once a second
	const before = sim.output().length;
	sim.send("info instruments");
	await until(() => /Keys used\s+\d+/.test(sim.output().slice(before)), 5000, () => sim.output().slice(before));
	const text = sim.output().slice(before);
	const read = (name: string) => Number(new RegExp(name + "\\s+(\\d+)").exec(text)![1]);
	const chunks = read("Chunk used");
	const slots = read("Slot used");
	return { chunks, slots, keys: read("Keys used"), esp32: chunks + slots / 2 };
}

describe("XS heap of the station in the simulator", function () {
	this.timeout(600000);
	let sim: SimRun | undefined;
	let kamailio: Kamailio | undefined;
	let sipPort = 0;
	let controlPort = 0;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string" || !kamailioInstalled() || !installed("sipp")) {
			process.stdout.write(`\n  sim heap: skipped: ${typeof sdk === "string" ? sdk : "needs kamailio and sipp"}\n`);
			this.skip();
		}
		sipPort = await freePort();
		controlPort = await freePort();
		const udpPort = await freePort();
		kamailio = await startKamailio({ udpPort, tcpPort: await freePort() });
		// journals=0: the SDK's Preference for Linux keeps all it stores in the XS heap (a panel's NVS
		// keeps none of it there), so the history and the log in flash would count as heap here
		const so = buildStation(sdk, { sipPort, controlPort, httpPort: await freePort(), trust: "127.0.0.1", journals: 0, account1Server: "127.0.0.1", account1Port: udpPort, account1User: "door", account1Password: USERS.door, account1Transport: "udp", account1Expires: 3600 });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
		await until(() => /portier: account 1 registered \(200 OK\)/.test(sim!.output()), 15000, () => sim!.output());
	});
	after(async () => {
		await sim?.stop();
		await kamailio?.stop();
	});

	it("idle and registered, in a call, and back to the idle figure after 200 calls", async () => {
		const registered = await heap(sim!, controlPort);
		// a few calls fill the recent log, as on a station that has run a while; their
		// transactions end 32 s later (RFC 6026 Timer L, Timer J)
		const warmUp = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-d", "200", "-r", "3", "-rp", "2000", "-m", "12", "-timeout", "60s"]);
		assert.equal(await warmUp.exited, 0, warmUp.output().slice(-1500));
		await new Promise((r) => setTimeout(r, 34000));
		const idle = await heap(sim!, controlPort);
		// one call held for 14 s: read the heap three times in the middle of it
		const answered = sim!.output().length;
		const caller = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-d", "14000"]);
		await until(() => /portier: call incoming .* answered/.test(sim!.output().slice(answered)), 10000, () => sim!.output().slice(-1000));
		const inCall: Heap[] = [];
		for (let i = 0; i < 3; i++)
			inCall.push(await heap(sim!, controlPort));
		assert.equal(await caller.exited, 0, caller.output());
		// 200 short calls over TCP, three every two seconds: each INVITE server transaction stays
		// 32 s after its 2xx (RFC 6026 Timer L), and the table holds 64
		const many = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-t", "t1", "-d", "200", "-r", "3", "-rp", "2000", "-m", "200", "-timeout", "300s"]);
		assert.equal(await many.exited, 0, many.output().slice(-1500) + "\n--- station:\n" + sim!.output().slice(-3000));
		// the last transactions end 32 s after their calls (Timer L, Timer J)
		await new Promise((r) => setTimeout(r, 34000));
		const after = await heap(sim!, controlPort);
		const most = inCall.reduce((a, b) => (b.esp32 > a.esp32 ? b : a));
		process.stdout.write(`\n  sim heap (bytes; ESP32 = chunks + slots/2): just registered ${registered.chunks} chunks + ${registered.slots} slots = ${registered.esp32};` +
			` idle ${idle.chunks} + ${idle.slots} = ${idle.esp32} on ESP32, ${idle.keys} keys;` +
			` in a call +${inCall.map((h) => h.esp32 - idle.esp32).join(", +")} (largest ${most.chunks} + ${most.slots});` +
			` after 200 calls ${after.chunks} + ${after.slots} = ${after.esp32} (${after.esp32 - idle.esp32 >= 0 ? "+" : ""}${after.esp32 - idle.esp32}), ${after.keys} keys\n`);
		assert.ok(after.esp32 <= idle.esp32 + 512, `the heap came back to its idle figure: ${after.esp32} vs ${idle.esp32}`);
		assert.ok(after.keys <= idle.keys + 4, `no keys interned per call: ${after.keys} vs ${idle.keys}`);
	});
});
