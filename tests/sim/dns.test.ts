// SIP servers by name on the Moddable host: the firmware's account server is
// a domain, located through NAPTR, SRV and A records (RFC 3263) that a DNS
// server of this test's own, on 127.0.0.1, answers; the station registers to
// Kamailio at the address and port the records name. DNS servers named on
// the Network tab then replace the build's: a second server, on 127.0.0.2,
// is asked when the account registers again.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { admin, freePort } from "../node/helpers.js";
import { type SimRun, buildStation, findSdk, runSimulator } from "./simulator.js";
import { type Kamailio, USERS, kamailioInstalled, startKamailio } from "../interop/kamailio.js";
import { until } from "../interop/station.js";

/** A name as DNS labels. */
function labels(name: string): number[] {
	return [...name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0];
}
const be16 = (n: number) => [n >> 8, n & 0xFF];
const chars = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

/** A DNS server on `address` answering from a table of name + type -> rdata list; it notes every question. */
function dnsServer(port: number, records: Map<string, { type: number; rdata: number[][] }>, address = "127.0.0.1"): Promise<{ asked: string[]; close(): void }> {
	const asked: string[] = [];
	const socket = dgram.createSocket("udp4");
	socket.on("message", (q, from) => {
		let p = 12, name = "";
		while (q[p] !== 0) {
			name += (name ? "." : "") + q.toString("latin1", p + 1, p + 1 + q[p]);
			p += 1 + q[p];
		}
		const type = (q[p + 1] << 8) | q[p + 2];
		asked.push(name + " " + type);
		const entry = records.get(name.toLowerCase() + " " + type);
		const rdata = entry?.rdata ?? [];
		const out = [q[0], q[1], 0x81, entry ? 0x80 : 0x83, 0, 1, ...be16(rdata.length), 0, 0, 0, 0, ...q.subarray(12, p + 5)];
		for (const r of rdata)
			out.push(0xC0, 12, ...be16(type), 0, 1, 0, 0, 0, 60, ...be16(r.length), ...r);
		socket.send(Buffer.from(out), from.port, from.address);
	});
	return new Promise((resolve) => socket.bind(port, address, () => resolve({ asked, close: () => socket.close() })));
}

describe("the station in the Moddable simulator, its server by name (NAPTR, SRV, A)", function () {
	this.timeout(360000);
	let sim: SimRun | undefined;
	let kamailio: Kamailio | undefined;
	let dns: { asked: string[]; close(): void } | undefined;
	let second: { asked: string[]; close(): void } | undefined;
	let httpPort = 0;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string" || !kamailioInstalled()) {
			process.stdout.write(`\n  sim dns: skipped: ${typeof sdk === "string" ? sdk : "needs kamailio"}\n`);
			this.skip();
		}
		const udpPort = await freePort();
		kamailio = await startKamailio({ udpPort, tcpPort: await freePort() });
		const dnsPort = await freePort();
		const records = new Map([
			["portier.test 35", { type: 35, rdata: [[...be16(10), ...be16(10), ...chars("s"), ...chars("SIP+D2U"), ...chars(""), ...labels("_sip._udp.portier.test")]] }],
			["_sip._udp.portier.test 33", { type: 33, rdata: [[...be16(0), ...be16(0), ...be16(udpPort), ...labels("pbx.portier.test")]] }],
			["pbx.portier.test 1", { type: 1, rdata: [[127, 0, 0, 1]] }],
		]);
		dns = await dnsServer(dnsPort, records);
		second = await dnsServer(dnsPort, records, "127.0.0.2");
		httpPort = await freePort();
		const so = buildStation(sdk, {
			sipPort: await freePort(), httpPort, dnsServer: "127.0.0.1", dnsPort,
			account1Server: "portier.test", account1Transport: "dns-srv", account1User: "door", account1Password: USERS.door, account1Expires: 60,
		});
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
	});
	after(async () => {
		await sim?.stop();
		await kamailio?.stop();
		dns?.close();
		second?.close();
	});

	it("finds Kamailio through NAPTR, SRV and A records and registers there", async () => {
		await until(() => /portier: account 1 registered \(200 OK\)/.test(sim!.output()), 30000, () => sim!.output().slice(-2000) + "\n--- dns asked: " + dns!.asked.join(", "));
		await until(() => /registered sip:door@portier\.test from 127\.0\.0\.1:\d+ over udp/.test(kamailio!.output()), 5000, () => kamailio!.output().slice(-1000));
		assert.deepEqual(dns!.asked.slice(0, 3), ["portier.test 35", "_sip._udp.portier.test 33", "pbx.portier.test 1"]);
	});

	it("asks the DNS servers named on the Network tab instead of the build's", async () => {
		const api = await admin(`http://127.0.0.1:${httpPort}`);
		const asked = dns!.asked.length;
		const put = await api.request("PUT", "/api/config", { network: { dns: ["127.0.0.2"] }, accounts: { "1": { expires: 120 } } });
		assert.equal(put.status, 200, JSON.stringify(put.data));
		await until(() => second!.asked.length >= 3, 15000, () => sim!.output().slice(-1500) + "\n--- asked: " + second!.asked.join(", "));
		assert.deepEqual(second!.asked.slice(0, 3), ["portier.test 35", "_sip._udp.portier.test 33", "pbx.portier.test 1"]);
		assert.equal(dns!.asked.length, asked, "the build's server is not asked any more");
		await until(() => (sim!.output().match(/portier: account 1 registered \(200 OK\)/g) ?? []).length >= 2, 15000, () => sim!.output().slice(-1500));
	});
});
