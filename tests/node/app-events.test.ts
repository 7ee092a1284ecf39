// The station's listeners (log, history, MQTT, action URLs) hear of what a
// SIP message did once the responses to it have gone out: an auto-answered
// caller does not wait for the station's log lines and records. Each call
// event carries the state it was sent in, in order, although the call has
// moved on by the time the listeners run.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { type AppEvent, StationApp } from "../../modules/station/app.js";
import { STATION_DEFAULTS } from "../../modules/station/config.js";
import { FakeUDP, lines } from "./fakes.js";

function invite(callId: string, from: string): string {
	const sdp = lines("v=0", `o=peer 1 1 IN IP4 ${from}`, "s=-", `c=IN IP4 ${from}`, "t=0 0", "m=audio 30000 RTP/AVP 0", "");
	return lines("INVITE sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK${callId}`, "Max-Forwards: 70",
		`From: <sip:x@${from}>;tag=c`, "To: <sip:door@192.0.2.10>", `Call-ID: ${callId}`, "CSeq: 1 INVITE", `Contact: <sip:x@${from}:5060>`,
		"Content-Type: application/sdp", `Content-Length: ${sdp.length}`, "", sdp);
}

describe("the station's listeners", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	function station() {
		let n = 0;
		FakeUDP.all = [];
		const app = new StationApp({ udp: FakeUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"), relays: { set: () => {} } }, {
			sipPort: 5060, host: "192.0.2.10", rtpPorts: { first: 40000, last: 40100 }, rtpTimeout: 0, accounts: [],
			station: { ...STATION_DEFAULTS, whitelist: ["192.0.2.5"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } },
		});
		return { app, sip: FakeUDP.all[0] };
	}

	it("hear an auto-answered call after its 200 has gone, with each state in order, before the receive ends", () => {
		const { app, sip } = station();
		const heard: string[] = [];
		const statuses = () => sip.sent.map((s) => new TextDecoder().decode(s.bytes).split("\r\n")[0]);
		app.on((e: AppEvent) => {
			if (e.type === "call" || e.type === "ringing")
				heard.push(`${e.type}${e.type === "call" ? " " + e.state : ""} (sent: ${statuses().join(", ")})`);
		});
		sip.deliver(invite("a1", "192.0.2.5"), "192.0.2.5");
		assert.deepEqual(heard, [
			"call calling (sent: SIP/2.0 200 OK)",
			"call ringing (sent: SIP/2.0 200 OK)",
			"ringing (sent: SIP/2.0 200 OK)",
			"call answered (sent: SIP/2.0 200 OK)",
		]);
		assert.equal(app.ua.calls[0].state, "answered");
		app.stop();
	});

	it("hear what happens outside a SIP receive at once", () => {
		const { app, sip } = station();
		sip.deliver(invite("a2", "192.0.2.5"), "192.0.2.5");
		const heard: string[] = [];
		app.on((e: AppEvent) => heard.push(e.type === "call" ? "call " + e.state : e.type));
		app.ua.calls[0].hangup();	// from the page or a timer: no message is being handled
		assert.deepEqual(heard, ["call ended"]);
		app.stop();
	});

	it("a listener that throws is logged and the others still hear", () => {
		const logged: string[] = [];
		let n = 0;
		FakeUDP.all = [];
		const app = new StationApp({ udp: FakeUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"), relays: { set: () => {} }, log: (l) => logged.push(l) }, {
			sipPort: 5060, host: "192.0.2.10", rtpPorts: { first: 40000, last: 40100 }, rtpTimeout: 0, accounts: [],
			station: { ...STATION_DEFAULTS, whitelist: ["192.0.2.5"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } },
		});
		const heard: string[] = [];
		app.on(() => { throw new Error("listener broke"); });
		app.on((e: AppEvent) => heard.push(e.type === "call" ? "call " + e.state : e.type));
		FakeUDP.all[0].deliver(invite("a3", "192.0.2.5"), "192.0.2.5");
		assert.deepEqual(heard, ["call calling", "call ringing", "ringing", "call answered"]);
		assert.ok(logged.some((l) => /listener broke/.test(l)), logged.join("\n"));
		app.stop();
	});
});
