// Calls with real peers on 127.0.0.1: SIPp calls the station and the station
// calls SIPp (with lost packets), INFO DTMF, video declined; baresip and the
// station call each other through Kamailio with digest on INVITE.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readWav } from "../../hosts/node/audio.js";
import { power } from "../lib/signal.js";
import { UserAgent, type UserAgentOptions, type Call } from "../../modules/sip/ua.js";
import { nodeClock } from "../../hosts/node/clock.js";
import { Listener, TCP, TLS, UDP } from "../../hosts/node/io.js";
import { nodeHash, nodeRandom, nodeDns } from "../../hosts/node/platform.js";
import { parseMessage } from "../../modules/sip/message.js";
import type { UDPOptions } from "../../modules/io/types.js";
import { freePort } from "../node/helpers.js";
import { until } from "./station.js";
import { type Running, baresip, installed, lossyRelay, sipp, withPeers } from "./peers.js";
import { type Kamailio, USERS, kamailioInstalled, startKamailio } from "./kamailio.js";

interface SentRecord { at: number; text: string }

/** The Node UDP class, recording what the station sends. */
function recordingUdp(sent: SentRecord[]) {
	return class extends UDP {
		constructor(options: UDPOptions) {
			super(options);
		}
		override write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void {
			const b = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
			sent.push({ at: Date.now(), text: Buffer.from(b).toString("latin1") });
			super.write(buffer, address, port);
		}
	};
}

async function station(overrides: Partial<UserAgentOptions> = {}) {
	const port = await freePort();
	const sent: SentRecord[] = [];
	const calls: Call[] = [];
	const dtmf: string[] = [];
	const ua = new UserAgent({
		udp: { io: recordingUdp(sent), port, address: "127.0.0.1" },
		listener: { io: Listener, port, address: "127.0.0.1" },
		tcp: { io: TCP }, tls: { io: TLS },
		clock: nodeClock, host: "127.0.0.1", hash: nodeHash, random: nodeRandom, dns: nodeDns,
		accounts: [],
		media: () => ({ address: "127.0.0.1", port: 40000, codecs: ["PCMU", "PCMA"], sessionId: "7", version: 1 }),
		onIncomingCall(call) { calls.push(call); call.ring(); call.answer(); },
		onDtmf(_call, digit) { dtmf.push(digit); },
		...overrides,
	});
	await Promise.all([(ua.stack.transport.udpSocket as UDP).ready, (ua.stack.transport.listenerSocket as Listener).ready]);
	return { ua, port, sent, calls, dtmf };
}

function sentOf(sent: SentRecord[], startLine: RegExp): SentRecord[] {
	return sent.filter((s) => startLine.test(s.text.slice(0, s.text.indexOf("\r\n"))));
}

describe("calls with SIPp", function () {
	this.timeout(40000);
	const { running, started: agents } = withPeers<UserAgent>((a) => a.stack.close());

	it("a SIPp UAC calls the station: answered, then ended by the caller's BYE", async () => {
		const s = await station();
		agents.push(s.ua);
		const peer = sipp("uac", await freePort(), "127.0.0.1:" + s.port, ["-s", "door", "-d", "300"]);
		running.push(peer);
		assert.equal(await peer.exited, 0, peer.output());
		assert.equal(s.calls.length, 1);
		await until(() => s.calls[0].state === "ended", 5000, () => s.calls[0].state);
		assert.equal(s.calls[0].endReason, "remote");
		assert.ok(s.calls[0].answeredAt > 0);
		assert.equal(s.calls[0].audio?.codec.name, "PCMU");
	});

	/** Call a SIPp UAS directly, dialling `host` and its port; answered, then hung up with BYE. */
	async function directCall(host: string): Promise<SentRecord[]> {
		const s = await station();
		agents.push(s.ua);
		const sippPort = await freePort();
		const peer = sipp("uas", sippPort);
		running.push(peer);
		await new Promise((r) => setTimeout(r, 300));
		const call = s.ua.call(host + ":" + sippPort)!;
		await until(() => call.state === "answered", 10000, () => call.state + " " + call.endReason);
		call.hangup();
		assert.equal(await peer.exited, 0, peer.output());
		return s.sent;
	}

	it("the station calls a SIPp UAS directly by IP and hangs up with BYE", async () => {
		const sent = await directCall("127.0.0.1");
		assert.equal(sentOf(sent, /^ACK /).length, 1);
		assert.equal(sentOf(sent, /^BYE /).length, 1);
	});

	it("keypad form 127*0*0*1 dials the same direct IP call", async () => {
		const sent = await directCall("127*0*0*1");
		assert.equal(sentOf(sent, /^ACK /).length, 1);
		assert.equal(sentOf(sent, /^BYE /).length, 1);
	});

	it("a lost INVITE is retransmitted after T1 (Timer A)", async () => {
		const s = await station();
		agents.push(s.ua);
		const sippPort = await freePort();
		const peer = sipp("uas", sippPort);
		running.push(peer);
		const relay = await lossyRelay(sippPort, /^INVITE /);
		try {
			await new Promise((r) => setTimeout(r, 300));
			const call = s.ua.call("127.0.0.1:" + relay.port)!;
			await until(() => call.state === "answered", 10000, () => call.state);
			call.hangup();
			assert.equal(await peer.exited, 0, peer.output());
		}
		finally {
			relay.close();
		}
		assert.equal(relay.dropped(), 1);
		const invites = sentOf(s.sent, /^INVITE /);
		assert.equal(invites.length, 2, "sent once, lost, sent again");
		const gap = invites[1].at - invites[0].at;
		assert.ok(gap >= 450 && gap < 800, "retransmitted after about 500 ms, not " + gap);
	});

	it("a lost 200 OK is retransmitted until the ACK comes (§13.3.1.4)", async () => {
		const s = await station();
		agents.push(s.ua);
		const relay = await lossyRelay(s.port, /^SIP\/2.0 200 /);
		const peer = sipp("uac-rport.xml", await freePort(), "127.0.0.1:" + relay.port, ["-s", "door"]);
		running.push(peer);
		try {
			assert.equal(await peer.exited, 0, peer.output());
		}
		finally {
			relay.close();
		}
		assert.equal(relay.dropped(), 1);
		const oks = sentOf(s.sent, /^SIP\/2.0 200 /).filter((r) => /CSeq: 1 INVITE/.test(r.text));
		assert.equal(oks.length, 2, "sent once, lost, sent again, then ACKed");
		const gap = oks[1].at - oks[0].at;
		assert.ok(gap >= 450 && gap < 800, "after about 500 ms, not " + gap);
		await until(() => s.calls[0]?.state === "ended", 5000, () => String(s.calls[0]?.state));
	});

	it("DTMF by SIP INFO reaches the station; offered video is declined with port 0", async () => {
		const s = await station();
		agents.push(s.ua);
		const peer = sipp("uac-info-dtmf.xml", await freePort(), "127.0.0.1:" + s.port, ["-s", "door"]);
		running.push(peer);
		assert.equal(await peer.exited, 0, peer.output());
		assert.deepEqual(s.dtmf, ["1", "2", "3", "4"]);
		const ok = sentOf(s.sent, /^SIP\/2.0 200 /).find((r) => r.text.includes("m=audio"))!;
		const sdp = ok.text.slice(ok.text.indexOf("\r\n\r\n") + 4);
		assert.match(sdp, /m=audio 40000 RTP\/AVP 8 101\r\n/);
		assert.match(sdp, /m=video 0 RTP\/AVP 96\r\n/);
	});

	it("answers unknown methods, stray in-dialog requests and OPTIONS correctly", async () => {
		const s = await station();
		agents.push(s.ua);
		const send = async (text: string) => {
			const before = s.sent.length;
			const { default: dgram } = await import("node:dgram");
			const sock = dgram.createSocket("udp4");
			await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
			sock.send(Buffer.from(text), s.port, "127.0.0.1");
			await until(() => s.sent.length > before, 2000, () => "no answer");
			sock.close();
			return parseMessage(new Uint8Array(Buffer.from(s.sent[s.sent.length - 1].text, "latin1")));
		};
		const req = (method: string, toTag = "", extra: string[] = []) => [`${method} sip:door@127.0.0.1:${s.port} SIP/2.0`,
			`Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK${method}${Math.random()}`, "Max-Forwards: 70", "From: <sip:x@127.0.0.1>;tag=x1",
			`To: <sip:door@127.0.0.1>${toTag}`, `Call-ID: c${Math.random()}`, `CSeq: 1 ${method}`, ...extra, "Content-Length: 0", "", ""].join("\r\n");
		assert.equal((await send(req("MESSAGE"))).status, 405);
		assert.equal((await send(req("FOO"))).status, 501);
		assert.equal((await send(req("BYE", ";tag=nope"))).status, 481);
		assert.equal((await send(req("BYE"))).status, 481);
		const options = await send(req("OPTIONS"));
		assert.equal(options.status, 200);
		assert.match(options.header("Allow")!, /INVITE/);
		assert.equal((await send(req("INVITE", "", ["Require: 100rel"]))).status, 420);
	});
});

describe("calls through Kamailio with baresip", function () {
	this.timeout(60000);
	let kamailio: Kamailio | undefined;
	const running: Running[] = [];
	let ua: UserAgent | undefined;
	before(function () {
		if (!kamailioInstalled() || !installed("baresip", ["-h"])) {
			process.stdout.write("\n  interop: skipped: kamailio or baresip is not installed\n");
			this.skip();
		}
	});
	afterEach(async () => {
		for (const r of running.splice(0))
			await r.stop();
		ua?.stack.close();
		ua = undefined;
		await kamailio?.stop();
		kamailio = undefined;
	});

	async function setup() {
		const udpPort = await freePort();
		kamailio = await startKamailio({ udpPort, tcpPort: await freePort(), inviteAuth: true });
		const s = await station({
			accounts: [{ id: "1", enabled: true, user: "door", password: USERS.door, server: "127.0.0.1", port: udpPort, transport: "UDP", expires: 60 }],
		});
		ua = s.ua;
		s.ua.start();
		await until(() => s.ua.registrations[0].status.registered, 10000, () => JSON.stringify(s.ua.registrations[0].status));
		const phone = baresip({ user: "1001", password: USERS["1001"], registrar: "127.0.0.1:" + udpPort, port: await freePort() });
		running.push(phone);
		await until(() => /registered sip:1001@/.test(kamailio!.output()), 10000, () => phone.output());
		return { s, udpPort, phone };
	}

	it("the station calls a baresip phone through Kamailio, answering the 407 challenge", async () => {
		const { s } = await setup();
		const call = s.ua.call("1001")!;
		assert.equal(call.account, "1");
		await until(() => call.state === "answered", 15000, () => call.state + " " + call.endReason + " " + running[0].output().slice(-1500));
		assert.equal(sentOf(s.sent, /^INVITE /).filter((r) => /Proxy-Authorization: Digest /.test(r.text)).length, 1);
		call.hangup();
		await until(() => sentOf(s.sent, /^BYE /).length === 1, 5000, () => "no BYE");
	});

	it("a baresip phone hears the station's microphone: its recording holds our 1 kHz tone", async () => {
		const { s } = await setup();
		const call = s.ua.call("1001")!;
		await until(() => call.state === "answered", 15000, () => call.state);
		const { MediaSession } = await import("../../modules/media/session.js");
		let n = 0;
		const media = new MediaSession({
			udp: { io: UDP, port: 40000, address: "127.0.0.1" }, clock: nodeClock,
			remote: { address: call.audio!.remoteAddress, port: call.audio!.remotePort },
			codec: { payloadType: call.audio!.codec.payloadType, name: call.audio!.codec.name }, random: () => 12345,
			source: (frame) => { for (let i = 0; i < frame.length; i++, n++) frame[i] = Math.round(8000 * Math.sin(2 * Math.PI * 1000 * n / 8000)); },
		});
		media.start();
		await new Promise((r) => setTimeout(r, 2000));
		media.stop();
		call.hangup();
		await new Promise((r) => setTimeout(r, 500));
		// baresip's sndfile module writes what it decoded to dump-<call>-dec.wav
		const dump = readdirSync(running[0].dir).find((f) => f.endsWith("-dec.wav"));
		assert.ok(dump, "no recording in " + readdirSync(running[0].dir).join(", "));
		const samples = readWav(join(running[0].dir, dump));
		assert.ok(samples.length > 4000, "baresip recorded " + samples.length + " samples");
		assert.ok(power(samples, 1000) > 20 * power(samples, 600), "what baresip heard is our 1 kHz tone");
	});

	it("a baresip phone calls the station through Kamailio and the station answers", async () => {
		const { s, udpPort } = await setup();
		const caller = baresip({ user: "1002", password: USERS["1002"], registrar: "127.0.0.1:" + udpPort, port: await freePort(), commands: ["/dial sip:door@127.0.0.1:" + udpPort] });
		running.push(caller);
		await until(() => s.calls.length === 1 && s.calls[0].state === "answered", 20000, () => caller.output() + kamailio!.output().slice(-800));
		assert.match(s.calls[0].remote, /1002/);
	});
});
