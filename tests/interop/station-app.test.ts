// The whole station (user agent + door logic + RTP) with real peers: a SIPp
// caller keys the door code as RFC 4733 events in RTP and relay 1 opens; the
// station's audio reaches the peer; a peer that vanishes is hung up on.
import { power } from "../lib/signal.js";
import dgram from "node:dgram";
import { writeRtpHeader } from "../../modules/media/rtp.js";
import { encode } from "../../modules/media/g711.js";
import assert from "node:assert/strict";
import { nodeClock } from "../../hosts/node/clock.js";
import { Listener, TCP, TLS, UDP } from "../../hosts/node/io.js";
import { nodeDns, nodeHash, nodeRandom } from "../../hosts/node/platform.js";
import { StationApp, type StationAppConfig } from "../../modules/station/app.js";
import { STATION_DEFAULTS } from "../../modules/station/config.js";
import type { Call } from "../../modules/sip/ua.js";
import { freePort } from "../node/helpers.js";
import { until } from "./station.js";
import { scenarioWith, sipp, withPeers } from "./peers.js";

let echoSink: ((frame: Int16Array) => void) | undefined;

/** The station trusts this machine's callers (the factory settings trust no one). */
const OPEN = { ...STATION_DEFAULTS, whitelist: ["127.0.0.1"] };


async function stationApp(overrides: Partial<StationAppConfig> = {}) {
	const relays: string[] = [];
	const sipPort = await freePort();
	const rtp = await freePort();
	const app = new StationApp({
		udp: UDP, tcp: TCP, listener: Listener, tls: TLS, clock: nodeClock, hash: nodeHash, random: nodeRandom, dns: nodeDns,
		relays: { set: (id, active) => relays.push(`relay ${id} ${active ? "on" : "off"}`) },
		speaker: () => (frame) => echoSink?.(frame),
		microphone: () => {
			let n = 0;
			return (frame) => { for (let i = 0; i < frame.length; i++, n++) frame[i] = Math.round(8000 * Math.sin(2 * Math.PI * 1000 * n / 8000)); };
		},
	}, {
		sipPort, bind: "127.0.0.1", host: "127.0.0.1", rtpPorts: { first: rtp - (rtp & 1), last: rtp + 20 }, rtpTimeout: 3000, accounts: [],
		station: { ...OPEN, relays: [{ id: 1, holdTime: 1, dtmfCode: "1" }], autoAnswerIp: { enabled: true, delay: 0.5, mode: "audio" } },
		...overrides,
	});
	const calls: Call[] = [];
	app.on((e) => { if (e.type === "call" && !calls.includes(e.call)) calls.push(e.call); });
	await Promise.all([(app.ua.stack.transport.udpSocket as UDP).ready, (app.ua.stack.transport.listenerSocket as Listener).ready]);
	app.start();
	return { app, sipPort, relays, calls };
}

describe("the station with real peers", function () {
	this.timeout(40000);
	const { running, started: apps } = withPeers<StationApp>((a) => a.stop());

	it("a SIPp caller is auto-answered and keys the door code in RTP (RFC 4733): relay 1 opens for its hold time", async () => {
		const { app, sipPort, relays, calls } = await stationApp();
		apps.push(app);
		const mediaPort = await freePort();
		const peer = sipp("uac-rtp-dtmf.xml", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-mp", String(mediaPort)]);
		running.push(peer);
		assert.equal(await peer.exited, 0, peer.output());
		assert.deepEqual(relays.slice(0, 1), ["relay 1 on"]);
		await until(() => relays.length === 2, 3000, () => relays.join());
		assert.equal(relays[1], "relay 1 off");
		assert.equal(calls[0].endReason, "remote");
	});

	it("a wrong code opens nothing; the door code opens relay 1 and the station hangs up after the configured time", async () => {
		const { app, sipPort, relays, calls } = await stationApp({ station: { ...OPEN, relays: [{ id: 1, holdTime: 1, dtmfCode: "#" }], hangUpAfterOpen: 1, autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } } });
		apps.push(app);
		const wrong: number[] = [];
		app.on((e) => { if (e.type === "wrong-code") wrong.push(e.count); });
		const peer = sipp("uac-codes-wait-bye.xml", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door"]);
		running.push(peer);
		assert.equal(await peer.exited, 0, peer.output());
		assert.deepEqual(wrong, [1], "the 9 was a wrong code");
		assert.equal(relays[0], "relay 1 on", "the # opened the door");
		assert.equal(calls[0].endReason, "local", "the station hung up (BYE)");
		assert.ok(calls[0].endedAt - calls[0].answeredAt >= 1000, "about 1 s after the door opened");
	});

	it("Max Call Time ends a call with BYE", async () => {
		const { app, sipPort, calls } = await stationApp({ station: { ...OPEN, maxCallTime: 2, autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } } });
		apps.push(app);
		const peer = sipp("uac-codes-wait-bye.xml", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door"]);
		running.push(peer);
		assert.equal(await peer.exited, 0, peer.output());
		assert.equal(calls[0].endReason, "local");
		const length = calls[0].endedAt - calls[0].answeredAt;
		assert.ok(length >= 1900 && length < 3000, "about 2 s, not " + length);
	});

	it("the station's audio reaches the peer and comes back: SIPp echoes our 1 kHz tone", async () => {
		const heard: number[] = [];
		const { app } = await stationApp();
		apps.push(app);
		const speaker = (frame: Int16Array) => { heard.push(...frame); };
		const sippPort = await freePort();
		const peer = sipp("uas", sippPort, undefined, ["-mp", String(await freePort()), "-rtp_echo"]);
		running.push(peer);
		await new Promise((r) => setTimeout(r, 300));
		echoSink = speaker;
		const call = app.ua.call("127.0.0.1:" + sippPort)!;
		await until(() => call.state === "answered", 10000, () => call.state);
		await until(() => heard.length >= 8000, 5000, () => "heard " + heard.length + " samples");
		call.hangup();
		assert.ok(power(heard, 1000) > 100 * power(heard, 600), "the echo carries our 1 kHz tone");
	});

	it("a peer that sends no RTP is hung up on after the RTP time-out", async () => {
		const { app, calls } = await stationApp({ rtpTimeout: 1500 });
		apps.push(app);
		const sippPort = await freePort();
		const peer = sipp("uas", sippPort, undefined, ["-mp", String(await freePort())]);
		running.push(peer);
		await new Promise((r) => setTimeout(r, 300));
		const call = app.ua.call("127.0.0.1:" + sippPort)!;
		await until(() => call.state === "answered", 10000, () => call.state);
		const answeredAt = Date.now();
		await until(() => call.state === "ended", 5000, () => call.state);
		const after = Date.now() - answeredAt;
		assert.ok(after >= 1400 && after < 3000, "ended after about 1.5 s, not " + after);
		assert.equal(call.endReason, "local");
		assert.equal(await peer.exited, 0, "SIPp got its BYE");
		assert.equal(calls.length, 1);
	});
});

describe("prevent SIP hacking", function () {
	this.timeout(30000);
	const { running, started: apps } = withPeers<StationApp>((a) => a.stop());

	it("with the whitelist on, an INVITE from an unknown source is refused 403 and nothing rings", async () => {
		const { app, sipPort, relays, calls } = await stationApp({ station: { ...OPEN, preventSipHacking: true, whitelist: ["192.0.2.99"] } });
		apps.push(app);
		const events: string[] = [];
		app.on((e) => events.push(e.type));
		const peer = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door"]);
		running.push(peer);
		const code = await peer.exited;
		assert.notEqual(code, 0, "the scanner's call failed");
		assert.match(peer.output(), /403|Unexpected|failed/i);
		assert.deepEqual(events.filter((e) => e !== "registration"), [], "no ringing, no call, no door event");
		assert.deepEqual(calls, []);
		assert.deepEqual(relays, []);
	});

	it("a whitelisted address gets through", async () => {
		const { app, sipPort, calls } = await stationApp({ station: { ...OPEN, preventSipHacking: true, whitelist: ["127.0.0.1"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } } });
		apps.push(app);
		const peer = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-d", "300"]);
		running.push(peer);
		assert.equal(await peer.exited, 0, peer.output());
		assert.equal(calls.length, 1);
	});
});

describe("the call button with SIPp callees", function () {
	this.timeout(40000);
	const { running, started: apps } = withPeers<StationApp>((a) => a.stop());

	it("multicast paging on real sockets: an RTP page sent to the group over loopback plays on the speaker", async () => {
		const group = { address: "239.255.42.1", port: await freePort(), priority: 1 };
		const heard: number[] = [];
		echoSink = (frame) => heard.push(...frame);
		const { app } = await stationApp({ paging: { groups: [group], barge: 0, priorityActive: true } });
		apps.push(app);
		const sender = dgram.createSocket("udp4");
		await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
		sender.setMulticastInterface("127.0.0.1");
		sender.setMulticastLoopback(true);
		try {
			await new Promise((r) => setTimeout(r, 200));
			const samples = new Int16Array(160);
			for (let i = 0; i < 50; i++) {
				for (let j = 0; j < 160; j++)
					samples[j] = Math.round(8000 * Math.sin(2 * Math.PI * 1000 * (i * 160 + j) / 8000));
				const packet = new Uint8Array(12 + 160);
				writeRtpHeader(packet, i === 0, 0, i + 1, i * 160, 0x1234);
				encode("PCMU", samples, packet.subarray(12));
				sender.send(packet, group.port, group.address);
				await new Promise((r) => setTimeout(r, 20));
			}
			await until(() => heard.length >= 160 * 40, 3000, () => "heard " + heard.length + " samples");
			assert.equal(app.paging?.playing?.address, group.address, "the group is playing");
			assert.ok(power(heard.slice(0, 160 * 40), 1000) > 10 * power(heard.slice(0, 160 * 40), 600), "a 1 kHz page was heard");
		}
		finally {
			sender.close();
			echoSink = undefined;
		}
	});

	it("group call: three SIPp UASs ring, the first to answer gets the call, the others are cancelled", async () => {
		const ports = [await freePort(), await freePort(), await freePort()];
		// the first answers after 1.5 s of ringing, the others would take 8 s
		const peers = [
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "1500" }), ports[0]),
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "8000" }), ports[1]),
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "8000" }), ports[2]),
		];
		running.push(...peers);
		const { app, calls } = await stationApp({ station: { ...OPEN, contacts: ports.map((p) => "127.0.0.1:" + p), callMode: "group" } });
		apps.push(app);
		await new Promise((r) => setTimeout(r, 300));
		app.station.pressInput(1);
		await until(() => calls.some((c) => c.state === "answered"), 10000, () => calls.map((c) => c.state).join());
		const winner = calls.find((c) => c.state === "answered")!;
		assert.equal(winner.remote, "<sip:127.0.0.1:" + ports[0] + ">");
		await until(() => calls.filter((c) => c.state === "ended").length === 2, 5000, () => calls.map((c) => c.state).join());
		// the cancelled ones saw CANCEL and answered 487
		assert.equal(await peers[1].exited, 0, peers[1].output());
		assert.equal(await peers[2].exited, 0, peers[2].output());
		winner.hangup();
		assert.equal(await peers[0].exited, 0, peers[0].output());
	});

	it("sequence call: the first callee times out and is cancelled, the next one answers", async () => {
		const ports = [await freePort(), await freePort()];
		const peers = [
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "8000" }), ports[0]),
			sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "500" }), ports[1]),
		];
		running.push(...peers);
		const { app, calls } = await stationApp({ station: { ...OPEN, contacts: ports.map((p) => "127.0.0.1:" + p), callMode: "sequence", sequenceTimeout: 2 } });
		apps.push(app);
		await new Promise((r) => setTimeout(r, 300));
		const pressed = Date.now();
		app.station.pressInput(1);
		await until(() => calls.some((c) => c.state === "answered"), 10000, () => calls.map((c) => c.state).join());
		assert.equal(calls.length, 2);
		assert.equal(calls[0].state, "ended");
		assert.equal(calls[1].remote, "<sip:127.0.0.1:" + ports[1] + ">");
		assert.ok(Date.now() - pressed >= 2000, "the second call only after the first one's time-out");
		assert.equal(await peers[0].exited, 0, peers[0].output());
		calls[1].hangup();
		assert.equal(await peers[1].exited, 0, peers[1].output());
	});
});
