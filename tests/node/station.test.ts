// The door logic on the real user agent, a fake UDP socket and fake timers:
// auto-answer, DTMF door codes and relays, wrong codes, limits, DND, the call
// button's single, group and sequence calls, push to hang up.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { UserAgent } from "../../modules/sip/ua.js";
import type { SipMessage } from "../../modules/sip/message.js";
import { Station, type StationEvent, inWindow } from "../../modules/station/station.js";
import { STATION_DEFAULTS, type StationConfig } from "../../modules/station/config.js";
import { FakeUDP, lines } from "./fakes.js";
import { allowedAddress } from "../../modules/station/trust.js";

const SDP = lines("v=0", "o=peer 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 30000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "");
let n = 0;

/**
 * The station as an installer opens it to the test's caller (192.0.2.1):
 * that address on the whitelist, direct IP calls auto-answered at once, a
 * door code on relay 1 (the factory settings have none and trust no one).
 */
const OPEN: StationConfig = { ...STATION_DEFAULTS, whitelist: ["192.0.2.1"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" }, relays: [{ id: 1, holdTime: 3, dtmfCode: "#" }] };

function setup(config: Partial<StationConfig> = {}, httpGet?: (url: string) => void, log?: (line: string) => void) {
	const relayLog: string[] = [];
	const events: StationEvent[] = [];
	let station!: Station;
	const ua = new UserAgent({
		udp: { io: FakeUDP, port: 5060 }, clock: nodeClock, host: "192.0.2.10", hash: nodeHash,
		random: () => (++n).toString(16).padStart(16, "0"), accounts: [],
		media: () => ({ address: "192.0.2.10", port: 40000, codecs: ["PCMU"], sessionId: "1", version: 1 }),
		onIncomingCall: (call) => station.incomingCall(call),
		onCallState: (call) => station.callState(call),
		onDtmf: (call, key) => station.dtmf(call, key),
		// as the station app wires it: the whitelist says which direct callers are trusted
		trusted: (_request, source) => allowedAddress(station.config.whitelist, source.address, "1003"),
	});
	station = new Station({
		dialer: ua, clock: nodeClock,
		relays: { set: (id, active) => relayLog.push(`${Date.now()} relay ${id} ${active ? "on" : "off"}`) },
		config: { ...OPEN, ...config },
		onEvent: (e) => events.push(e),
		httpGet,
		log,
	});
	return { ua, station, udp: FakeUDP.last!, relayLog, events };
}

function invite(callId: string, from = "192.0.2.1"): string {
	return lines("INVITE sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK${callId}`, "Max-Forwards: 70",
		"From: <sip:1003@192.0.2.1>;tag=caller", "To: <sip:door@192.0.2.10>", `Call-ID: ${callId}`, "CSeq: 1 INVITE",
		"Contact: <sip:1003@192.0.2.1:5060>", "Content-Type: application/sdp", `Content-Length: ${SDP.length}`, "", SDP);
}

function info(callId: string, toTag: string, cseq: number, key: string): string {
	const body = `Signal=${key}\r\nDuration=160\r\n`;
	return lines("INFO sip:door@192.0.2.10:5060 SIP/2.0", `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinfo${cseq}${callId}`, "Max-Forwards: 70",
		"From: <sip:1003@192.0.2.1>;tag=caller", `To: <sip:door@192.0.2.10>;tag=${toTag}`, `Call-ID: ${callId}`, `CSeq: ${cseq} INFO`,
		"Content-Type: application/dtmf-relay", `Content-Length: ${body.length}`, "", body);
}

function ack(callId: string, toTag: string): string {
	return lines("ACK sip:door@192.0.2.10:5060 SIP/2.0", `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKack${callId}`, "Max-Forwards: 70",
		"From: <sip:1003@192.0.2.1>;tag=caller", `To: <sip:door@192.0.2.10>;tag=${toTag}`, `Call-ID: ${callId}`, "CSeq: 1 ACK", "Content-Length: 0", "", "");
}

function reply(request: SipMessage, status: number, tag: string, body = ""): string {
	const h = (x: string) => request.header(x)!;
	return lines(`SIP/2.0 ${status} X`, `Via: ${h("Via")}`, `From: ${h("From")}`, `To: ${h("To")}${status > 100 ? ";tag=" + tag : ""}`, `Call-ID: ${h("Call-ID")}`,
		`CSeq: ${h("CSeq")}`, `Contact: <sip:${tag}@${request.uriText.replace(/^sip:/, "")}>`, ...(body ? ["Content-Type: application/sdp"] : []), `Content-Length: ${body.length}`, "", body);
}

/** Deliver an INVITE and let the auto-answer (delay 0) fire; returns our tag from the 200. */
function answered(udp: FakeUDP, callId: string, clock: sinon.SinonFakeTimers): string {
	udp.deliver(invite(callId));
	clock.tick(0);
	const ok = udp.messages().find((m) => m.status === 200 && m.callId() === callId);
	assert.ok(ok, "answered");
	udp.deliver(ack(callId, ok.toTag()!));
	return ok.toTag()!;
}

const invites = (udp: FakeUDP) => udp.messages().filter((m) => m.method === "INVITE");
const sent = (udp: FakeUDP, method: string) => udp.messages().filter((m) => m.method === method);

describe("the door station (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	it("auto-answers a direct IP call after the configured delay", () => {
		const { udp, events } = setup({ autoAnswerIp: { enabled: true, delay: 2, mode: "audio" } });
		udp.deliver(invite("a1"));
		assert.equal(events[0].type, "ringing");
		assert.deepEqual(udp.messages().map((m) => m.status), [180], "the door rang while the INVITE was handled: no 100 Trying (§17.2.1)");
		clock.tick(1999);
		assert.equal(udp.messages().length, 1);
		clock.tick(1);
		assert.equal(udp.messages()[1].status, 200);
	});

	it("with delay 0 answers in the same receive as the INVITE, after the INVITE's handlers returned", () => {
		const { udp, events } = setup({ autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } });
		udp.deliver(invite("z1"));
		// no timer ran: the 200 left before deliver() returned, alone: no 100 or 180 before an answer in the same receive
		assert.deepEqual(udp.messages().map((m) => m.status), [200]);
		assert.deepEqual(events.map((e) => e.type), ["ringing"]);
	});

	it("calls that end faster than 64*T1 keep at most 8 ended dialogs (a panel's heap), and none once their time is up", () => {
		const { ua, udp } = setup({ autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } });
		for (let i = 0; i < 20; i++) {
			const id = "burst" + i;
			const tag = answered(udp, id, clock);
			udp.deliver(lines("BYE sip:door@192.0.2.10:5060 SIP/2.0", `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbye${id}`, "Max-Forwards: 70",
				"From: <sip:1003@192.0.2.1>;tag=caller", `To: <sip:door@192.0.2.10>;tag=${tag}`, `Call-ID: ${id}`, "CSeq: 2 BYE", "Content-Length: 0", "", ""));
			assert.ok(udp.messages().some((m) => m.status === 200 && m.callId() === id && m.cseq().method === "BYE"), "BYE answered " + id);
			clock.tick(1000);
		}
		assert.equal(ua.calls.length, 0);
		assert.equal(ua.dialogCount, 8, "the 8 newest ended dialogs are kept, not 20");
		clock.tick(64 * 500);
		assert.equal(ua.dialogCount, 0);
	});

	it("a DTMF door code opens its relay for the hold time; a wrong code does nothing", () => {
		const { udp, relayLog, events } = setup({ relays: [{ id: 1, holdTime: 5, dtmfCode: "1234" }, { id: 2, holdTime: 3, dtmfCode: "#" }] });
		const tag = answered(udp, "d1", clock);
		let cseq = 2;
		for (const k of "99")
			udp.deliver(info("d1", tag, cseq++, k));
		assert.deepEqual(relayLog, [], "a wrong code opens nothing");
		assert.equal(events.filter((e) => e.type === "wrong-code").length, 2);
		clock.tick(1000);
		for (const k of "1234")
			udp.deliver(info("d1", tag, cseq++, k));
		assert.deepEqual(relayLog, ["1000 relay 1 on"]);
		clock.tick(5000);
		assert.deepEqual(relayLog, ["1000 relay 1 on", "6000 relay 1 off"]);
		udp.deliver(info("d1", tag, cseq++, "#"));
		assert.equal(relayLog.at(-1), "6000 relay 2 on");
		assert.deepEqual(events.filter((e) => e.type === "door-opened").map((e) => (e as { relay: number }).relay), [1, 2]);
	});

	it("after too many wrong codes further keys are ignored", () => {
		const { udp, relayLog, events } = setup({ maxWrongCodes: 2 });
		const tag = answered(udp, "w1", clock);
		udp.deliver(info("w1", tag, 2, "1"));
		udp.deliver(info("w1", tag, 3, "2"));
		udp.deliver(info("w1", tag, 4, "#"));
		assert.deepEqual(relayLog, [], "the right code after two wrong ones is ignored");
		assert.equal(events.filter((e) => e.type === "wrong-code").length, 2);
		const other = setup({ maxWrongCodes: 3 });
		const t2 = answered(other.udp, "w2", clock);
		other.udp.deliver(info("w2", t2, 2, "1"));
		other.udp.deliver(info("w2", t2, 3, "#"));
		assert.equal(other.relayLog.length, 1, "within the limit the right code opens");
	});

	it("hangs up N seconds after the door opened, and at Max Call Time", () => {
		const a = setup({ hangUpAfterOpen: 3 });
		const tag = answered(a.udp, "h1", clock);
		clock.tick(10000);
		a.udp.deliver(info("h1", tag, 2, "#"));
		clock.tick(2999);
		assert.equal(sent(a.udp, "BYE").length, 0);
		clock.tick(1);
		assert.equal(sent(a.udp, "BYE").length, 1);
		const b = setup({ maxCallTime: 60 });
		answered(b.udp, "h2", clock);
		clock.tick(59999);
		assert.equal(sent(b.udp, "BYE").length, 0);
		clock.tick(1);
		assert.equal(sent(b.udp, "BYE").length, 1);
	});

	it("opening the door from the API also ends the call after the time-out", () => {
		const { udp, station } = setup({ hangUpAfterOpen: 2 });
		answered(udp, "o1", clock);
		assert.equal(station.openRelay(1, "api"), true);
		assert.equal(station.relayStates()[0].active, true);
		clock.tick(2000);
		assert.equal(sent(udp, "BYE").length, 1);
		assert.equal(station.openRelay(9, "api"), false, "unknown relay");
	});

	it("DND answers with its code and nothing rings", () => {
		const { udp, events } = setup({ dnd: { ...STATION_DEFAULTS.dnd, ip: { enabled: true, returnCode: 603 } } });
		udp.deliver(invite("n1"));
		assert.deepEqual(udp.messages().map((m) => m.status), [603]);
		assert.equal(events.length, 0);
	});

	it("an unanswered incoming call is refused at Dial In Time", () => {
		const { udp } = setup({ autoAnswerIp: { enabled: false, delay: 0, mode: "audio" }, dialInTime: 30 });
		udp.deliver(invite("i1"));
		clock.tick(30000);
		assert.equal(udp.messages().at(-1)!.status, 480);
	});

	it("call button, group call: all ring, the first to answer wins, the others are cancelled", () => {
		const { udp, station } = setup({ contacts: ["192.0.2.21", "192.0.2.22", "192.0.2.23"], callMode: "group" });
		station.press();
		const calls = invites(udp);
		assert.deepEqual(calls.map((m) => m.uriText), ["sip:192.0.2.21", "sip:192.0.2.22", "sip:192.0.2.23"]);
		for (const [i, m] of calls.entries())
			udp.deliver(reply(m, 180, "r" + i), `192.0.2.2${i + 1}`);
		udp.deliver(reply(calls[1], 200, "r1", SDP), "192.0.2.22");
		const cancels = sent(udp, "CANCEL");
		assert.deepEqual(cancels.map((m) => m.uriText).sort(), ["sip:192.0.2.21", "sip:192.0.2.23"]);
		assert.equal(sent(udp, "ACK").length, 1);
	});

	it("call button, sequence call: moves on after each time-out, and stops on refusal when so configured", () => {
		const a = setup({ contacts: ["192.0.2.31", "192.0.2.32", "192.0.2.33"], callMode: "sequence", sequenceTimeout: 10, whenRefused: "next" });
		a.station.press();
		assert.equal(invites(a.udp).length, 1);
		a.udp.deliver(reply(invites(a.udp)[0], 180, "s1"), "192.0.2.31");
		clock.tick(10000);	// no answer: CANCEL, then the next one
		assert.equal(sent(a.udp, "CANCEL").length, 1);
		assert.deepEqual(invites(a.udp).map((m) => m.uriText), ["sip:192.0.2.31", "sip:192.0.2.32"]);
		a.udp.deliver(reply(invites(a.udp)[1], 486, "s2"), "192.0.2.32");	// refused: next
		assert.deepEqual(invites(a.udp).map((m) => m.uriText), ["sip:192.0.2.31", "sip:192.0.2.32", "sip:192.0.2.33"]);
		const b = setup({ contacts: ["192.0.2.41", "192.0.2.42"], callMode: "sequence", whenRefused: "stop" });
		b.station.press();
		b.udp.deliver(reply(invites(b.udp)[0], 603, "x"), "192.0.2.41");
		assert.equal(invites(b.udp).length, 1, "stopped");
	});

	it("push to hang up ends a call, but not within its hold time", () => {
		const { udp, station } = setup({ contacts: ["192.0.2.51"], pushToHangUp: { enabled: true, holdTime: 5 } });
		station.press();
		udp.deliver(reply(invites(udp)[0], 200, "p1", SDP), "192.0.2.51");
		clock.tick(2000);
		station.press();
		assert.equal(sent(udp, "BYE").length, 0, "within the hold time");
		clock.tick(3000);
		station.press();
		assert.equal(sent(udp, "BYE").length, 1);
		assert.equal(invites(udp).length, 1, "pressing during a call does not dial");
	});

	it("inputs are debounced: a glitch does nothing, a held exit button releases its relay", () => {
		const { station, relayLog, events } = setup();
		station.input(2, 0);	// exit button, active low
		clock.tick(20);
		station.input(2, 1);	// bounced back within 50 ms
		clock.tick(100);
		assert.deepEqual(relayLog, []);
		station.input(2, 0);
		clock.tick(49);
		assert.deepEqual(relayLog, []);
		clock.tick(1);
		assert.equal(relayLog.length, 1);
		assert.ok(events.some((e) => e.type === "door-opened" && e.by === "input"));
		station.input(3, 1);	// door sensor, active high
		clock.tick(200);
		assert.ok(events.some((e) => e.type === "input" && e.input === 3 && e.active));
	});

	it("call schedules: inside a window the template's numbers ring together; outside, the first contact", () => {
		clock.setSystemTime(new Date(2026, 10, 23, 9, 30));	// a Monday, 09:30 local time
		const template = { name: "office", numbers: ["192.0.2.61", "192.0.2.62"], windows: [{ days: [1, 2, 3, 4, 5], start: 8 * 60, end: 18 * 60 }] };
		const inputs = [{ id: 1, kind: "call" as const, activeLevel: 0 as const, debounce: 50, relay: 0, template: "office" }];
		const a = setup({ contacts: ["192.0.2.70", "192.0.2.71"], callMode: "sequence", schedules: [template], inputs });
		a.station.pressInput(1);
		assert.deepEqual(invites(a.udp).map((m) => m.uriText), ["sip:192.0.2.61", "sip:192.0.2.62"]);
		clock.setSystemTime(new Date(2026, 10, 23, 19, 0));
		const b = setup({ contacts: ["192.0.2.70", "192.0.2.71"], callMode: "sequence", schedules: [template], inputs });
		b.station.pressInput(1);
		assert.deepEqual(invites(b.udp).map((m) => m.uriText), ["sip:192.0.2.70"], "no sequence call for a scheduled input");
	});

	it("schedule windows: weekdays, end exclusive, and windows past midnight", () => {
		const night = { name: "night", numbers: [], windows: [{ days: [5], start: 22 * 60, end: 6 * 60 }] };	// Friday 22:00 to Saturday 06:00
		assert.equal(inWindow(night, new Date(2026, 10, 27, 23, 0)), true, "Friday 23:00");
		assert.equal(inWindow(night, new Date(2026, 10, 28, 5, 59)), true, "Saturday 05:59");
		assert.equal(inWindow(night, new Date(2026, 10, 28, 6, 0)), false, "Saturday 06:00");
		assert.equal(inWindow(night, new Date(2026, 10, 27, 5, 0)), false, "Friday 05:00 belongs to Thursday");
	});

	it("push button action: GETs its URL and holds its relay until hang-up, or until the line connects", () => {
		const urls: string[] = [];
		const a = setup({ contacts: ["192.0.2.81"], pushButton: { httpUrl: "http://192.0.2.99/ring", relay: 0, reset: "hangup" } }, (u) => urls.push(u));
		a.station.press();
		assert.deepEqual(urls, ["http://192.0.2.99/ring"]);
		assert.deepEqual(a.relayLog, [], "no relay configured");
		const b = setup({ contacts: ["192.0.2.82"], pushButton: { httpUrl: "", relay: 1, reset: "hangup" } });
		b.station.press();
		assert.deepEqual(b.relayLog.map((l) => l.replace(/^\d+ /, "")), ["relay 1 on"]);
		const inv = invites(b.udp)[0];
		b.udp.deliver(reply(inv, 200, "c1", SDP), "192.0.2.82");
		assert.equal(b.relayLog.length, 1, "held while the call goes on");
		b.station.activeCalls[0].hangup();
		assert.deepEqual(b.relayLog.map((l) => l.replace(/^\d+ /, "")), ["relay 1 on", "relay 1 off"]);
		const c = setup({ contacts: ["192.0.2.83"], pushButton: { httpUrl: "", relay: 1, reset: "connected" } });
		c.station.press();
		c.udp.deliver(reply(invites(c.udp)[0], 200, "c2", SDP), "192.0.2.83");
		assert.deepEqual(c.relayLog.map((l) => l.replace(/^\d+ /, "")), ["relay 1 on", "relay 1 off"], "reset when the line connected");
	});

	it("switching DND dials the account's feature code and refuses calls with its code", () => {
		const { udp, station, events } = setup();
		const accounts = [{ id: "1", enabled: true, user: "door", password: "pw", server: "192.0.2.1", port: 5060, transport: "UDP" as const, expires: 300, keepAlive: 0 }];
		const b = (() => {
			let st!: Station;
			const agent = new UserAgent({
				udp: { io: FakeUDP, port: 5060 }, clock: nodeClock, host: "192.0.2.10", hash: nodeHash,
				random: () => (++n).toString(16).padStart(16, "0"), accounts,
				media: () => ({ address: "192.0.2.10", port: 40000, codecs: ["PCMU"], sessionId: "1", version: 1 }),
				onIncomingCall: (call) => st.incomingCall(call), onCallState: (call) => st.callState(call),
			});
			st = new Station({ dialer: agent, clock: nodeClock, relays: { set: () => {} }, config: { ...STATION_DEFAULTS, dnd: { ...STATION_DEFAULTS.dnd, "1": { enabled: false, returnCode: 480 } } } });
			return { agent, st, sock: FakeUDP.last! };
		})();
		b.agent.start();
		b.sock.deliver(reply(b.sock.messages()[0], 200, "reg"), "192.0.2.1");
		assert.equal(b.agent.registrations[0].status.registered, true);
		b.st.setDnd("1", true);
		const code = invites(b.sock)[0];
		assert.equal(code.uriText, "sip:78@192.0.2.1", "DND On Code dialled to the server");
		b.sock.deliver(reply(code, 200, "fc", SDP), "192.0.2.1");
		assert.equal(sent(b.sock, "BYE").length, 1, "the feature-code call ends once answered");
		b.sock.deliver(invite("dnd1", "192.0.2.1"), "192.0.2.1");
		assert.equal(b.sock.messages().at(-1)!.status, 480, "a call through account 1 gets the DND code");
		b.st.setDnd("1", false);
		assert.equal(invites(b.sock).at(-1)!.uriText, "sip:79@192.0.2.1");
		station.setDnd("ip", true);
		udp.deliver(invite("dnd2"));
		assert.equal(udp.messages().at(-1)!.status, 486, "direct IP calls: the default code");
		assert.ok(events.some((e) => e.type === "dnd"));
	});
});

describe("safe by default: who the door answers and opens for (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	function invitefrom(callId: string, address: string, sdp = true): string {
		const body = sdp ? SDP : "";
		return lines("INVITE sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP ${address}:5060;branch=z9hG4bK${callId}`, "Max-Forwards: 70",
			`From: <sip:scanner@${address}>;tag=caller`, "To: <sip:door@192.0.2.10>", `Call-ID: ${callId}`, "CSeq: 1 INVITE",
			`Contact: <sip:scanner@${address}:5060>`, ...(sdp ? ["Content-Type: application/sdp"] : []), `Content-Length: ${body.length}`, "", body);
	}

	it("factory settings: a direct call rings, is never answered, and is refused at Dial In Time", () => {
		const { udp, relayLog } = setup(STATION_DEFAULTS);
		udp.deliver(invite("f1"));
		clock.tick(59999);
		assert.deepEqual(udp.messages().map((m) => m.status), [180]);
		clock.tick(1);
		assert.deepEqual(udp.messages().map((m) => m.status), [180, 480]);
		assert.deepEqual(relayLog, []);
		assert.equal(STATION_DEFAULTS.relays[0].dtmfCode, "", "no door code until the installer chooses one");
		assert.equal(STATION_DEFAULTS.autoAnswerIp.enabled, false);
		assert.equal(STATION_DEFAULTS.dtmfFrom, "trusted");
	});

	it("auto-answer of direct calls only answers the whitelist (an address, user@address or a network)", () => {
		let i = 0;
		for (const [whitelist, answers] of [[[], false], [["192.0.2.1"], true], [["192.0.2.0/24"], true], [["1003@192.0.2.1"], true], [["1003"], false], [["198.51.100.0/24"], false]] as const) {
			const { udp } = setup({ whitelist: whitelist.slice() });
			udp.deliver(invite("w" + i++));
			clock.tick(0);
			assert.equal(udp.messages().some((m) => m.status === 200), answers, JSON.stringify(whitelist));
		}
	});

	it("an untrusted caller's door code opens nothing, unless DTMF door release is open to anyone", () => {
		for (const dtmfFrom of ["trusted", "anyone"] as const) {
			const { udp, ua, relayLog } = setup({ whitelist: [], dtmfFrom });
			udp.deliver(invite("u-" + dtmfFrom));
			const call = ua.calls[0];
			assert.equal(call.trusted, false);
			call.answer();	// answered by hand (the API, a test): still untrusted
			const ok = udp.messages().find((m) => m.status === 200)!;
			udp.deliver(ack("u-" + dtmfFrom, ok.toTag()!));
			udp.deliver(info("u-" + dtmfFrom, ok.toTag()!, 2, "#"));
			assert.equal(relayLog.length, dtmfFrom === "anyone" ? 1 : 0, dtmfFrom);
		}
	});

	it("a stranger's calls that auto-answer will not take are logged once, then counted", () => {
		const logged: string[] = [];
		const { udp, ua } = setup({ whitelist: [] }, undefined, (l) => logged.push(l));
		for (let i = 0; i < 30; i++) {
			udp.deliver(invitefrom("n" + i, "203.0.113.4"), "203.0.113.4");
			for (const call of ua.calls)
				call.hangup();
			// the caller ACKs our 480 (same branch, §17.1.1.3)
			const refusal = udp.messages().find((m) => m.callId() === "n" + i && m.status === 480)!;
			udp.deliver(lines("ACK sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP 203.0.113.4:5060;branch=z9hG4bKn${i}`, "Max-Forwards: 70",
				"From: <sip:scanner@203.0.113.4>;tag=caller", `To: <sip:door@192.0.2.10>;tag=${refusal.toTag()}`, `Call-ID: n${i}`, "CSeq: 1 ACK", "Content-Length: 0", "", ""), "203.0.113.4");
			clock.tick(1000);	// within the address's budget
		}
		assert.deepEqual(logged.filter((l) => l.indexOf("not auto-answered") >= 0), ["station: call from 203.0.113.4 not auto-answered: not on the whitelist"]);
		clock.tick(30000);
		assert.equal(logged.filter((l) => l.indexOf("not auto-answered") >= 0).at(-1), "station: call from 203.0.113.4 not auto-answered: not on the whitelist (29 more in 60 s)");
	});

	it("untrusted callers never take the last two call slots, and hold one call per address", () => {
		const { udp, ua } = setup({ whitelist: ["192.0.2.1"], autoAnswerIp: { enabled: false, delay: 0, mode: "audio" } });
		udp.deliver(invitefrom("s1", "203.0.113.1"), "203.0.113.1");
		udp.deliver(invitefrom("s2", "203.0.113.1"), "203.0.113.1");
		udp.deliver(invitefrom("s3", "203.0.113.2"), "203.0.113.2");
		udp.deliver(invitefrom("s4", "203.0.113.3"), "203.0.113.3");
		const finals = (id: string) => udp.messages().filter((m) => m.callId() === id && m.status >= 200).map((m) => m.status);
		assert.deepEqual([finals("s1"), finals("s2"), finals("s3"), finals("s4")], [[], [486], [], [486]]);
		assert.equal(ua.calls.length, 2);
		// the trusted caller still gets both remaining slots
		udp.deliver(invite("t1"));
		udp.deliver(lines(invite("t2").replace(/branch=z9hG4bKt2/, "branch=z9hG4bKt2b").replace("Call-ID: t2", "Call-ID: t2b")));
		assert.equal(ua.calls.length, 4);
		assert.equal(ua.calls.filter((c) => c.trusted).length, 2);
	});

	it("a call whose offer/answer never completes (no SDP in the INVITE nor in the ACK) ends with BYE at once", () => {
		const { udp, ua } = setup();
		udp.deliver(invitefrom("l1", "192.0.2.1", false));
		clock.tick(0);
		const ok = udp.messages().find((m) => m.status === 200)!;
		assert.ok(ok.body.length > 0, "our 200 carries the offer");
		assert.equal(ua.calls.length, 1);
		udp.deliver(ack("l1", ok.toTag()!));
		assert.equal(sent(udp, "BYE").length, 1);
		assert.equal(ua.calls.length, 0);
	});
});
