/*
 * The mDNS / DNS-SD responder (modules/network/mdns.ts) over a fake UDP
 * socket and a manual clock, so the same tests run inside XS: probing and
 * announcing (RFC 6762 §8), answers to multicast, QU and legacy unicast
 * queries (§5.4, §6, §6.7), DNS-SD browsing with additional records
 * (RFC 6763 §12), known-answer suppression (§7.1), the one-second limit
 * (§6), a conflict and the renamed name (§9), goodbye (§10.1), and
 * datagrams that must change nothing.
 */
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { FakeUDP, type Written } from "../lib/fake-udp.js";
import { readName } from "../../modules/sip/dns-client.js";
import { MdnsResponder } from "../../modules/network/mdns.js";

const A = 1, PTR = 12, TXT = 16, SRV = 33, ANY = 255;

interface Rec { name: string; type: number; klass: number; ttl: number; data: string }
interface Msg { id: number; flags: number; questions: Array<[string, number, number]>; answers: Rec[]; authority: Rec[]; additional: Rec[] }

/** A message read back, each record's data in words (A: the address; PTR: the name; SRV: "port target"; TXT: the strings joined by |). */
function parse(m: Uint8Array): Msg {
	const u16 = (at: number) => (m[at] << 8) | m[at + 1];
	let at = 12;
	const questions: Array<[string, number, number]> = [];
	for (let i = 0; i < u16(4); i++) {
		const [name, next] = readName(m, at)!;
		questions.push([name, u16(next), u16(next + 2)]);
		at = next + 4;
	}
	const section = (count: number) => {
		const out: Rec[] = [];
		for (let i = 0; i < count; i++) {
			const [name, next] = readName(m, at)!;
			const type = u16(next), klass = u16(next + 2), ttl = u16(next + 4) * 65536 + u16(next + 6), length = u16(next + 8);
			const d = next + 10;
			let data = "";
			if (type === A)
				data = `${m[d]}.${m[d + 1]}.${m[d + 2]}.${m[d + 3]}`;
			else if (type === PTR)
				data = readName(m, d)![0];
			else if (type === SRV)
				data = `${u16(d + 4)} ${readName(m, d + 6)![0]}`;
			else if (type === TXT) {
				const parts: string[] = [];
				for (let p = d; p < d + length; p += 1 + m[p])
					parts.push(String.fromCharCode(...m.subarray(p + 1, p + 1 + m[p])));
				data = parts.join("|");
			}
			out.push({ name, type, klass, ttl, data });
			at = d + length;
		}
		return out;
	};
	const answers = section(u16(6)), authority = section(u16(8)), additional = section(u16(10));
	return { id: u16(0), flags: u16(2), questions, answers, authority, additional };
}

const labels = (name: string) => [...name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0];
const be16 = (n: number) => [n >> 8, n & 0xFF];

/** A query: questions [name, type, class], known answers [name, type, ttl, rdata bytes]. */
function query(questions: Array<[string, number, number?]>, known: Array<[string, number, number, number[]]> = [], id = 0): Uint8Array {
	const out = [...be16(id), 0, 0, ...be16(questions.length), ...be16(known.length), 0, 0, 0, 0];
	for (const [name, type, klass] of questions)
		out.push(...labels(name), ...be16(type), ...be16(klass ?? 1));
	for (const [name, type, ttl, data] of known)
		out.push(...labels(name), ...be16(type), 0, 1, ...be16(ttl >>> 16), ...be16(ttl & 0xFFFF), ...be16(data.length), ...data);
	return Uint8Array.from(out);
}

/** A response from another host: answers [name, type, rdata bytes]. */
function response(answers: Array<[string, number, number[]]>): Uint8Array {
	const out = [0, 0, 0x84, 0, 0, 0, ...be16(answers.length), 0, 0, 0, 0];
	for (const [name, type, data] of answers)
		out.push(...labels(name), ...be16(type), 0x80, 1, 0, 0, 0, 120, ...be16(data.length), ...data);
	return Uint8Array.from(out);
}

function setUp(o: { services?: Array<{ type: string; port: number; txt?: string[] }>; name?: string } = {}) {
	FakeUDP.reset();
	const clock = new ManualClock();
	const log: string[] = [];
	let names: string[] = [];
	const responder = new MdnsResponder({
		udp: FakeUDP as never, clock, name: o.name ?? "portier", address: "192.168.1.20",
		services: o.services ?? [{ type: "_http._tcp", port: 80, txt: ["path=/"] }],
		random: () => 0.5, log: (l) => log.push(l), onName: (n) => names.push(n),
	});
	const socket = FakeUDP.made[0];
	const sent = (): Array<Written & { msg: Msg }> => socket.written.map((w) => ({ ...w, msg: parse(w.bytes) }));
	const ready = () => {
		clock.advance(125 + 3 * 250);	// the first probe after 0-250 ms, three in all
		socket.written.length = 0;
	};
	return { clock, responder, socket, sent, ready, log, names: () => names };
}

describe("mDNS responder (RFC 6762) and DNS-SD (RFC 6763)", () => {
	it("joins 224.0.0.251 on port 5353 at the station's address", () => {
		const { socket } = setUp();
		deepEqual([socket.options.multicast, socket.options.port, socket.options.address], ["224.0.0.251", 5353, "192.168.1.20"]);
	});

	it("probes three times 250 ms apart, then announces every record twice, one second apart", () => {
		const { clock, sent, names } = setUp();
		clock.advance(124);
		equal(sent().length, 0, "the first probe waits 0-250 ms");
		clock.advance(1 + 500);
		const probes = sent();
		equal(probes.length, 3);
		for (const p of probes) {
			equal(p.address, "224.0.0.251");
			equal(p.port, 5353);
			equal(p.msg.flags, 0, "a query");
			deepEqual(p.msg.questions.map((q) => [q[0], q[1]]), [["portier.local", ANY], ["portier._http._tcp.local", ANY]]);
			deepEqual(p.msg.authority.map((r) => [r.name, r.type, r.data]), [["portier.local", A, "192.168.1.20"], ["portier._http._tcp.local", SRV, "80 portier.local"]]);
		}
		equal(probes[0].msg.questions[0][2], 0x8001, "the first probe asks for unicast answers (QU)");
		equal(probes[1].msg.questions[0][2], 1);
		equal(names().length, 0, "not announced before the third probe's 250 ms");
		clock.advance(250);
		deepEqual(names(), ["portier"]);
		clock.advance(1000);
		const announcements = sent().slice(3);
		equal(announcements.length, 2);
		for (const a of announcements) {
			equal(a.msg.flags, 0x8400, "an authoritative response");
			deepEqual(a.msg.answers.map((r) => [r.name, r.type, r.data, r.klass, r.ttl]), [
				["portier.local", A, "192.168.1.20", 0x8001, 120],
				["_http._tcp.local", PTR, "portier._http._tcp.local", 1, 4500],
				["portier._http._tcp.local", SRV, "80 portier.local", 0x8001, 120],
				["portier._http._tcp.local", TXT, "path=/", 0x8001, 4500],
				["_services._dns-sd._udp.local", PTR, "_http._tcp.local", 1, 4500],
			]);
		}
		clock.advance(60000);
		equal(sent().length, 5, "then quiet until asked");
	});

	it("answers a question for <name>.local by multicast at once, case-insensitively", () => {
		const { socket, sent, ready, clock } = setUp();
		ready();
		clock.advance(2000);	// past the second announcement's one second
		socket.written.length = 0;
		socket.deliver(query([["PORTIER.local", A]]), "192.168.1.7", 5353);
		const [r] = sent();
		deepEqual([r.address, r.port, r.msg.id], ["224.0.0.251", 5353, 0]);
		deepEqual(r.msg.answers.map((a) => [a.name, a.type, a.data]), [["portier.local", A, "192.168.1.20"]]);
		equal(sent().length, 1);
	});

	it("answers a legacy resolver (not from port 5353) by unicast, with its id, its question and TTLs of 10 s", () => {
		const { socket, sent, ready } = setUp();
		ready();
		socket.deliver(query([["portier.local", A]], [], 0x4242), "192.168.1.7", 40123);
		const [r] = sent();
		deepEqual([r.address, r.port, r.msg.id], ["192.168.1.7", 40123, 0x4242]);
		deepEqual(r.msg.questions, [["portier.local", A, 1]]);
		deepEqual(r.msg.answers.map((a) => [a.data, a.ttl, a.klass]), [["192.168.1.20", 10, 1]], "no cache-flush bit in a unicast DNS answer");
	});

	it("answers by unicast only on its own subnet, and a few a second: no reflector for spoofed queries", () => {
		const { socket, sent, ready, clock } = setUp();
		ready();
		clock.advance(2000);
		socket.written.length = 0;
		socket.deliver(query([["portier.local", A]], [], 7), "10.9.9.9", 40123);
		equal(sent().length, 0, "a legacy query from off the link is not answered");
		socket.deliver(query([["portier.local", A, 0x8001]]), "10.9.9.9", 5353);
		deepEqual(sent().map((s) => s.address), ["224.0.0.251"], "a QU question from off the link gets the multicast answer");
		socket.written.length = 0;
		for (let i = 0; i < 30; i++)
			socket.deliver(query([["portier.local", A]]), "192.168.1.7", 5353);
		equal(sent().length, 0, "multicast queries (answered once a second) spend nothing of the unicast budget");
		for (let i = 0; i < 100; i++)
			socket.deliver(query([["portier.local", A]], [], i), "192.168.1.7", 40123);
		equal(sent().length, 10, "a burst of 10");
		clock.advance(1000);
		for (let i = 0; i < 100; i++)
			socket.deliver(query([["portier.local", A]], [], i), "192.168.1.7", 40123);
		equal(sent().length, 15, "then 5 a second");
	});

	it("answers a QU question by unicast to the querier", () => {
		const { socket, sent, ready } = setUp();
		ready();
		socket.deliver(query([["portier.local", A, 0x8001]]), "192.168.1.7", 5353);
		const [r] = sent();
		deepEqual([r.address, r.port], ["192.168.1.7", 5353]);
	});

	it("browses: the service types, then an instance with its SRV, TXT and address as additional records, after 20-120 ms", () => {
		const { socket, sent, ready, clock } = setUp({ services: [{ type: "_http._tcp", port: 80, txt: ["path=/"] }, { type: "_sip._udp", port: 5060 }, { type: "_sip._tcp", port: 5060 }] });
		ready();
		clock.advance(2000);	// past the second announcement's one second
		socket.written.length = 0;
		socket.deliver(query([["_services._dns-sd._udp.local", PTR]]), "192.168.1.7", 5353);
		equal(sent().length, 0, "shared records wait");
		clock.advance(70);
		deepEqual(sent()[0].msg.answers.map((a) => a.data), ["_http._tcp.local", "_sip._udp.local", "_sip._tcp.local"]);
		socket.written.length = 0;
		socket.deliver(query([["_sip._udp.local", PTR]]), "192.168.1.7", 5353);
		clock.advance(70);
		const m = sent()[0].msg;
		deepEqual(m.answers.map((a) => [a.name, a.data]), [["_sip._udp.local", "portier._sip._udp.local"]]);
		deepEqual(m.additional.map((a) => [a.name, a.type, a.data]), [
			["portier._sip._udp.local", SRV, "5060 portier.local"],
			["portier._sip._udp.local", TXT, ""],
			["portier.local", A, "192.168.1.20"],
		]);
	});

	it("leaves out a shared answer the querier already knows with at least half its TTL (known-answer suppression)", () => {
		const { socket, sent, ready, clock } = setUp();
		ready();
		clock.advance(2000);	// past the second announcement's one second
		socket.written.length = 0;
		socket.deliver(query([["_http._tcp.local", PTR]], [["_http._tcp.local", PTR, 4000, labels("portier._http._tcp.local")]]), "192.168.1.7", 5353);
		clock.advance(200);
		equal(sent().length, 0);
		socket.deliver(query([["_http._tcp.local", PTR]], [["_http._tcp.local", PTR, 1000, labels("portier._http._tcp.local")]]), "192.168.1.7", 5353);
		clock.advance(200);
		equal(sent().length, 1, "a known answer with less than half the TTL is refreshed");
	});

	it("multicasts a record at most once a second, however often it is asked", () => {
		const { socket, sent, ready, clock } = setUp();
		ready();
		clock.advance(2000);	// past the second announcement's one second
		socket.written.length = 0;
		for (let i = 0; i < 100; i++) {
			socket.deliver(query([["portier.local", A]]), "192.168.1.7", 5353);
			clock.advance(10);
		}
		equal(sent().length, 1);
		clock.advance(1000);
		socket.deliver(query([["portier.local", A]]), "192.168.1.7", 5353);
		equal(sent().length, 2);
	});

	it("keeps at most 4 delayed answers waiting", () => {
		const { socket, ready, clock } = setUp({ services: [{ type: "_a._tcp", port: 1 }, { type: "_b._tcp", port: 2 }, { type: "_c._tcp", port: 3 }, { type: "_d._tcp", port: 4 }, { type: "_e._tcp", port: 5 }] });
		ready();
		clock.advance(2000);	// past the second announcement's one second
		const before = clock.pending;
		for (const t of ["_a", "_b", "_c", "_d", "_e"])
			socket.deliver(query([[t + "._tcp.local", PTR]]), "192.168.1.7", 5353);
		equal(clock.pending - before, 4);
	});

	it("does not answer for its names while probing", () => {
		const { socket, sent, clock } = setUp();
		clock.advance(300);
		socket.written.length = 0;
		socket.deliver(query([["portier.local", A]]), "192.168.1.7", 5353);
		equal(sent().filter((s) => s.msg.flags & 0x8000).length, 0);
	});

	it("takes the next name when another host answers for its name with another address, and probes again", () => {
		const { socket, sent, clock, log, names } = setUp();
		clock.advance(400);
		socket.deliver(response([["portier.local", A, [192, 168, 1, 99]]]), "192.168.1.99", 5353);
		ok(log.some((l) => l.includes("portier.local is taken")), log.join("\n"));
		socket.written.length = 0;
		clock.advance(1000 + 3 * 250 + 100);
		deepEqual(names(), ["portier-2"]);
		const probe = sent()[0].msg;
		equal(probe.questions[0][0], "portier-2.local");
		const announcement = sent().find((s) => s.msg.flags === 0x8400)!.msg;
		ok(announcement.answers.some((a) => a.name === "portier-2._http._tcp.local" && a.data === "80 portier-2.local"));
	});

	it("is not put off by its own announcements looped back", () => {
		const { socket, ready, clock, log, names } = setUp();
		ready();
		clock.advance(2000);	// past the second announcement's one second
		for (const w of socket.written.slice())
			socket.deliver(w.bytes, "192.168.1.20", 5353);
		equal(log.filter((l) => l.includes("taken")).length, 0);
		deepEqual(names(), ["portier"]);
	});

	it("says goodbye with TTL 0 when it stops, and closes its socket and timers", () => {
		const { socket, sent, ready, clock, responder } = setUp();
		ready();
		clock.advance(2000);	// past the second announcement's one second
		socket.deliver(query([["_http._tcp.local", PTR]]), "192.168.1.7", 5353);
		socket.written.length = 0;
		responder.close();
		const [bye] = sent();
		ok(bye.msg.answers.length === 5 && bye.msg.answers.every((a) => a.ttl === 0));
		ok(socket.closed);
		equal(clock.pending, 0);
	});

	it("drops datagrams that do not parse, and every mutation of a query, without throwing or answering garbage", () => {
		const { socket, sent, ready, clock, log } = setUp();
		ready();
		clock.advance(2000);	// past the second announcement's one second
		socket.written.length = 0;
		const good = query([["portier.local", A], ["_http._tcp.local", PTR]], [["_http._tcp.local", PTR, 100, labels("x._http._tcp.local")]]);
		let seed = 7;
		const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
		for (let i = 0; i < 2000; i++) {
			const m = good.slice(0, 1 + Math.floor(rnd() * good.length));
			for (let k = 0; k < 3; k++)
				m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
			socket.deliver(m, "192.168.1.7", 5353);
			clock.advance(1);
		}
		socket.deliver(Uint8Array.from([0xC0, 0x0C, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]), "192.168.1.7", 5353);
		clock.advance(2000);
		equal(log.filter((l) => l.startsWith("mdns: ") && !l.includes("answers for")).length, 0, log.join("\n"));
		for (const s of sent())
			ok(s.msg.answers.every((a) => a.name === "portier.local" || a.name.endsWith("._tcp.local") || a.name.startsWith("_services")));
		ok(clock.pending <= 4, "no timers left beyond the bound");
	});
});
