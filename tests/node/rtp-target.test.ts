// The station sends RTP only where it may: an untrusted caller's SDP that
// names a third party gets nothing until RTP arrives from there (RFC 4961);
// a trusted caller's SDP is followed as it is.
import assert from "node:assert/strict";
import sinon from "sinon";
import { FakeUDP, directInvite as invite, whitelistedStation as station } from "./fakes.js";

describe("where RTP goes (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

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
		const clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] });
		try {
			const { app, sip } = station({ udp: BusyUDP });
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
