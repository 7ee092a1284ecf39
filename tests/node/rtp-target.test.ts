// The station sends RTP only where it may: an untrusted caller's SDP that
// names a third party gets nothing until RTP arrives from there (RFC 4961);
// a trusted caller's SDP is followed as it is.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { StationApp } from "../../modules/station/app.js";
import { STATION_DEFAULTS } from "../../modules/station/config.js";
import { FakeUDP, lines } from "./fakes.js";

function invite(callId: string, from: string, media: string): string {
	const sdp = lines("v=0", `o=peer 1 1 IN IP4 ${media}`, "s=-", `c=IN IP4 ${media}`, "t=0 0", "m=audio 30000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "");
	return lines("INVITE sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK${callId}`, "Max-Forwards: 70",
		`From: <sip:x@${from}>;tag=c`, "To: <sip:door@192.0.2.10>", `Call-ID: ${callId}`, "CSeq: 1 INVITE", `Contact: <sip:x@${from}:5060>`,
		"Content-Type: application/sdp", `Content-Length: ${sdp.length}`, "", sdp);
}

describe("where RTP goes (fake timers)", () => {
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
	const rtpTo = (address: string) => FakeUDP.all.slice(1).reduce((n, s) => n + s.sent.filter((x) => x.address === address).length, 0);

	it("an untrusted caller whose SDP names a third party: nothing is sent there", () => {
		const { app, sip } = station();
		sip.deliver(invite("u1", "203.0.113.9", "198.51.100.77"), "203.0.113.9");
		assert.equal(app.ua.calls.length, 1);
		app.ua.calls[0].answer();	// answered by hand: auto-answer never answers a stranger
		clock.tick(30000);
		assert.equal(rtpTo("198.51.100.77"), 0, "no packet to the third party (before: 1,499 in 30 s)");
		app.stop();
	});

	it("an untrusted caller whose SDP names its own address gets the audio; a trusted caller's SDP is followed", () => {
		const a = station();
		a.sip.deliver(invite("u2", "203.0.113.9", "203.0.113.9"), "203.0.113.9");
		a.app.ua.calls[0].answer();
		clock.tick(1000);
		assert.equal(rtpTo("203.0.113.9"), 50);
		a.app.stop();
		const b = station();
		b.sip.deliver(invite("t1", "192.0.2.5", "192.0.2.77"), "192.0.2.5");
		clock.tick(0);
		assert.equal(b.app.ua.calls[0].state, "answered", "auto-answered: on the whitelist");
		clock.tick(1000);
		assert.equal(rtpTo("192.0.2.77"), 50);
		b.app.stop();
	});
});

describe("RTP ports", () => {
	it("a port another program holds is skipped: the SDP names the next free one, and the call's media binds it", () => {
		const taken = new Set([40000, 40002]);
		class BusyUDP extends FakeUDP {
			constructor(options: ConstructorParameters<typeof FakeUDP>[0]) {
				if (taken.has(options.port ?? 0))
					throw new Error("bind failed (in UDP)");	// as the SDK's sockets do
				super(options);
			}
		}
		let n = 0;
		FakeUDP.all = [];
		const clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] });
		try {
			const app = new StationApp({ udp: BusyUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"), relays: { set: () => {} } }, {
				sipPort: 5060, host: "192.0.2.10", rtpPorts: { first: 40000, last: 40100 }, rtpTimeout: 0, accounts: [],
				station: { ...STATION_DEFAULTS, whitelist: ["192.0.2.5"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } },
			});
			const sip = FakeUDP.all[0];
			sip.deliver(invite("p1", "192.0.2.5", "192.0.2.5"), "192.0.2.5");
			clock.tick(0);
			const ok = sip.messages().find((m) => m.status === 200)!;
			assert.match(new TextDecoder().decode(ok.body), /m=audio 40004 /);
			clock.tick(100);
			assert.ok(FakeUDP.all.some((s) => s.port === 40004 && !s.closed && s.sent.length > 0), "the media socket is on 40004");
			app.stop();
		}
		finally {
			clock.restore();
		}
	});
});
