// mDNS and DNS-SD of `npm start` (SPEC §8), asked by another implementation:
// the npm `multicast-dns` querier on the loopback (group 224.0.0.251 on a
// port of the test's own), and a plain DNS client from an ordinary port (a
// legacy resolver, RFC 6762 §6.7). The station answers for <name>.local,
// browses as _http._tcp with its page's port, adds _sip._udp/_sip._tcp when
// the built-in server is switched on, and takes a new name from the API.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import makeMdns from "multicast-dns";
import { admin, freePort, startStation } from "./helpers.js";
import { until } from "../interop/station.js";

type ResponsePacket = makeMdns.ResponsePacket;

describe("mDNS and DNS-SD (npm start)", function () {
	this.timeout(40000);

	it("answers for portier.local and announces its page, then SIP with the built-in server, and a new name", async () => {
		const port = await freePort();
		const station = await startStation({ args: ["--mdns-port", String(port), "--host", "127.0.0.1"] });
		const mdns = makeMdns({ port, ip: "224.0.0.251", interface: "127.0.0.1", loopback: true, reuseAddr: true, bind: "0.0.0.0" });
		const responses: ResponsePacket[] = [];
		mdns.on("response", (r: ResponsePacket) => responses.push(r));
		/** Ask until a response has an answer that `match` accepts (each answer is sent at most once a second). */
		const ask = async (name: string, type: "A" | "PTR" | "SRV", match: (r: ResponsePacket) => boolean) => {
			let found: ResponsePacket | undefined;
			await until(() => {
				found = responses.find(match);
				if (!found)
					mdns.query({ questions: [{ name, type }] });
				return found !== undefined;
			}, 10000, () => station.output());
			return found!;
		};
		const has = (r: ResponsePacket, name: string, type: string) => [...r.answers, ...(r.additionals ?? [])].find((a) => a.name === name && a.type === type) as { data: unknown; ttl?: number } | undefined;
		try {
			await until(() => /mdns: portier\.local answers for 127\.0\.0\.1/.test(station.output()), 10000, () => station.output());
			const a = await ask("portier.local", "A", (r) => has(r, "portier.local", "A") !== undefined);
			assert.equal(has(a, "portier.local", "A")!.data, "127.0.0.1");

			const browse = await ask("_http._tcp.local", "PTR", (r) => has(r, "_http._tcp.local", "PTR") !== undefined && has(r, "portier._http._tcp.local", "SRV") !== undefined);
			assert.equal(has(browse, "_http._tcp.local", "PTR")!.data, "portier._http._tcp.local");
			assert.deepEqual(has(browse, "portier._http._tcp.local", "SRV")!.data, { priority: 0, weight: 0, port: station.httpPort, target: "portier.local" });
			assert.deepEqual((has(browse, "portier._http._tcp.local", "TXT")!.data as Buffer[]).map(String), ["path=/"]);
			assert.equal(responses.some((r) => has(r, "_sip._udp.local", "PTR")), false, "no SIP service without the built-in server");

			// a legacy resolver: an ordinary port, answered by unicast with its id and question
			const legacy = dgram.createSocket("udp4");
			await new Promise<void>((r) => legacy.bind(0, "127.0.0.1", () => r()));
			legacy.setMulticastInterface("127.0.0.1");
			const reply = new Promise<Buffer>((resolve) => legacy.once("message", (m) => resolve(m)));
			const question = Buffer.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...Buffer.from("portier"), 5, ...Buffer.from("local"), 0, 0, 1, 0, 1]);
			legacy.send(question, port, "224.0.0.251");
			const m = await Promise.race([reply, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no unicast answer")), 5000))]);
			legacy.close();
			assert.equal(m.readUInt16BE(0), 0x1234, "the query's id");
			assert.equal(m.readUInt16BE(4), 1, "the question repeated");
			assert.deepEqual([...m.subarray(m.length - 4)], [127, 0, 0, 1]);
			assert.equal(m.readUInt32BE(m.length - 10), 10, "TTL of at most 10 s for a legacy resolver");

			const api = await admin(station.base);
			assert.equal((await api.request("GET", "/api/status")).data.device.mdns, "portier.local", "the device page shows the name");
			assert.equal((await api.request("PUT", "/api/config", { server: { enabled: true } })).status, 200);
			const sip = await ask("_sip._udp.local", "PTR", (r) => has(r, "portier._sip._udp.local", "SRV") !== undefined);
			assert.equal((has(sip, "portier._sip._udp.local", "SRV")!.data as { port: number }).port, station.sipPort);

			const bad = await api.request("PUT", "/api/config", { network: { name: "-door-" } });
			assert.equal(bad.status, 400);
			assert.equal(bad.data.errors[0].field, "network.name");
			responses.length = 0;
			assert.equal((await api.request("PUT", "/api/config", { network: { name: "front-door" } })).status, 200);
			const goodbye = await ask("portier.local", "A", (r) => has(r, "portier.local", "A")?.ttl === 0);
			assert.ok(goodbye, "the old name said goodbye");
			const renamed = await ask("front-door.local", "A", (r) => has(r, "front-door.local", "A") !== undefined);
			assert.equal(has(renamed, "front-door.local", "A")!.data, "127.0.0.1");
		}
		finally {
			mdns.destroy();
			await station.stop();
		}
	});
});
