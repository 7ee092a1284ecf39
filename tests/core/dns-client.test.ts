/*
 * The DNS stub resolver of modules/sip/dns-client.ts over a fake UDP socket
 * and a manual clock (so the same tests run inside XS): the query on the
 * wire, A / SRV / NAPTR answers with compressed names, answers that must be
 * ignored (another id, server, port or question), failures that answer an
 * empty list, retries across servers, the bound on queries at once, and
 * RFC 3263 location through it.
 */
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { UdpDnsClient, encodeQuery, parseAnswer, readName } from "../../modules/sip/dns-client.js";
import { locate } from "../../modules/sip/resolver.js";
import { FakeUDP } from "../lib/fake-udp.js";

const sockets = FakeUDP.made;

function client(clock: ManualClock, servers = ["192.0.2.53"], extra: Record<string, number> = {}) {
	FakeUDP.made.length = 0;
	let n = 0x1230;
	return new UdpDnsClient({ udp: FakeUDP as never, servers, clock, random16: () => n++, port: 5353, ...extra });
}

/* ---------- answers, written by hand (RFC 1035 §4.1) ---------- */

const be16 = (n: number) => [n >> 8, n & 0xFF];
const label = (name: string) => [...name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0];
const chars = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

/** An answer to `query`: its header and question, then records [type, rdata], each owned by the question's name (a pointer to offset 12). */
function answer(query: Uint8Array, records: Array<[number, number[]]>, rcode = 0): Uint8Array {
	const question = Array.from(query.subarray(12));
	const out = [query[0], query[1], 0x81, 0x80 | rcode, 0, 1, ...be16(records.length), 0, 0, 0, 0, ...question];
	for (const [type, rdata] of records)
		out.push(0xC0, 12, ...be16(type), 0, 1, 0, 0, 0x0E, 0x10, ...be16(rdata.length), ...rdata);
	return Uint8Array.from(out);
}

describe("DNS stub resolver (A, SRV, NAPTR over UDP)", () => {
	it("asks one question with recursion desired, and reads A records past a CNAME", () => {
		const clock = new ManualClock();
		const dns = client(clock);
		let got: string[] | undefined;
		dns.a("pbx.example.com", (a) => got = a);
		equal(sockets.length, 1);
		const q = sockets[0].written[0];
		equal(q.address, "192.0.2.53");
		equal(q.port, 5353);
		deepEqual(Array.from(q.bytes.subarray(2, 6)), [0x01, 0, 0, 1], "RD, one question");
		deepEqual(Array.from(q.bytes.subarray(12)), [...label("pbx.example.com"), 0, 1, 0, 1]);
		sockets[0].deliver(answer(q.bytes, [[5, label("real.example.com")], [1, [192, 0, 2, 10]], [1, [192, 0, 2, 11]]]), "192.0.2.53", 5353);
		deepEqual(got, ["192.0.2.10", "192.0.2.11"]);
		ok(sockets[0].closed, "the socket is closed with the answer");
		equal(clock.pending, 0, "no timer left");
	});

	it("reads SRV targets and NAPTR records, compressed names included", () => {
		const clock = new ManualClock();
		const dns = client(clock);
		let srv: unknown, naptr: unknown;
		dns.srv("_sip._udp.example.com", (r) => srv = r);
		const q1 = sockets[0].written[0].bytes;
		// the target "pbx" + a pointer to "example.com" inside the question (offset 12 + 10: past "_sip", "_udp")
		sockets[0].deliver(answer(q1, [[33, [...be16(10), ...be16(60), ...be16(5060), 3, 112, 98, 120, 0xC0, 12 + 10]]]), "192.0.2.53", 5353);
		deepEqual(srv, [{ priority: 10, weight: 60, port: 5060, name: "pbx.example.com" }]);
		dns.naptr("example.com", (r) => naptr = r);
		const q2 = sockets[1].written[0].bytes;
		sockets[1].deliver(answer(q2, [[35, [...be16(50), ...be16(51), ...chars("s"), ...chars("SIP+D2T"), ...chars(""), ...label("_sip._tcp.example.com")]]]), "192.0.2.53", 5353);
		deepEqual(naptr, [{ order: 50, preference: 51, flags: "s", service: "SIP+D2T", replacement: "_sip._tcp.example.com" }]);
	});

	it("ignores what is not the answer: another server, port, id or question; then takes the answer", () => {
		const clock = new ManualClock();
		const dns = client(clock);
		let got: string[] | undefined;
		dns.a("pbx.example.com", (a) => got = a);
		const q = sockets[0].written[0].bytes;
		const good = answer(q, [[1, [192, 0, 2, 10]]]);
		sockets[0].deliver(good, "192.0.2.66", 5353);
		sockets[0].deliver(good, "192.0.2.53", 5354);
		const otherId = good.slice();
		otherId[1] ^= 1;
		sockets[0].deliver(otherId, "192.0.2.53", 5353);
		const otherQuestion = answer(encodeQuery((q[0] << 8) | q[1], "evil.example.com", 1)!, [[1, [203, 0, 113, 1]]]);
		sockets[0].deliver(otherQuestion, "192.0.2.53", 5353);
		sockets[0].deliver(Uint8Array.from([1, 2, 3]), "192.0.2.53", 5353);
		equal(got, undefined, "still waiting");
		sockets[0].deliver(good, "192.0.2.53", 5353);
		deepEqual(got, ["192.0.2.10"]);
	});

	it("answers empty for a name that does not exist, and for records that do not parse", () => {
		const clock = new ManualClock();
		const dns = client(clock);
		let nx: string[] | undefined, bad: unknown;
		dns.a("nothing.example.com", (a) => nx = a);
		sockets[0].deliver(answer(sockets[0].written[0].bytes, [], 3), "192.0.2.53", 5353);
		deepEqual(nx, []);
		dns.srv("_sip._udp.example.com", (r) => bad = r);
		// a name pointer looping on itself, and a record longer than the message
		const q = sockets[1].written[0].bytes;
		const looping = answer(q, [[33, [0, 1, 0, 1, 0x13, 0xC4, 0xC0, 0]]]);
		looping[looping.length - 1] = looping.length - 2;
		sockets[1].deliver(looping, "192.0.2.53", 5353);
		deepEqual(bad, []);
		equal(readName(Uint8Array.from([0xC0, 0]), 0), undefined, "a pointer to itself is refused");
		deepEqual(parseAnswer(answer(q, [[33, [0, 1]]]).subarray(0, 40), (q[0] << 8) | q[1], "_sip._udp.example.com", 33, () => 1), []);
	});

	it("asks the next server after the time-out, and gives up with an empty answer after every try", () => {
		const clock = new ManualClock();
		const dns = client(clock, ["192.0.2.53", "198.51.100.53"], { timeout: 1000, tries: 2 });
		let got: string[] | undefined;
		dns.a("pbx.example.com", (a) => got = a);
		clock.advance(999);
		equal(sockets[0].written.length, 1);
		clock.advance(1);
		deepEqual(sockets[0].written.map((w) => w.address), ["192.0.2.53", "198.51.100.53"]);
		// the first server's late answer no longer counts: the second one was asked
		sockets[0].deliver(answer(sockets[0].written[0].bytes, [[1, [192, 0, 2, 10]]]), "192.0.2.53", 5353);
		equal(got, undefined);
		clock.advance(2000);
		equal(sockets[0].written.length, 4, "two tries of two servers");
		clock.advance(1000);
		deepEqual(got, []);
		ok(sockets[0].closed);
		equal(clock.pending, 0);
	});

	it("keeps at most four queries at once; names DNS cannot carry are answered empty at once", () => {
		const clock = new ManualClock();
		const dns = client(clock);
		const answers: string[][] = [];
		for (let i = 0; i < 5; i++)
			dns.a("host" + i + ".example.com", (a) => answers.push(a));
		equal(sockets.length, 4);
		deepEqual(answers, [[]], "the fifth at once, empty");
		dns.a("a..b", (a) => answers.push(a));
		dns.a("x".repeat(64) + ".com", (a) => answers.push(a));
		equal(answers.length, 3);
		clock.advance(10000);
		equal(answers.length, 7);
		equal(clock.pending, 0);
	});

	it("locates a SIP server through it: NAPTR, then SRV, then A (RFC 3263 §4.1)", () => {
		const clock = new ManualClock();
		const dns = client(clock);
		let targets: unknown;
		locate(dns, "example.com", undefined, undefined, () => 0, (t) => targets = t);
		const step = (records: Array<[number, number[]]>) => {
			const s = sockets[sockets.length - 1];
			s.deliver(answer(s.written[0].bytes, records), "192.0.2.53", 5353);
		};
		step([[35, [...be16(10), ...be16(10), ...chars("s"), ...chars("SIP+D2U"), ...chars(""), ...label("_sip._udp.example.com")]]]);
		step([[33, [...be16(1), ...be16(1), ...be16(5070), ...label("pbx.example.com")]]]);
		step([[1, [192, 0, 2, 10]]]);
		deepEqual(targets, [{ transport: "UDP", address: "192.0.2.10", port: 5070 }]);
	});
});
