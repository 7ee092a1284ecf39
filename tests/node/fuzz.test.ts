// Whatever arrives, nothing stays behind: thousands of mutated requests (bad
// Vias in every position, bad Contacts, bad SDP, bad CSeq, truncations, flipped
// bytes, duplicated headers) from trusted and untrusted addresses go into the
// whole station (user agent, door logic, RTP) on a fake UDP socket and fake
// timers. Afterwards, once every timer has run, the transaction, dialog, call
// and media tables are empty, nothing was thrown out of a handler, and the
// station still answers and takes a call.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { StationApp } from "../../modules/station/app.js";
import { STATION_DEFAULTS } from "../../modules/station/config.js";
import { FakeUDP, lines } from "./fakes.js";

/** A small seeded PRNG (mulberry32): the same mutations on every run. */
function prng(seed: number): () => number {
	return () => {
		seed = (seed + 0x6D2B79F5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SDP = lines("v=0", "o=peer 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 30000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "");

const BAD_VIAS = [
	"SIP/2.0/UDP ;;;", "", "SIP/2.0/UDP", "SIP/2.0/UDP 192.0.2.1:99999;branch=z9hG4bKx", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK",
	"SIP/3.0/UDP 192.0.2.1;branch=z9hG4bKq", "SIP/2.0/UDP [::1;branch=z9hG4bKq", "SIP/2.0/UDP 192.0.2.1;branch=\"z9hG4bK", "garbage",
	"SIP/2.0/UDP 192.0.2.1;received=;rport=x;branch=z9hG4bKq", ",,,",
];
const BAD_CONTACTS = ["<sip:", "*", "<>", "\"x <sip:a@b>", "<sip:a@b;transport=>", "sip:a@[::1", "<sip:a@b>;expires=x", "<tel:+1>"];
const BAD_SDP = ["v=0\r\n", "v=0\r\no=\r\nc=IN IP4\r\nm=audio x RTP/AVP\r\n", "m=audio 0 RTP/AVP 0\r\n", "\u0000\u0001\u0002", SDP.replace("c=IN IP4 192.0.2.1", "c=IN IP6 ::1"), SDP.replace("30000", "99999")];
const BAD_CSEQ = ["x INVITE", "1", "4294967296 INVITE", "-1 INVITE", "1 BYE", "1 INV ITE", ""];

interface Template {
	method: string;
	inDialog: boolean;
	body: string;
}

const TEMPLATES: Template[] = [
	{ method: "INVITE", inDialog: false, body: SDP },
	{ method: "INVITE", inDialog: false, body: "" },
	{ method: "OPTIONS", inDialog: false, body: "" },
	{ method: "REGISTER", inDialog: false, body: "" },
	{ method: "CANCEL", inDialog: false, body: "" },
	{ method: "BYE", inDialog: true, body: "" },
	{ method: "INFO", inDialog: true, body: "Signal=#\r\nDuration=160\r\n" },
	{ method: "UPDATE", inDialog: true, body: SDP },
	{ method: "INVITE", inDialog: true, body: SDP },
	{ method: "ACK", inDialog: true, body: "" },
	{ method: "SUBSCRIBE", inDialog: false, body: "" },
];

function request(t: Template, id: string, address: string, tag: string | undefined): string[] {
	const headers = [
		`Via: SIP/2.0/UDP ${address}:5060;branch=z9hG4bK${id}`,
		"Max-Forwards: 70",
		`From: <sip:1003@${address}>;tag=f${id}`,
		`To: <sip:door@192.0.2.10>${t.inDialog && tag ? ";tag=" + tag : ""}`,
		`Call-ID: ${t.inDialog ? "fuzz-dialog" : "fuzz-" + id}`,
		`CSeq: ${t.inDialog ? 100 + Number(id.replace(/\D/g, "").slice(-4) || 0) : 1} ${t.method}`,
		`Contact: <sip:1003@${address}:5060>`,
	];
	if (t.body)
		headers.push(t.method === "INFO" ? "Content-Type: application/dtmf-relay" : "Content-Type: application/sdp");
	headers.push(`Content-Length: ${t.body.length}`);
	return [`${t.method} sip:door@192.0.2.10 SIP/2.0`, ...headers, "", t.body];
}

/** One mutation of a request: which, and where, chosen by the PRNG. */
function mutate(parts: string[], random: () => number): string {
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const out = parts.slice();
	const headerAt = (name: string) => out.findIndex((l) => l.toLowerCase().startsWith(name.toLowerCase() + ":"));
	switch (Math.floor(random() * 9)) {
		case 0: {	// a bad Via at the top, in the middle or at the bottom
			const bad = "Via: " + pick(BAD_VIAS);
			const where = Math.floor(random() * 3);
			const via = headerAt("Via");
			if (where === 0)
				out[via] = bad;
			else if (where === 1)
				out.splice(via + 1, 0, bad, "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKlow");
			else
				out.splice(via + 1, 0, bad);
			break;
		}
		case 1:
			out[headerAt("Contact")] = "Contact: " + pick(BAD_CONTACTS);
			break;
		case 2: {
			const body = pick(BAD_SDP);
			out[out.length - 1] = body;
			out[headerAt("Content-Length")] = "Content-Length: " + body.length;
			if (headerAt("Content-Type") < 0)
				out.splice(headerAt("Content-Length"), 0, "Content-Type: application/sdp");
			break;
		}
		case 3:
			out[headerAt("CSeq")] = "CSeq: " + pick(BAD_CSEQ);
			break;
		case 4: {	// truncated anywhere
			const text = out.join("\r\n");
			return text.slice(0, Math.floor(random() * text.length));
		}
		case 5: {	// a few bytes flipped
			const chars = out.join("\r\n").split("");
			for (let i = 0; i < 1 + Math.floor(random() * 4); i++)
				chars[Math.floor(random() * chars.length)] = String.fromCharCode(Math.floor(random() * 256));
			return chars.join("");
		}
		case 6: {	// a header twice, or removed
			const i = 1 + Math.floor(random() * (out.length - 3));
			if (random() < 0.5)
				out.splice(i, 0, out[i]);
			else
				out.splice(i, 1);
			break;
		}
		case 7:
			out[headerAt("Content-Length")] = "Content-Length: " + pick(["-1", "99999", "x", "2", ""]);
			break;
		default:
			break;	// unmutated: a well-formed request among the bad ones
	}
	return out.join("\r\n");
}

describe("fuzz: thousands of mutated requests leave nothing behind (fake timers)", function () {
	this.timeout(120000);
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	it("transactions, dialogs, calls and media are empty once their timers have run; nothing escaped a handler", () => {
		const log: string[] = [];
		let n = 0;
		FakeUDP.all = [];
		const app = new StationApp({
			udp: FakeUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"),
			relays: { set: () => {} }, log: (l) => log.push(l),
		}, {
			sipPort: 5060, host: "192.0.2.10", rtpPorts: { first: 40000, last: 40100 }, rtpTimeout: 5000, accounts: [],
			station: { ...STATION_DEFAULTS, whitelist: ["192.0.2.0/28"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" }, relays: [{ id: 1, holdTime: 3, dtmfCode: "1234" }] },
		});
		const sip = FakeUDP.all[0];
		app.start();
		const random = prng(4475);
		const sources = ["192.0.2.1", "192.0.2.2", "203.0.113.7", "203.0.113.8", "198.51.100.9"];
		let tag: string | undefined;
		const total = 6000;
		for (let i = 0; i < total; i++) {
			const address = sources[i % sources.length];
			const t = TEMPLATES[Math.floor(random() * TEMPLATES.length)];
			sip.deliver(mutate(request(t, "m" + i, address, tag), random), address, 5060);
			// learn a to-tag now and then, so in-dialog requests reach real dialogs
			if (i % 50 === 0) {
				const answered = sip.sent.slice(-20).map((s) => new TextDecoder().decode(s.bytes)).find((text) => text.startsWith("SIP/2.0 200") && text.indexOf("INVITE") > 0);
				const m = answered && /\r\nTo:[^\r]*;tag=([^;\r]+)/i.exec(answered);
				if (m)
					tag = m[1];
			}
			if (i % 100 === 0)
				clock.tick(1000);	// 100 requests a second: the budgets refill, the calls go on
		}
		const stack = app.ua.stack;
		assert.ok(sip.sent.length > 1000, "the station answered many of them: " + sip.sent.length);
		// every timer runs: ring limits, Max Call Time, RTP time-outs, transaction and dialog lingering
		clock.tick(15 * 60 * 1000);
		assert.deepEqual({
			calls: app.ua.calls.length, dialogs: app.ua.dialogCount, transactions: stack.transactions.size, cache: stack.transactions.cacheSize,
			doorCalls: app.station.activeCalls.length,
		}, { calls: 0, dialogs: 0, transactions: 0, cache: 0, doorCalls: 0 });
		const open = FakeUDP.all.filter((s) => s !== sip && !s.closed);
		assert.equal(open.length, 0, "every call's RTP socket is closed");
		const escaped = log.filter((l) => l.indexOf("error") >= 0 || l.indexOf("Error") >= 0 || l.indexOf("    at ") >= 0);
		assert.deepEqual(escaped, [], "no handler error");
		assert.ok(log.length < 200, "the log stays short under the flood: " + log.length + " lines");
		// and the station still works: an OPTIONS is answered, a trusted caller is answered
		const before = sip.sent.length;
		sip.deliver(mutate(request(TEMPLATES[2], "after-1", "192.0.2.1", undefined), () => 0.99), "192.0.2.1", 5060);
		sip.deliver(request(TEMPLATES[0], "after-2", "192.0.2.1", undefined).join("\r\n"), "192.0.2.1", 5060);
		clock.tick(0);
		const answers = sip.sent.slice(before).map((s) => new TextDecoder().decode(s.bytes).split("\r\n")[0]);
		assert.deepEqual(answers.slice(0, 1), ["SIP/2.0 200 OK"]);
		assert.ok(answers.indexOf("SIP/2.0 200 OK", 1) > 0, "the call is answered: " + answers.join(" | "));
		app.stop();
	});

	it("20,000 datagrams of garbage: no handler error, nothing kept, SIP still answers", () => {
		const log: string[] = [];
		FakeUDP.all = [];
		const app = new StationApp({
			udp: FakeUDP, clock: nodeClock, hash: nodeHash, random: () => Math.random().toString(16).slice(2, 18).padEnd(16, "0"),
			relays: { set: () => {} }, log: (l) => log.push(l),
		}, { sipPort: 5060, host: "192.0.2.10", rtpPorts: { first: 40000, last: 40100 }, rtpTimeout: 5000, accounts: [], station: STATION_DEFAULTS });
		const sip = FakeUDP.all[0];
		app.start();
		const random = prng(5118);
		const starts = ["INVITE sip:a@b SIP/2.0\r\n", "SIP/2.0 200 OK\r\n", "OPTIONS ", "\r\n\r\n", "", "REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"];
		for (let i = 0; i < 20000; i++) {
			const length = Math.floor(random() * 600);
			const bytes = new Uint8Array(length);
			for (let j = 0; j < length; j++)
				bytes[j] = Math.floor(random() * 256);
			const head = new TextEncoder().encode(starts[i % starts.length]);
			const datagram = new Uint8Array(head.length + length);
			datagram.set(head);
			datagram.set(bytes, head.length);
			sip.deliver(datagram, "203.0.113." + (i % 200), 5060);
			if (i % 200 === 0)
				clock.tick(1000);
		}
		clock.tick(10 * 60 * 1000);
		assert.deepEqual(log.filter((l) => /error|Error|    at /.test(l)), []);
		assert.equal(app.ua.stack.transactions.size + app.ua.stack.transactions.cacheSize + app.ua.dialogCount + app.ua.calls.length, 0);
		const before = sip.sent.length;
		sip.deliver(request(TEMPLATES[2], "after", "192.0.2.1", undefined).join("\r\n"), "192.0.2.1", 5060);
		assert.equal(new TextDecoder().decode(sip.sent[before].bytes).split("\r\n")[0], "SIP/2.0 200 OK");
		app.stop();
	});
});
