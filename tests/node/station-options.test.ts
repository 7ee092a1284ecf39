// `npm start` (the Node host) answers OPTIONS over UDP and TCP, refuses what
// it does not serve, and survives garbage. Real sockets on 127.0.0.1.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { type AdminClient, admin, freePort, openToLocalCallers, startStation } from "./helpers.js";
import { installed, scenarioWith, sipp } from "../interop/peers.js";
import { parseMessage } from "../../modules/sip/message.js";

function request(method: string, port: number, transport: string, extra: string[] = []): Buffer {
	return Buffer.from([
		`${method} sip:door@127.0.0.1:${port} SIP/2.0`,
		`Via: SIP/2.0/${transport} 127.0.0.1:9;branch=z9hG4bK${method}${Date.now()};rport`,
		"Max-Forwards: 70",
		"From: <sip:tester@127.0.0.1>;tag=t1",
		`To: <sip:door@127.0.0.1:${port}>`,
		`Call-ID: ${method}-${Math.random()}`,
		`CSeq: 1 ${method}`,
		...extra,
		"Content-Length: 0", "", ""].join("\r\n"));
}

function udpExchange(port: number, data: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
	return new Promise((resolve) => {
		const s = dgram.createSocket("udp4");
		const timer = setTimeout(() => { s.close(); resolve(undefined); }, timeoutMs);
		s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m); });
		s.bind(0, "127.0.0.1", () => s.send(data, port, "127.0.0.1"));
	});
}

describe("npm start: the station on Node", function () {
	this.timeout(30000);
	let station: Awaited<ReturnType<typeof startStation>>;
	let port: number;
	let api: AdminClient;

	before(async () => {
		station = await startStation();
		port = station.sipPort;
		api = await admin(station.base);
		await openToLocalCallers(api);
	});
	after(async () => {
		await station?.stop();
	});

	it("answers OPTIONS over UDP with 200, its capabilities, and rport/received (RFC 3581)", async () => {
		const reply = await udpExchange(port, request("OPTIONS", port, "UDP"));
		assert.ok(reply, "no answer");
		const m = parseMessage(new Uint8Array(reply));
		assert.equal(m.status, 200);
		assert.equal(m.header("Allow"), "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE");
		assert.ok(m.toTag());
		const via = m.topVia();
		assert.ok(via.rport! > 0, "rport filled in");

	});

	it("answers OPTIONS over TCP, pipelined, and answers a CRLFCRLF ping with CRLF", async () => {
		const socket = net.connect(port, "127.0.0.1");
		let received = Buffer.alloc(0);
		socket.on("data", (d) => { received = Buffer.concat([received, d]); });
		await new Promise((r) => socket.once("connect", r));
		socket.write(Buffer.concat([request("OPTIONS", port, "TCP"), Buffer.from("\r\n\r\n"), request("OPTIONS", port, "TCP")]));
		const deadline = Date.now() + 3000;
		while ((received.toString().match(/SIP\/2.0 200/g) ?? []).length < 2 && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 20));
		socket.destroy();
		assert.equal((received.toString().match(/SIP\/2.0 200 OK/g) ?? []).length, 2);
		assert.ok(received.toString().includes("Content-Length: 0\r\n\r\n\r\n"), "the pong between the answers");
	});

	it("refuses a method it does not serve with 405 and Allow", async () => {
		const m = parseMessage(new Uint8Array((await udpExchange(port, request("MESSAGE", port, "UDP")))!));
		assert.equal(m.status, 405);
		assert.match(m.header("Allow")!, /^INVITE, /);
	});

	it("answers a malformed request 400 with the reason, and ignores garbage", async () => {
		const bad = await udpExchange(port, request("OPTIONS", port, "UDP", ["Max-Forwards: 999"]));
		const m = parseMessage(new Uint8Array(bad!));
		assert.equal(m.status, 400);
		assert.equal(m.reason, "Multiple Max-Forwards headers");
		assert.equal(await udpExchange(port, Buffer.from([0, 1, 2, 255, 13, 10]), 300), undefined);
		const after = await udpExchange(port, request("OPTIONS", port, "UDP"));
		assert.ok(after, "still answering after garbage");
	});

	it("GET /api/status shows registrations, calls and relays; POST /api/relays/1/open releases relay 1", async () => {
		const before = (await api.request("GET", "/api/status")).data as { relays: Array<{ id: number; active: boolean }>; calls: unknown[]; registrations: unknown[] };
		assert.deepEqual(before.relays, [{ id: 1, active: false }]);
		assert.deepEqual(before.calls, []);
		const open = await api.request("POST", "/api/relays/1/open");
		assert.equal(open.status, 200);
		const after = (await api.request("GET", "/api/status")).data as { relays: Array<{ id: number; active: boolean }>; log: string[]; journals: { waiting: number } };
		assert.deepEqual(after.relays, [{ id: 1, active: true }]);
		assert.ok(after.log.some((l) => l.includes("door 1 opened by api")));
		// the door's log line and history record wait for their write to flash (a batch, or a minute)
		assert.ok(after.journals.waiting >= 1, JSON.stringify(after.journals));
	});

	it("refuses bad API requests with a status and the field's allowed values", async () => {
		const bad = await api.request("POST", "/api/relays/9/open");
		assert.equal(bad.status, 400);
		assert.deepEqual(bad.data, { error: "relay must be one of 1" });
		const call = await api.request("POST", "/api/call", {});
		assert.equal(call.status, 400);
		assert.match(call.data.error, /^number must be/);
		assert.equal((await api.request("POST", "/api/call", "not json")).status, 400);
		const input = await api.request("POST", "/api/inputs/7/press");
		assert.equal(input.status, 400);
		assert.deepEqual(input.data, { error: "input must be one of 1, 2, 3" });
		assert.equal((await api.request("GET", "/api/nothing")).status, 404);
		assert.equal((await api.request("DELETE", "/api/status")).status, 405);
	});

	it("a SIPp caller is auto-answered and its INFO door code releases relay 1 (seen in /api/status)", async function () {
		if (!installed("sipp"))
			this.skip();
		await new Promise((r) => setTimeout(r, 3100));	// relay 1 from the previous test has closed again
		const peer = sipp("uac-info-dtmf.xml", await freePort(), "127.0.0.1:" + port, ["-s", "door"]);
		let sawOpen = false;
		const poll = setInterval(async () => {
			try {
				const s = (await api.request("GET", "/api/status")).data as { relays: Array<{ active: boolean }> };
				sawOpen ||= s.relays[0].active;
			}
			catch { /* the station is busy */ }
		}, 50);
		const code = await peer.exited;
		clearInterval(poll);
		assert.equal(code, 0, peer.output());
		// the station writes its log lines once per turn: give the line the time to cross the pipe
		for (let i = 0; i < 40 && !station.output().includes("door 1 opened by dtmf"); i++)
			await new Promise((r) => setTimeout(r, 50));
		assert.ok(sawOpen || station.output().includes("door 1 opened by dtmf"), "relay 1 released");
		assert.match(station.output(), /door 1 opened by dtmf/);
	});

	it("the call button, configured over the API and pressed through it, group-calls three SIPp phones: the first to answer wins, the others get CANCEL", async function () {
		if (!installed("sipp"))
			this.skip();
		const ports = [await freePort(), await freePort(), await freePort()];
		const peers = [
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "1500" }), ports[0]),
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "8000" }), ports[1]),
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "8000" }), ports[2]),
		];
		try {
			const set = await api.request("PUT", "/api/config", { station: { contacts: ports.map((p) => "127.0.0.1:" + p), callMode: "group" } });
			assert.equal(set.status, 200, JSON.stringify(set.data));
			await new Promise((r) => setTimeout(r, 300));
			assert.equal((await api.request("POST", "/api/inputs/1/press")).status, 200);
			type Status = { calls: Array<{ remote: string; state: string }> };
			let status: Status = { calls: [] };
			for (const deadline = Date.now() + 10000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
				status = (await api.request("GET", "/api/status")).data as Status;
				if (status.calls.length === 1 && status.calls[0].state === "answered")
					break;
			}
			assert.deepEqual(status.calls.map((c) => [c.remote, c.state]), [["<sip:127.0.0.1:" + ports[0] + ">", "answered"]], "one call left: the first to answer");
			assert.equal(await peers[1].exited, 0, peers[1].output());
			assert.equal(await peers[2].exited, 0, peers[2].output());
			assert.equal((await api.request("POST", "/api/hangup")).data.ended, 1);
			assert.equal(await peers[0].exited, 0, peers[0].output());
			for (const p of ports.slice(1))
				assert.match(station.output(), new RegExp(`portier: call outgoing <sip:127\\.0\\.0\\.1:${p}> ended \\(local\\)`), "cancelled");
		}
		finally {
			for (const p of peers)
				await p.stop();
		}
	});
});
