// mDNS and DNS-SD of the firmware in the Moddable simulator: the station
// answers the npm `multicast-dns` querier for portier.local and browses as
// _http._tcp with its page's port, over the simulator's multicast socket (the
// project's own, hosts/sim/multicast-udp: it joins and sends on the
// loopback), and a legacy resolver gets its unicast answer.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import makeMdns from "multicast-dns";
import { freePort } from "../node/helpers.js";
import { type SimRun, buildStation, findSdk, runSimulator } from "./simulator.js";
import { until } from "../interop/station.js";

type ResponsePacket = makeMdns.ResponsePacket;

describe("mDNS and DNS-SD in the Moddable simulator", function () {
	this.timeout(300000);
	let sim: SimRun | undefined;
	let httpPort = 0;
	let mdnsPort = 0;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string") {
			process.stdout.write(`\n  sim mdns: skipped: ${sdk}\n`);
			this.skip();
		}
		httpPort = await freePort();
		mdnsPort = await freePort();
		const so = buildStation(sdk, { sipPort: await freePort(), httpPort, mdnsPort });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
	});
	after(async () => {
		await sim?.stop();
	});

	it("answers for portier.local and announces the page", async () => {
		await until(() => /mdns: portier\.local answers for 127\.0\.0\.1, announcing _http\._tcp/.test(sim!.output()), 15000, () => sim!.output().slice(-1500));
		const mdns = makeMdns({ port: mdnsPort, ip: "224.0.0.251", interface: "127.0.0.1", loopback: true, reuseAddr: true, bind: "0.0.0.0" });
		const responses: ResponsePacket[] = [];
		mdns.on("response", (r: ResponsePacket) => responses.push(r));
		const record = (name: string, type: string) => {
			for (const r of responses) {
				const found = [...r.answers, ...(r.additionals ?? [])].find((a) => a.name === name && a.type === type);
				if (found)
					return found as { data: unknown };
			}
			return undefined;
		};
		try {
			await until(() => {
				if (!record("portier.local", "A"))
					mdns.query({ questions: [{ name: "portier.local", type: "A" }] });
				return record("portier.local", "A") !== undefined;
			}, 10000, () => sim!.output().slice(-1500));
			assert.equal(record("portier.local", "A")!.data, "127.0.0.1");
			await until(() => {
				if (!record("portier._http._tcp.local", "SRV"))
					mdns.query({ questions: [{ name: "_http._tcp.local", type: "PTR" }] });
				return record("portier._http._tcp.local", "SRV") !== undefined;
			}, 10000, () => sim!.output().slice(-1500));
			assert.equal(record("_http._tcp.local", "PTR")!.data, "portier._http._tcp.local");
			assert.deepEqual(record("portier._http._tcp.local", "SRV")!.data, { priority: 0, weight: 0, port: httpPort, target: "portier.local" });
		}
		finally {
			mdns.destroy();
		}
		// a legacy resolver, from an ordinary port: a unicast answer with its id (RFC 6762 §6.7)
		const legacy = dgram.createSocket("udp4");
		await new Promise<void>((r) => legacy.bind(0, "127.0.0.1", () => r()));
		legacy.setMulticastInterface("127.0.0.1");
		try {
			const reply = new Promise<Buffer>((resolve) => legacy.once("message", (m) => resolve(m)));
			legacy.send(Buffer.from([0xBE, 0xEF, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...Buffer.from("portier"), 5, ...Buffer.from("local"), 0, 0, 1, 0, 1]), mdnsPort, "224.0.0.251");
			const m = await Promise.race([reply, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no unicast answer")), 5000))]);
			assert.equal(m.readUInt16BE(0), 0xBEEF);
			assert.deepEqual([...m.subarray(m.length - 4)], [127, 0, 0, 1]);
		}
		finally {
			legacy.close();
		}
	});
});
