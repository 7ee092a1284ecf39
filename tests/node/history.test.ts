// The door and call history of `npm start`: records newest first over the
// API, refused callers recorded (a flood only once a minute per address),
// batched writes that survive a power cut (SIGKILL) and a clean stop.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { OPEN_TO_LOCAL_CALLERS, admin, freePort, startStation } from "./helpers.js";
import { installed, sipp } from "../interop/peers.js";

type Rec = { t: number; ev: string; relay?: number; name?: string; by?: string; from?: string; status?: number; dir?: string; dur?: number; result?: string; account?: string };

function invite(port: number, n: number): Buffer {
	const callId = "hist-" + n;
	return Buffer.from([
		`INVITE sip:door@127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKhist${n}`, "Max-Forwards: 70",
		"From: <sip:intruder@127.0.0.1>;tag=x" + n, `To: <sip:door@127.0.0.1:${port}>`, `Call-ID: ${callId}`, "CSeq: 1 INVITE",
		"Contact: <sip:intruder@127.0.0.1:5999>", "Content-Length: 0", "", ""].join("\r\n"));
}

describe("door and call history (npm start)", function () {
	this.timeout(60000);

	it("records doors opened (with the relay's name) and refused callers, newest first; a flood of refusals is one record", async () => {
		const station = await startStation();
		try {
			const api = await admin(station.base);
			assert.equal((await api.request("PUT", "/api/config", { station: { preventSipHacking: true, relayNames: { "1": { name: "Front door", lock: "NO" } } } })).status, 200);
			await api.request("POST", "/api/relays/1/open");
			const udp = dgram.createSocket("udp4");
			for (let i = 0; i < 20; i++)
				udp.send(invite(station.sipPort, i), station.sipPort, "127.0.0.1");
			await new Promise((r) => setTimeout(r, 500));
			udp.close();
			await api.request("POST", "/api/relays/1/open");
			const r = await api.request("GET", "/api/history?count=10");
			assert.equal(r.status, 200);
			const records = r.data.records as Rec[];
			assert.deepEqual(records.map((x) => x.ev), ["door", "refused", "door"], JSON.stringify(records));
			assert.equal(records[1].from, "intruder@127.0.0.1");
			assert.equal(records[1].status, 403);
			assert.deepEqual([records[0].name, records[0].by, records[0].relay], ["Front door", "api", 1]);
			assert.ok(records[0].t >= records[2].t);
			assert.ok(r.data.capacity >= 270, "a few hundred records: " + r.data.capacity);
		}
		finally {
			await station.stop();
		}
	});

	it("records an incoming call: who rang, answered by the station, how long; a call refused under DND", async function () {
		if (!installed("sipp"))
			this.skip();
		const station = await startStation();
		try {
			const api = await admin(station.base);
			assert.equal((await api.request("PUT", "/api/config", OPEN_TO_LOCAL_CALLERS)).status, 200);
			const caller = sipp("uac", await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "door", "-d", "1000"]);
			assert.equal(await caller.exited, 0, caller.output());
			assert.equal((await api.request("POST", "/api/dnd", { account: "ip", enabled: true })).status, 200);
			const refused = sipp("uac", await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "door"]);
			await refused.exited;
			await new Promise((r) => setTimeout(r, 300));
			const records = (await api.request("GET", "/api/history?count=10")).data.records as Rec[];
			const calls = records.filter((x) => x.ev === "call");
			assert.equal(calls.length, 2, JSON.stringify(records));
			assert.deepEqual([calls[0].dir, calls[0].by, calls[0].result, calls[0].account], ["in", "", "refused 486", "ip"], "the newest: refused under DND");
			assert.deepEqual([calls[1].dir, calls[1].by, calls[1].result], ["in", "station", "answered"]);
			assert.match(calls[1].from!, /^sipp <sipp@127\.0\.0\.1:\d+>$/, "who rang, without the tag");
			assert.ok(calls[1].dur! >= 1 && calls[1].dur! <= 3, "talked about a second: " + calls[1].dur);
		}
		finally {
			await station.stop();
		}
	});

	it("a power cut keeps every batch written; a clean stop keeps every record", async () => {
		let station = await startStation();
		let api = await admin(station.base);
		for (let i = 0; i < 10; i++)
			await api.request("POST", "/api/relays/1/open");
		// power cut: no chance to write what waits (8 records are one batch: those are in flash)
		station.child.kill("SIGKILL");
		await new Promise((r) => station.child.once("exit", r));
		station = await startStation({ state: station.state, sipPort: station.sipPort, httpPort: station.httpPort });
		api = await admin(station.base);
		assert.equal(((await api.request("GET", "/api/history?count=100")).data.records as Rec[]).length, 8, "the written batch survived, the 2 waiting records were lost");
		await api.request("POST", "/api/relays/1/open");
		await station.stop();
		station = await startStation({ state: station.state, sipPort: station.sipPort, httpPort: station.httpPort });
		try {
			api = await admin(station.base);
			assert.equal(((await api.request("GET", "/api/history?count=100")).data.records as Rec[]).length, 9, "a clean stop writes what waits");
		}
		finally {
			await station.stop();
		}
	});
});
