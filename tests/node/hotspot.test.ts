// The built-in server's calls on the real station (user agent, door logic,
// registrar, bridge) over a fake UDP socket and sinon's clock: units register
// with digest, the call button rings them at their contacts, first answer
// wins, ring modes for calls to the station's number, the PBX-outage fallback
// to the millisecond, bridging and its refusals.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { DigestClient } from "../../modules/sip/digest.js";
import { parseAuth } from "../../modules/sip/headers.js";
import { type SipMessage, parseMessage } from "../../modules/sip/message.js";
import { Registrar } from "../../modules/sip/registrar.js";
import type { AccountConfig } from "../../modules/sip/registration.js";
import { type ServerCalls, StationApp } from "../../modules/station/app.js";
import { STATION_DEFAULTS, type StationConfig } from "../../modules/station/config.js";
import { FakeUDP, lines } from "./fakes.js";

const STATION = "192.0.2.10";
const PBX = "192.0.2.99";
const UNIT_HOST = "192.0.2.50";
const SDP = lines("v=0", "o=unit 7 7 IN IP4 192.0.2.50", "s=-", "c=IN IP4 192.0.2.50", "t=0 0", "m=audio 31000 RTP/AVP 0", "");
const PW = (user: string) => "pw-" + user + "-x";
let n = 0;

function setup(o: { server?: Partial<ServerCalls>; station?: Partial<StationConfig>; accounts?: AccountConfig[] } = {}) {
	const app = new StationApp({
		udp: FakeUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"),
		relays: { set() {} },
	}, {
		sipPort: 5060, host: STATION, rtpPorts: { first: 40000, last: 40010 }, rtpTimeout: 0,
		accounts: o.accounts ?? [], station: { ...STATION_DEFAULTS, autoAnswerSip: { enabled: false, delay: 0, mode: "audio" }, ...o.station },
	});
	const udp = FakeUDP.last!;
	app.ua.registrar = new Registrar({
		clock: nodeClock, hash: nodeHash, random: () => "r" + (++n), realm: "door.local", limit: 3,
		subscribers: ["8001", "8002", "8003"].map((user) => ({ user, password: PW(user) })),
	});
	app.setServer({ ringMode: "all", groups: [{ number: "600", members: ["8002", "8003"] }], limit: 3, button: "units", fallback: 4, ...o.server });
	app.start();
	return { app, udp };
}

const portOf = (user: string) => 6000 + Number(user.slice(-1));

function register(udp: FakeUDP, user: string, authorization?: string): void {
	udp.deliver(lines(`REGISTER sip:door.local SIP/2.0`, `Via: SIP/2.0/UDP ${UNIT_HOST}:${portOf(user)};branch=z9hG4bKreg${++n}`, "Max-Forwards: 70",
		`From: <sip:${user}@door.local>;tag=f${user}`, `To: <sip:${user}@door.local>`, `Call-ID: reg-${user}`, `CSeq: ${n} REGISTER`,
		`Contact: <sip:${user}@${UNIT_HOST}:${portOf(user)}>`, "User-Agent: Fanvil i10 2.12.1 0c383e3daf1" + user.slice(-1), ...(authorization ? [`Authorization: ${authorization}`] : []), "Content-Length: 0", "", ""), UNIT_HOST, portOf(user));
}

/** The credentials for the last challenge the station sent (401 or 407). */
function credentials(udp: FakeUDP, user: string, method: string, uri: string): string {
	const challenge = udp.messages().filter((m) => m.status === 401 || m.status === 407).at(-1)!;
	const value = new TextEncoder().encode(challenge.header(challenge.status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate")!);
	const client = new DigestClient({ hash: nodeHash, random: () => "cn" + user });
	assert.ok(client.challenge(parseAuth(value, 0, value.length, "WWW-Authenticate")));
	return client.authorize("door.local", { username: user, password: PW(user) }, { method, uri })!;
}

function registerUnit(udp: FakeUDP, user: string): void {
	register(udp, user);
	register(udp, user, credentials(udp, user, "REGISTER", "sip:door.local"));
	assert.equal(udp.messages().at(-1)!.status, 200, user + " registered");
}

/** An answer from a unit (or the PBX) to a request the station sent it. */
function answer(request: SipMessage, status: number, tag: string, body = ""): string {
	const h = (x: string) => request.header(x)!;
	return lines(`SIP/2.0 ${status} X`, `Via: ${h("Via")}`, `From: ${h("From")}`, `To: ${h("To")}${status > 100 ? ";tag=" + tag : ""}`, `Call-ID: ${h("Call-ID")}`,
		`CSeq: ${h("CSeq")}`, `Contact: <sip:${tag}@${UNIT_HOST}:${6000 + Number(tag.slice(-1))}>`, ...(body ? ["Content-Type: application/sdp"] : []), `Content-Length: ${body.length}`, "", body);
}

/** Requests of a method the station sent to a port (keep-alives left out). */
const sentTo = (udp: FakeUDP, port: number, method: string) => udp.sent.filter((s) => s.port === port && s.bytes.length > 4).map((s) => parseMessage(s.bytes)).filter((m) => m.method === method);
/** Distinct calls (Call-IDs) the station placed to a port: retransmissions count once. */
const callsTo = (udp: FakeUDP, port: number) => new Set(sentTo(udp, port, "INVITE").map((m) => m.callId())).size;

describe("built-in server calls (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 1000000, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	it("the call button rings every registered unit at the contact it registered; the first 200 wins and the others get CANCEL", () => {
		const { app, udp } = setup();
		for (const u of ["8001", "8002", "8003"])
			registerUnit(udp, u);
		assert.ok(app.station.pressInput(1));
		clock.tick(0);
		const invites = ["8001", "8002", "8003"].map((u) => sentTo(udp, portOf(u), "INVITE")[0]);
		assert.deepEqual(invites.map((i) => i?.uriText), ["sip:8001@192.0.2.50:6001", "sip:8002@192.0.2.50:6002", "sip:8003@192.0.2.50:6003"]);
		assert.match(invites[0].header("From")!, /<sip:0@192\.0\.2\.10>/, "from the station's extension");
		for (const [i, inv] of invites.entries())
			udp.deliver(answer(inv, 180, "unit" + (i + 1)), UNIT_HOST, portOf(inv.uriText.slice(4, 8)));
		udp.deliver(answer(invites[1], 200, "unit2", SDP), UNIT_HOST, 6002);
		assert.equal(sentTo(udp, 6002, "ACK").length, 1);
		assert.equal(sentTo(udp, 6001, "CANCEL").length, 1);
		assert.equal(sentTo(udp, 6003, "CANCEL").length, 1);
		assert.equal(sentTo(udp, 6002, "CANCEL").length, 0);
		const answered = app.ua.calls.filter((c) => c.state === "answered");
		assert.deepEqual(answered.map((c) => c.subscriber), ["8002"]);
		assert.ok(answered[0].audio, "the winner's call has the station's audio");
	});

	it("a remote reboot of a unit: NOTIFY with Event: check-sync;reboot=true at its contact", () => {
		const { app, udp } = setup();
		registerUnit(udp, "8002");
		app.ua.checkSync(app.ua.registrar!.lookup("8002")!);
		const notify = sentTo(udp, 6002, "NOTIFY")[0];
		assert.ok(notify, "NOTIFY sent to the unit");
		assert.equal(notify.uriText, "sip:8002@192.0.2.50:6002");
		assert.equal(notify.header("Event"), "check-sync;reboot=true");
		assert.equal(notify.header("Subscription-State"), "terminated");
	});

	it("a unit that refuses stops nothing, even with \"when refused: stop\": the others ring on", () => {
		const { app, udp } = setup({ station: { whenRefused: "stop" } });
		registerUnit(udp, "8001");
		registerUnit(udp, "8002");
		app.station.pressInput(1);
		clock.tick(0);
		const first = sentTo(udp, 6001, "INVITE")[0];
		udp.deliver(answer(first, 486, "unit1"), UNIT_HOST, 6001);
		assert.equal(sentTo(udp, 6002, "CANCEL").length, 0);
		assert.equal(app.ua.calls.length, 1);
	});

	it("PBX outage: the contacts' server silent for the fallback time, the units ring then and not before", () => {
		const { app, udp } = setup({
			server: { button: "contacts", fallback: 4 }, station: { contacts: ["1001"] },
			accounts: [{ id: "1", enabled: true, user: "door", password: "pw", server: PBX, port: 5060, transport: "UDP", expires: 300, keepAlive: 0 }],
		});
		const reg = udp.messages().find((m) => m.method === "REGISTER")!;
		udp.deliver(answer(reg, 200, "pbx1"), PBX, 5060);
		assert.ok(app.ua.registrations[0].status.registered);
		registerUnit(udp, "8001");
		app.station.pressInput(1);
		clock.tick(0);
		assert.equal(udp.sent.filter((s) => s.address === PBX).length > 0, true);
		assert.equal(sentTo(udp, 6001, "INVITE").length, 0, "the contact is called first");
		clock.tick(3999);
		assert.equal(sentTo(udp, 6001, "INVITE").length, 0);
		clock.tick(1);
		assert.equal(sentTo(udp, 6001, "INVITE").length, 1, "after 4 s of silence the unit rings");
	});

	it("PBX outage: a server that answers (100 Trying) keeps the call; no account registered: the units ring at once", () => {
		const { app, udp } = setup({
			server: { button: "contacts", fallback: 4 }, station: { contacts: ["1001"] },
			accounts: [{ id: "1", enabled: true, user: "door", password: "pw", server: PBX, port: 5060, transport: "UDP", expires: 300, keepAlive: 0 }],
		});
		registerUnit(udp, "8001");
		app.station.pressInput(1);
		clock.tick(0);
		assert.equal(sentTo(udp, 6001, "INVITE").length, 1, "Account 1 is not registered: nothing to call the contact with");
		app.ua.hangup(app.ua.calls[0], "local");
		const reg = udp.messages().find((m) => m.method === "REGISTER")!;
		udp.deliver(answer(reg, 200, "pbx1"), PBX, 5060);
		app.station.pressInput(1);
		clock.tick(0);
		const invite = udp.messages().filter((m) => m.method === "INVITE" && m.uriText === "sip:1001@" + PBX).at(-1)!;
		udp.deliver(answer(invite, 100, "pbx"), PBX, 5060);
		clock.tick(10000);
		assert.equal(callsTo(udp, 6001), 1, "no second ring of the unit: the PBX is there");
	});

	it("ring modes for the station's registered number: extensions (the station does not ring), all (both), host (the station alone)", () => {
		for (const ringMode of ["extensions", "all", "host"] as const) {
			const { app, udp } = setup({
				server: { ringMode },
				accounts: [{ id: "1", enabled: true, user: "door", password: "pw", server: PBX, port: 5060, transport: "UDP", expires: 300, keepAlive: 0 }],
			});
			const reg = udp.messages().find((m) => m.method === "REGISTER")!;
			udp.deliver(answer(reg, 200, "pbx1"), PBX, 5060);
			registerUnit(udp, "8001");
			const before = udp.sent.length;
			udp.deliver(lines("INVITE sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP ${PBX}:5060;branch=z9hG4bKext${ringMode}`, "Max-Forwards: 70",
				"From: \"Street\" <sip:0301234@pbx>;tag=x", "To: <sip:door@pbx>", `Call-ID: ext-${ringMode}`, "CSeq: 1 INVITE",
				`Contact: <sip:0301234@${PBX}:5060>`, "Content-Type: application/sdp", `Content-Length: ${SDP.length}`, "", SDP), PBX, 5060);
			clock.tick(0);
			const after = udp.sent.slice(before).filter((s) => s.bytes.length > 4).map((s) => ({ port: s.port, m: parseMessage(s.bytes) }));
			const unitInvite = after.find((x) => x.port === 6001 && x.m.method === "INVITE")?.m;
			const stationRang = after.some((x) => x.port === 5060 && x.m.status === 180);
			assert.equal(unitInvite !== undefined, ringMode !== "host", ringMode + ": the unit rings");
			assert.equal(app.station.activeCalls.length > 0, ringMode !== "extensions", ringMode + ": the station rings itself");
			if (unitInvite) {
				assert.match(unitInvite.header("From")!, /"Street" <sip:0301234@192\.0\.2\.10>/, "the caller's name and number on the unit");
				assert.equal(new TextDecoder().decode(unitInvite.body), SDP, "the caller's SDP, untouched");
				udp.deliver(answer(unitInvite, 200, "unit1", SDP.replace("31000", "31002")), UNIT_HOST, 6001);
				const ok = udp.messages().filter((m) => m.status === 200 && m.callId() === "ext-" + ringMode).at(-1)!;
				assert.match(new TextDecoder().decode(ok.body), /m=audio 31002/, "the caller is answered with the unit's SDP");
				assert.equal(app.station.activeCalls.length, 0, "the door logic let the bridged call go");
			}
			else
				assert.ok(stationRang);
			app.stop();
		}
	});

	it("a unit's call: 407, then the group rings; a late offer cannot be bridged (488); calling itself is busy", () => {
		const { app, udp } = setup();
		for (const u of ["8001", "8002", "8003"])
			registerUnit(udp, u);
		const call = (id: string, to: string, auth?: string, body = SDP) => udp.deliver(lines(`INVITE sip:${to}@192.0.2.10 SIP/2.0`, `Via: SIP/2.0/UDP ${UNIT_HOST}:6001;branch=z9hG4bK${id}${auth ? "a" : ""}`, "Max-Forwards: 70",
			"From: <sip:8001@door.local>;tag=u1", `To: <sip:${to}@door.local>`, `Call-ID: ${id}`, `CSeq: ${auth ? 2 : 1} INVITE`, `Contact: <sip:8001@${UNIT_HOST}:6001>`,
			...(auth ? [`Proxy-Authorization: ${auth}`] : []), ...(body ? ["Content-Type: application/sdp"] : []), `Content-Length: ${body.length}`, "", body), UNIT_HOST, 6001);
		call("g1", "600");
		assert.equal(udp.messages().at(-1)!.status, 407);
		call("g1", "600", credentials(udp, "8001", "INVITE", "sip:600@192.0.2.10"));
		clock.tick(0);
		assert.equal(sentTo(udp, 6002, "INVITE").length, 1);
		assert.equal(sentTo(udp, 6003, "INVITE").length, 1);
		assert.match(sentTo(udp, 6002, "INVITE")[0].header("From")!, /<sip:8001@192\.0\.2\.10>/);
		udp.deliver(lines(`CANCEL sip:600@192.0.2.10 SIP/2.0`, `Via: SIP/2.0/UDP ${UNIT_HOST}:6001;branch=z9hG4bKg1a`, "Max-Forwards: 70",
			"From: <sip:8001@door.local>;tag=u1", "To: <sip:600@door.local>", "Call-ID: g1", "CSeq: 2 CANCEL", "Content-Length: 0", "", ""), UNIT_HOST, 6001);
		assert.equal(sentTo(udp, 6002, "CANCEL").length + sentTo(udp, 6003, "CANCEL").length, 0, "CANCEL waits for a provisional response (§9.1)");
		for (const port of [6002, 6003])
			udp.deliver(answer(sentTo(udp, port, "INVITE")[0], 180, "unit" + (port - 6000)), UNIT_HOST, port);
		assert.equal(sentTo(udp, 6002, "CANCEL").length + sentTo(udp, 6003, "CANCEL").length, 2, "the caller gave up: both are cancelled");

		call("late", "8002", credentials(udp, "8001", "INVITE", "sip:8002@192.0.2.10"), "");
		assert.equal(udp.messages().filter((m) => m.callId() === "late").at(-1)!.status, 488);
		call("self", "8001", credentials(udp, "8001", "INVITE", "sip:8001@192.0.2.10"));
		assert.equal(udp.messages().filter((m) => m.callId() === "self").at(-1)!.status, 486);
		assert.equal(app.ua.calls.filter((c) => c.state !== "ended").length, 0);
	});
});
