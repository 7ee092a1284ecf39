// The user agent core on fake timers and a fake UDP socket: answering with
// 2xx retransmission (§13.3.1.4), CANCEL (§9), session timers (RFC 4028),
// authentication of INVITE and BYE, account selection, limits.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { type Call, UserAgent, type UserAgentOptions, directIp } from "../../modules/sip/ua.js";
import type { SipMessage } from "../../modules/sip/message.js";
import { FakeUDP, lines } from "./fakes.js";

const PEER = "192.0.2.1";
let counter = 0;

function makeUa(overrides: Partial<UserAgentOptions> = {}) {
	const calls: Call[] = [];
	const states: string[] = [];
	const dtmf: string[] = [];
	const ua = new UserAgent({
		udp: { io: FakeUDP, port: 5060 },
		clock: nodeClock, host: "192.0.2.10", hash: nodeHash,
		random: () => (++counter).toString(16).padStart(16, "0"),
		accounts: [],
		media: () => ({ address: "192.0.2.10", port: 40000, codecs: ["PCMU", "PCMA"], sessionId: "1", version: 1 }),
		onIncomingCall: (call) => calls.push(call),
		onCallState: (call) => states.push(call.state),
		onDtmf: (_c, d) => dtmf.push(d),
		trusted: () => true,	// the protocol tests' peer is an allowed caller; trust is tested on its own
		...overrides,
	});
	return { ua, udp: FakeUDP.last!, calls, states, dtmf };
}

const SDP = lines("v=0", "o=peer 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 30000 RTP/AVP 8 0 101",
	"a=rtpmap:101 telephone-event/8000", "a=sendrecv", "");

function invite(branch: string, extra: string[] = [], callId = "call-" + branch): string {
	return lines("INVITE sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}`, "Max-Forwards: 70",
		"From: \"Flat 3\" <sip:1003@192.0.2.1>;tag=caller", "To: <sip:door@192.0.2.10>", `Call-ID: ${callId}`, "CSeq: 10 INVITE",
		"Contact: <sip:1003@192.0.2.1:5060>", ...extra, "Content-Type: application/sdp", `Content-Length: ${SDP.length}`, "", SDP);
}

function inDialog(method: string, branch: string, toTag: string, cseq: number, callId: string, extra: string[] = [], body = ""): string {
	return lines(`${method} sip:door@192.0.2.10:5060 SIP/2.0`, `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}`, "Max-Forwards: 70",
		"From: \"Flat 3\" <sip:1003@192.0.2.1>;tag=caller", `To: <sip:door@192.0.2.10>;tag=${toTag}`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`,
		...extra, `Content-Length: ${body.length}`, "", body);
}

/** A response from the peer to a request the station sent. */
function answer(request: SipMessage, status: number, extra: string[] = [], body = "", toTag = "callee"): string {
	const hdr = (name: string) => request.header(name)!;
	const to = hdr("To").includes("tag=") || status === 100 ? hdr("To") : hdr("To") + ";tag=" + toTag;
	return lines(`SIP/2.0 ${status} X`, `Via: ${hdr("Via")}`, `From: ${hdr("From")}`, `To: ${to}`, `Call-ID: ${hdr("Call-ID")}`,
		`CSeq: ${hdr("CSeq")}`, "Contact: <sip:1001@192.0.2.1:5060>", ...extra, `Content-Length: ${body.length}`, "", body);
}

function sentMessages(udp: FakeUDP, what: (m: SipMessage) => boolean): SipMessage[] {
	return udp.messages().filter(what);
}

describe("user agent (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 1000, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	it("answers an INVITE: 100, 180, 200 with an SDP answer; retransmits the 200 until the ACK", () => {
		const { udp, calls } = makeUa();
		udp.deliver(invite("z9hG4bKu1"), PEER);
		assert.equal(calls.length, 1);
		const call = calls[0];
		assert.match(call.remote, /1003/);
		call.ring();
		call.answer();
		assert.deepEqual(udp.messages().map((m) => m.status), [100, 180, 200]);
		const ok = udp.messages()[2];
		const sdp = Buffer.from(ok.body).toString();
		assert.match(sdp, /m=audio 40000 RTP\/AVP 8 101/, "the first offered codec we support, and telephone-event");
		assert.equal(ok.toTag(), udp.messages()[1].toTag(), "the same tag on 180 and 200");
		assert.equal(call.audio?.codec.name, "PCMA");
		assert.equal(call.audio?.remotePort, 30000);
		clock.tick(1600);	// 200 again at 500 and 1500
		assert.equal(udp.messages().filter((m) => m.status === 200).length, 3);
		udp.deliver(inDialog("ACK", "z9hG4bKack1", ok.toTag()!, 10, "call-z9hG4bKu1"), PEER);
		clock.tick(10000);
		assert.equal(udp.messages().filter((m) => m.status === 200).length, 3, "no more after the ACK");
		assert.equal(call.state, "answered");
	});

	it("without an ACK, gives up after 64*T1 and ends the call with BYE (§13.3.1.4)", () => {
		const { udp, calls } = makeUa();
		udp.deliver(invite("z9hG4bKu2"), PEER);
		calls[0].answer();
		clock.tick(32000);
		assert.equal(calls[0].state, "ended");
		assert.equal(calls[0].endReason, "no ACK");
		assert.equal(sentMessages(udp, (m) => m.method === "BYE").length, 1);
	});

	it("a CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE (§9.2)", () => {
		const { udp, calls } = makeUa();
		udp.deliver(invite("z9hG4bKu3"), PEER);
		calls[0].ring();
		udp.deliver(lines("CANCEL sip:door@192.0.2.10 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKu3", "Max-Forwards: 70",
			"From: \"Flat 3\" <sip:1003@192.0.2.1>;tag=caller", "To: <sip:door@192.0.2.10>", "Call-ID: call-z9hG4bKu3", "CSeq: 10 CANCEL", "Content-Length: 0", "", ""), PEER);
		const statuses = udp.messages().map((m) => m.status + " " + m.cseq().method);
		assert.deepEqual(statuses, ["100 INVITE", "180 INVITE", "200 CANCEL", "487 INVITE"]);
		assert.equal(calls[0].state, "ended");
		assert.equal(calls[0].endReason, "remote");
	});

	it("BYE ends the call; a BYE for an unknown dialog gets 481; an old CSeq gets 500", () => {
		const { udp, calls } = makeUa();
		udp.deliver(invite("z9hG4bKu4"), PEER);
		calls[0].answer();
		const tag = udp.messages()[1].toTag()!;
		udp.deliver(inDialog("ACK", "z9hG4bKa4", tag, 10, "call-z9hG4bKu4"), PEER);
		udp.deliver(inDialog("INFO", "z9hG4bKi4", tag, 9, "call-z9hG4bKu4"), PEER);
		assert.equal(udp.messages().at(-1)!.status, 500);
		udp.deliver(inDialog("BYE", "z9hG4bKb4", "wrong", 11, "call-z9hG4bKu4"), PEER);
		assert.equal(udp.messages().at(-1)!.status, 481);
		udp.deliver(inDialog("BYE", "z9hG4bKb5", tag, 11, "call-z9hG4bKu4"), PEER);
		assert.equal(udp.messages().at(-1)!.status, 200);
		assert.equal(calls[0].state, "ended");
	});

	it("DTMF by INFO (dtmf-relay and dtmf) reaches the station; an unknown INFO body gets 415", () => {
		const { udp, calls, dtmf } = makeUa();
		udp.deliver(invite("z9hG4bKu5"), PEER);
		calls[0].answer();
		const tag = udp.messages()[1].toTag()!;
		udp.deliver(inDialog("INFO", "z9hG4bKd1", tag, 11, "call-z9hG4bKu5", ["Content-Type: application/dtmf-relay"], "Signal=1\r\nDuration=100\r\n"), PEER);
		udp.deliver(inDialog("INFO", "z9hG4bKd2", tag, 12, "call-z9hG4bKu5", ["Content-Type: application/dtmf"], "11"), PEER);
		udp.deliver(inDialog("INFO", "z9hG4bKd3", tag, 13, "call-z9hG4bKu5", ["Content-Type: text/plain"], "hello"), PEER);
		assert.deepEqual(dtmf, ["1", "#"]);
		assert.equal(udp.messages().at(-1)!.status, 415);
	});

	it("a re-INVITE is answered with a new SDP version", () => {
		const { udp, calls } = makeUa();
		udp.deliver(invite("z9hG4bKu6"), PEER);
		calls[0].answer();
		const tag = udp.messages()[1].toTag()!;
		udp.deliver(inDialog("ACK", "z9hG4bKa6", tag, 10, "call-z9hG4bKu6"), PEER);
		udp.deliver(inDialog("INVITE", "z9hG4bKr6", tag, 11, "call-z9hG4bKu6", ["Content-Type: application/sdp"], SDP), PEER);
		const ok = udp.messages().at(-1)!;
		assert.equal(ok.status, 200);
		assert.match(Buffer.from(ok.body).toString(), /o=portier 1 2 IN IP4/);
	});

	it("session timer, peer refreshes: no refresh within the interval ends the call with BYE (RFC 4028 §10)", () => {
		const { udp, calls } = makeUa({ sessionTimer: { enabled: true, expires: 1800, minSE: 90, refresher: "uac" } });
		udp.deliver(invite("z9hG4bKs1", ["Supported: timer", "Session-Expires: 120;refresher=uac"]), PEER);
		calls[0].answer();
		const ok = udp.messages()[1];
		assert.equal(ok.header("Session-Expires"), "120;refresher=uac");
		assert.equal(ok.header("Require"), "timer");
		udp.deliver(inDialog("ACK", "z9hG4bKsa", ok.toTag()!, 10, "call-z9hG4bKs1"), PEER);
		clock.tick(120000 - 32000 - 1);
		assert.equal(calls[0].state, "answered");
		clock.tick(1);
		assert.equal(calls[0].state, "ended");
		assert.equal(calls[0].endReason, "session-expired");
		assert.equal(sentMessages(udp, (m) => m.method === "BYE").length, 1);
	});

	it("session timer, a refresh from the peer keeps the call up", () => {
		const { udp, calls } = makeUa({ sessionTimer: { enabled: true, expires: 1800, minSE: 90, refresher: "uac" } });
		udp.deliver(invite("z9hG4bKs2", ["Supported: timer", "Session-Expires: 90;refresher=uac"]), PEER);
		calls[0].answer();
		const tag = udp.messages()[1].toTag()!;
		udp.deliver(inDialog("ACK", "z9hG4bKsb", tag, 10, "call-z9hG4bKs2"), PEER);
		clock.tick(45000);
		udp.deliver(inDialog("UPDATE", "z9hG4bKup", tag, 11, "call-z9hG4bKs2", ["Session-Expires: 90;refresher=uac"]), PEER);
		clock.tick(45000);
		assert.equal(calls[0].state, "answered", "refreshed at 45 s, so alive at 90 s");
	});

	it("session timer, we refresh: a re-INVITE at half the interval; a failed refresh ends the call", () => {
		const { udp, calls } = makeUa({ sessionTimer: { enabled: true, expires: 1800, minSE: 90, refresher: "uas" } });
		udp.deliver(invite("z9hG4bKs3", ["Supported: timer", "Session-Expires: 100;refresher=uas"]), PEER);
		calls[0].answer();
		const tag = udp.messages()[1].toTag()!;
		udp.deliver(inDialog("ACK", "z9hG4bKsc", tag, 10, "call-z9hG4bKs3"), PEER);
		clock.tick(50000);
		const refresh = sentMessages(udp, (m) => m.method === "INVITE");
		assert.equal(refresh.length, 1, "re-INVITE at 50 s");
		assert.equal(refresh[0].toTag(), "caller");
		udp.deliver(answer(refresh[0], 488, [], "", "caller"), PEER);
		assert.equal(calls[0].state, "ended");
		assert.equal(calls[0].endReason, "session-refresh-failed");
	});

	it("an interval below our Min-SE is refused with 422 (RFC 4028 §8)", () => {
		const { udp, calls } = makeUa({ sessionTimer: { enabled: true, expires: 1800, minSE: 90, refresher: "uac" } });
		udp.deliver(invite("z9hG4bKs4", ["Supported: timer", "Session-Expires: 60"]), PEER);
		assert.equal(calls.length, 0);
		const r = udp.messages()[0];
		assert.equal(r.status, 422);
		assert.equal(r.header("Min-SE"), "90");
	});

	it("refuses beyond the call limit with 486 and a merged request with 482", () => {
		const { udp, calls } = makeUa({ maxCalls: 1 });
		udp.deliver(invite("z9hG4bKm1", [], "one"), PEER);
		udp.deliver(invite("z9hG4bKm2", [], "two"), PEER);
		assert.equal(calls.length, 1);
		assert.equal(udp.messages().at(-1)!.status, 486);
		const { udp: udp2 } = makeUa();
		udp2.deliver(invite("z9hG4bKm3", [], "same"), PEER);
		udp2.deliver(invite("z9hG4bKm4", [], "same"), PEER);
		assert.equal(udp2.messages().at(-1)!.status, 482);
	});

	it("an outgoing direct IP call: ringing, answered, ACKed; hangup sends BYE", () => {
		const { ua, udp, states } = makeUa();
		const call = ua.call("192*0*2*1")!;
		const inv = udp.messages()[0];
		assert.equal(inv.method, "INVITE");
		assert.equal(inv.uriText, "sip:192.0.2.1");
		udp.deliver(answer(inv, 180), PEER);
		udp.deliver(answer(inv, 200, ["Content-Type: application/sdp"], SDP), PEER);
		assert.deepEqual(states, ["calling", "ringing", "answered"]);
		const ack = sentMessages(udp, (m) => m.method === "ACK")[0];
		assert.equal(ack.uriText, "sip:1001@192.0.2.1:5060", "to the remote target");
		assert.equal(ack.cseq().seq, 1);
		udp.deliver(answer(inv, 200, ["Content-Type: application/sdp"], SDP), PEER);
		assert.equal(sentMessages(udp, (m) => m.method === "ACK").length, 2, "a retransmitted 2xx is ACKed again");
		call.hangup();
		const bye = sentMessages(udp, (m) => m.method === "BYE")[0];
		assert.equal(bye.cseq().seq, 2);
		assert.equal(bye.toTag(), "callee");
	});

	it("hanging up before any answer: the CANCEL waits for a provisional response (§9.1), then the 487 is ACKed", () => {
		const { ua, udp } = makeUa();
		const call = ua.call("192.0.2.1")!;
		const inv = udp.messages()[0];
		call.hangup();
		assert.equal(sentMessages(udp, (m) => m.method === "CANCEL").length, 0);
		udp.deliver(answer(inv, 180), PEER);
		const cancel = sentMessages(udp, (m) => m.method === "CANCEL")[0];
		assert.ok(cancel, "CANCEL sent");
		assert.equal(cancel.branch(), inv.branch(), "the INVITE's branch");
		assert.equal(cancel.cseq().seq, inv.cseq().seq);
		udp.deliver(answer(cancel, 200), PEER);
		udp.deliver(answer(inv, 487), PEER);
		assert.equal(sentMessages(udp, (m) => m.method === "ACK").length, 1);
	});

	it("answers a 401 to INVITE and a 407 to BYE with digest credentials", () => {
		const { ua, udp } = makeUa({
			accounts: [{ id: "1", enabled: true, user: "door", password: "pw", server: "192.0.2.1", port: 5060, transport: "UDP", expires: 300 }],
		});
		ua.start();
		const reg = udp.messages()[0];
		udp.deliver(answer(reg, 200, [], "", "r"), PEER);
		assert.equal(ua.registrations[0].status.registered, true);
		const call = ua.call("1001")!;
		const inv1 = sentMessages(udp, (m) => m.method === "INVITE")[0];
		assert.equal(inv1.uriText, "sip:1001@192.0.2.1");
		udp.deliver(answer(inv1, 401, ["WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n1\", qop=\"auth\""]), PEER);
		const inv2 = sentMessages(udp, (m) => m.method === "INVITE")[1];
		assert.equal(inv2.cseq().seq, 2);
		assert.equal(inv2.auth("Authorization")[0].get("username"), "door");
		udp.deliver(answer(inv2, 200, ["Content-Type: application/sdp"], SDP), PEER);
		assert.equal(call.state, "answered");
		call.hangup();
		const bye1 = sentMessages(udp, (m) => m.method === "BYE")[0];
		udp.deliver(answer(bye1, 407, ["Proxy-Authenticate: Digest realm=\"pbx\", nonce=\"n2\", qop=\"auth\""], "", "callee"), PEER);
		const bye2 = sentMessages(udp, (m) => m.method === "BYE")[1];
		assert.ok(bye2, "BYE sent again");
		assert.equal(bye2.auth("Proxy-Authorization")[0].get("nonce"), "n2");
		assert.equal(bye2.cseq().seq, bye1.cseq().seq + 1);
	});

	it("Account 1 is the default for calls; Account 2 is used while Account 1 is not registered", () => {
		const accounts = [
			{ id: "1", enabled: true, user: "door", password: "pw", server: "192.0.2.1", port: 5060, transport: "UDP" as const, expires: 300 },
			{ id: "2", enabled: true, user: "gate", password: "pw", server: "192.0.2.2", port: 5060, transport: "UDP" as const, expires: 300 },
		];
		const { ua, udp } = makeUa({ accounts });
		ua.start();
		const [r1, r2] = udp.messages();
		udp.deliver(answer(r2, 200, [], "", "r2"), "192.0.2.2");
		udp.deliver(answer(r1, 403, [], "", "r1"), PEER);
		assert.equal(ua.registrations[0].status.registered, false);
		assert.equal(ua.registrations[0].status.lastStatus, 403);
		assert.equal(ua.call("1001")!.account, "2");
		clock.tick(5000);	// the back-off retry of account 1
		const retry = sentMessages(udp, (m) => m.method === "REGISTER" && m.uriText === "sip:192.0.2.1").at(-1)!;
		udp.deliver(answer(retry, 200, [], "", "r1"), PEER);
		assert.equal(ua.call("1002")!.account, "1");
	});

	it("refreshes a registration before it expires and retries with back-off after failures", () => {
		const { ua, udp } = makeUa({
			accounts: [{ id: "1", enabled: true, user: "door", password: "pw", server: "192.0.2.1", port: 5060, transport: "UDP", expires: 300, keepAlive: 0 }],
		});
		ua.start();
		udp.deliver(answer(udp.messages()[0], 200, ["Expires: 120"], "", "r"), PEER);
		const registers = () => sentMessages(udp, (m) => m.method === "REGISTER");
		clock.tick(89999);
		assert.equal(registers().length, 1);
		clock.tick(1);	// 120 - 30 = 90 s
		assert.equal(registers().length, 2);
		udp.deliver(answer(registers()[1], 503, [], "", "r"), PEER);
		assert.equal(ua.registrations[0].status.registered, false);
		clock.tick(5000);
		assert.equal(registers().length, 3, "retried after 5 s");
		udp.deliver(answer(registers()[2], 503, [], "", "r"), PEER);
		clock.tick(9999);
		assert.equal(registers().length, 3);
		clock.tick(1);
		assert.equal(registers().length, 4, "then after 10 s");
	});

	it("keeps the UDP NAT binding open with a keep-alive after registering", () => {
		const { ua, udp } = makeUa({
			accounts: [{ id: "1", enabled: true, user: "door", password: "pw", server: "192.0.2.1", port: 5060, transport: "UDP", expires: 3600, keepAlive: 25 }],
		});
		ua.start();
		udp.deliver(answer(udp.messages()[0], 200, [], "", "r"), PEER);
		clock.tick(25000);
		const ka = udp.sent.filter((s) => s.bytes.length === 4);
		assert.equal(ka.length, 1);
		assert.equal(ka[0].address, PEER);
	});

	it("DNS-SRV: registers through the SRV targets in order, failing over when one does not answer (RFC 3263)", () => {
		const dns = {
			a: (_n: string, cb: (a: string[]) => void) => cb([]),
			srv: (name: string, cb: (r: Array<{ priority: number; weight: number; port: number; name: string }>) => void) =>
				cb(name === "_sip._udp.example.com" ? [{ priority: 20, weight: 0, port: 5080, name: "192.0.2.2" }, { priority: 10, weight: 0, port: 5070, name: "192.0.2.1" }] : []),
			naptr: (_n: string, cb: (r: never[]) => void) => cb([]),
		};
		const { ua, udp } = makeUa({
			dns,
			accounts: [{ id: "1", enabled: true, user: "door", password: "pw", server: "example.com", port: 5060, transport: "DNS-SRV", expires: 300, keepAlive: 0 }],
		});
		ua.start();
		assert.equal(udp.sent[0].address, "192.0.2.1");
		assert.equal(udp.sent[0].port, 5070);
		assert.equal(udp.messages()[0].uriText, "sip:example.com");
		clock.tick(32000);	// Timer F: the first target never answered
		const second = udp.sent.filter((x) => x.address === "192.0.2.2");
		assert.equal(second.length, 1);
		assert.equal(second[0].port, 5080);
		const reg = udp.messages().filter((m) => m.method === "REGISTER").at(-1)!;
		udp.deliver(answer(reg, 200, [], "", "r"), "192.0.2.2", 5080);
		assert.equal(ua.registrations[0].status.registered, true);
		assert.equal(ua.registrations[0].target?.address, "192.0.2.2");
	});

	it("answers another SIP version 505 and a short body 400 with the reason; drops garbage and responses", () => {
		const { udp } = makeUa();
		udp.deliver(invite("z9hG4bKv1").replace("INVITE sip:door@192.0.2.10 SIP/2.0", "INVITE sip:door@192.0.2.10 SIP/7.0"), PEER);
		assert.equal(udp.messages().at(-1)!.status, 505);
		udp.deliver(invite("z9hG4bKv2").replace(/Content-Length: \d+/, "Content-Length: 9999"), PEER);
		const r = udp.messages().at(-1)!;
		assert.equal(r.status, 400);
		assert.equal(r.reason, "Content-Length larger than message");
		const before = udp.sent.length;
		udp.deliver("\x00\x01garbage\r\n\r\n", PEER);
		udp.deliver(lines("SIP/2.0 200 OK", "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnone", "CSeq: 1 INVITE", "Call-ID: x", "", ""), PEER);
		assert.equal(udp.sent.length, before);
	});

	it("hostile datagrams never escape a socket callback and state stays bounded", () => {
		const { ua, udp } = makeUa({ maxCalls: 2 });
		let seed = 7;
		const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
		const base = Buffer.from(invite("z9hG4bKfz"));
		for (let i = 0; i < 1500; i++) {
			const m = Buffer.from(base);
			for (let k = 0; k < 1 + (i % 6); k++)
				m[rnd() % m.length] = rnd() & 0xFF;
			// fresh Call-IDs and branches, so each one that parses is a new request
			udp.deliver(new Uint8Array(Buffer.from(m.toString("latin1").replace("call-z9hG4bKfz", "c" + i).replace("branch=z9hG4bKfz", "branch=z9hG4bKf" + i), "latin1")), PEER);
		}
		assert.ok(ua.calls.length <= 2, "calls bounded: " + ua.calls.length);
		assert.ok(ua.stack.transactions.size <= 64, "transactions bounded: " + ua.stack.transactions.size);
		clock.tick(120000 + 64000);	// unanswered calls end at maxRingTime, their transactions after 64*T1
		assert.equal(ua.calls.length, 0, "no call rings forever");
		assert.equal(ua.stack.transactions.size, 0, "every transaction ends");
	});

	it("parses direct IP destinations, keypad form included", () => {
		assert.deepEqual(directIp("192*168*35*123"), { host: "192.168.35.123", port: 0 });
		assert.deepEqual(directIp("sip:10.0.0.2:5070"), { host: "10.0.0.2", port: 5070 });
		assert.equal(directIp("1001"), undefined);
		assert.equal(directIp("300.1.1.1"), undefined);
	});
});

describe("user agent budgets under a flood (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	const options = (branch: string, from: string) => lines("OPTIONS sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP ${from}:5060;branch=${branch}`, "Max-Forwards: 70",
		`From: <sip:x@${from}>;tag=o`, "To: <sip:door@192.0.2.10>", `Call-ID: ${branch}`, "CSeq: 1 OPTIONS", "Content-Length: 0", "", "");

	it("500 OPTIONS a second from one address: it gets its share, another address and a call's BYE get through, nothing is kept", () => {
		const { ua, udp, calls } = makeUa({ trusted: (_r, s) => s.address === PEER });
		udp.deliver(invite("z9hG4bKcall"), PEER);
		calls[0].answer();
		const tag = udp.messages().find((m) => m.status === 200)!.toTag()!;
		udp.deliver(inDialog("ACK", "z9hG4bKack", tag, 10, "call-z9hG4bKcall"), PEER);
		let answeredFlood = 0, answeredOther = 0;
		for (let s = 0; s < 5; s++) {
			for (let i = 0; i < 500; i++) {
				const before = udp.sent.length;
				udp.deliver(options(`z9hG4bKf${s}-${i}`, "203.0.113.66"), "203.0.113.66");
				answeredFlood += udp.sent.length - before;
				clock.tick(2);
			}
			const before = udp.sent.length;
			udp.deliver(options(`z9hG4bKq${s}`, "198.51.100.5"), "198.51.100.5");
			answeredOther += udp.sent.length - before;
		}
		assert.ok(answeredFlood >= 50 && answeredFlood <= 80, "the flooder got its rate of 10/s plus a burst: " + answeredFlood);
		assert.equal(answeredOther, 5, "the quiet address was answered every time");
		assert.equal(ua.stack.transactions.size, 0, "OPTIONS keep nothing, and the call's INVITE left the table when it was ACKed");
		assert.equal(ua.stack.transactions.cacheSize, 1, "the OPTIONS are not even in the retransmission cache: only the call's INVITE, absorbing retransmissions (RFC 6026)");
		assert.equal(ua.stack.transactions.counters.dropped, 2500 - answeredFlood);
		// the call's BYE is never refused for lack of room
		udp.deliver(inDialog("BYE", "z9hG4bKbye", tag, 11, "call-z9hG4bKcall"), PEER);
		assert.equal(udp.messages().at(-1)!.status, 200);
		assert.equal(calls[0].state, "ended");
	});

	it("a request within a call whose CSeq does not parse gets 400, as outside a call", () => {
		const { ua, udp, calls } = makeUa();
		udp.deliver(invite("z9hG4bKbc"), PEER);
		calls[0].answer();
		const tag = udp.messages().find((m) => m.status === 200)!.toTag()!;
		udp.deliver(inDialog("ACK", "z9hG4bKbca", tag, 10, "call-z9hG4bKbc"), PEER);
		udp.deliver(inDialog("INFO", "z9hG4bKbci", tag, 11, "call-z9hG4bKbc").replace("CSeq: 11 INFO", "CSeq: eleven INFO"), PEER);
		const answer = udp.messages().at(-1)!;
		assert.equal(answer.status, 400);
		assert.match(answer.reason!, /CSeq/);
		assert.equal(calls[0].state, "answered", "the call goes on");
		assert.equal(ua.stack.transactions.serverCount, 0, "nothing left behind (the call's INVITE left when it was ACKed)");
	});

	it("an OPTIONS whose second Via does not parse is answered 400 and leaves nothing behind", () => {
		const { ua, udp } = makeUa();
		// from an address the station does not know: 100 at once spend its budget (burst 20)
		for (let i = 0; i < 100; i++)
			udp.deliver(lines("OPTIONS sip:door@192.0.2.10 SIP/2.0", `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKv${i}`, "Via: SIP/2.0/UDP ;;;",
				"Max-Forwards: 70", "From: <sip:x@192.0.2.1>;tag=o", "To: <sip:door@192.0.2.10>", `Call-ID: v${i}`, "CSeq: 1 OPTIONS", "Content-Length: 0", "", ""), PEER);
		const answers = udp.messages();
		assert.equal(answers.length, 20, "within the source's burst; the rest is a flood and dropped");
		assert.ok(answers.every((m) => m.status === 400), answers.map((m) => m.status).join());
		assert.equal(ua.stack.transactions.size, 0);
		// and SIP still works once the budget has refilled
		clock.tick(1000);
		udp.deliver(options("z9hG4bKok", PEER), PEER);
		assert.equal(udp.messages().at(-1)!.status, 200);
	});
});
