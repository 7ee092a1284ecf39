// The station's listeners (log, history, MQTT, action URLs) hear of what a
// SIP message did once the responses to it have gone out: an auto-answered
// caller does not wait for the station's log lines and records. Each call
// event carries the state it was sent in, in order, although the call has
// moved on by the time the listeners run.
import assert from "node:assert/strict";
import sinon from "sinon";
import type { AppEvent } from "../../modules/station/app.js";
import { directInvite, whitelistedStation as station } from "./fakes.js";

const invite = (callId: string, from: string) => directInvite(callId, from, from);

describe("the station's listeners", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

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
		const { app, sip } = station({ log: (l) => logged.push(l) });
		const heard: string[] = [];
		app.on(() => { throw new Error("listener broke"); });
		app.on((e: AppEvent) => heard.push(e.type === "call" ? "call " + e.state : e.type));
		sip.deliver(invite("a3", "192.0.2.5"), "192.0.2.5");
		assert.deepEqual(heard, ["call calling", "call ringing", "ringing", "call answered"]);
		assert.ok(logged.some((l) => /listener broke/.test(l)), logged.join("\n"));
		app.stop();
	});
});
