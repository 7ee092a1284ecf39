// The SNTP client (modules/time/sntp.ts) against a fake ECMA-419 UDP class and
// a manual clock: the request it sends, the answers it takes and refuses
// (RFC 4330 §5), kiss-o'-death (RFC 5905 §7.4), no answer -> the next server,
// then a back-off that doubles, and the offset it measures. Plain code: runs
// under mocha and inside XS.
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { SntpClient, type SntpSample, ntpToMs, splitServer, writeNtp } from "../../modules/time/sntp.js";
import { FakeUDP, type Written } from "../lib/fake-udp.js";
import type { DnsClient } from "../../modules/sip/resolver.js";

/** A request the client wrote, and when by the station's clock. */
interface Request extends Written {
	at: number;
}

let requests: Request[] = [];
let clock = new ManualClock();

/** The true time of the test's world; the station's clock (ManualClock) starts at 0, 1970. */
const TRUE_START = Date.UTC(2026, 11, 2, 12, 0, 0);

/** A server's answer to a request: mode 4, stratum 2, originate = the request's transmit timestamp. */
function answer(r: Request, o: { mode?: number; stratum?: number; li?: number; kiss?: string; zeroTransmit?: boolean; originate?: "wrong"; version?: number } = {}): Uint8Array {
	const a = new Uint8Array(48);
	a[0] = ((o.li ?? 0) << 6) | ((o.version ?? 4) << 3) | (o.mode ?? 4);
	a[1] = o.stratum ?? 2;
	if (o.kiss) {
		a[1] = 0;
		for (let i = 0; i < 4; i++)
			a[12 + i] = o.kiss.charCodeAt(i);
	}
	for (let i = 0; i < 8; i++)
		a[24 + i] = r.bytes[40 + i];
	if (o.originate === "wrong")
		a[31] ^= 1;
	const view = new DataView(a.buffer);
	const now = TRUE_START + clock.now();
	writeNtp(view, 32, now);
	if (!o.zeroTransmit)
		writeNtp(view, 40, now);
	return a;
}

function client(servers: string[], o: { dns?: DnsClient; interval?: number; random?: () => string } = {}) {
	const samples: SntpSample[] = [];
	const log: string[] = [];
	const c = new SntpClient({
		udp: FakeUDP as never, clock, servers, interval: o.interval ?? 3600, dns: o.dns, random: o.random,
		onTime: (_offset, sample) => samples.push(sample), log: (l) => log.push(l),
	});
	return { c, samples, log };
}

/** A fresh world for each test (the XS harness has no beforeEach). */
function reset(): void {
	requests = [];
	clock = new ManualClock();
	FakeUDP.reset();
	FakeUDP.onWrite = (w) => requests.push({ ...w, at: clock.now() });
}

describe("SNTP client (RFC 4330)", () => {
	it("sends a client-mode NTPv4 request to port 123 and measures the offset of a good answer", () => {
		reset();
		const { c, samples } = client(["192.0.2.123"]);
		c.start();
		clock.advance(0);
		equal(requests.length, 1);
		const r = requests[0];
		deepEqual([r.address, r.port, r.bytes.length, r.bytes[0]], ["192.0.2.123", 123, 48, 0x23], "LI 0, VN 4, mode 3");
		ok(r.bytes.slice(40).some((b) => b !== 0), "a transmit timestamp to echo");
		clock.advance(20);	// 20 ms out, the server answers at once, 20 ms back
		const a = answer(r);
		clock.advance(20);
		r.socket.deliver(a, "192.0.2.123", 123);
		equal(samples.length, 1);
		const s = samples[0];
		deepEqual([s.server, s.address, s.stratum, Math.round(s.delay)], ["192.0.2.123", "192.0.2.123", 2, 40]);
		ok(Math.abs(s.offset - TRUE_START) <= 1, "offset: the true time minus the station's " + s.offset);
		ok(r.socket.closed, "the socket is closed between polls");
		equal(c.status.error, "");
		equal(c.status.retry, 3600);
		clock.advance(3600 * 1000 - 1);
		equal(requests.length, 1, "nothing before the poll interval");
		clock.advance(1);
		equal(requests.length, 2, "asks again after the interval");
		c.stop();
		clock.advance(10 * 3600 * 1000);
		equal(requests.length, 2, "stopped: asks no more");
	});

	it("puts 64 random bits in the transmit timestamp when the host has randomness, and wants them echoed", () => {
		reset();
		const { c, samples } = client(["192.0.2.123"], { random: () => "0123456789abcdef" });
		c.start();
		clock.advance(0);
		deepEqual(Array.from(requests[0].bytes.slice(40)), [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
		requests[0].socket.deliver(answer(requests[0], { originate: "wrong" }), "192.0.2.123", 123);
		equal(samples.length, 0, "an answer to another request (or a forger's) is ignored");
		requests[0].socket.deliver(answer(requests[0]), "192.0.2.9", 123);
		equal(samples.length, 0, "an answer from another address is ignored");
		requests[0].socket.deliver(answer(requests[0]), "192.0.2.123", 123);
		equal(samples.length, 1, "the real answer still counts");
		c.stop();
	});

	it("refuses answers that fail the sanity checks, and asks the next server at once", () => {
		reset();
		const cases: Array<[Parameters<typeof answer>[1], string]> = [
			[{ mode: 3 }, "mode 3 (not a server's answer)"],
			[{ mode: 5 }, "mode 5 (not a server's answer)"],
			[{ version: 2 }, "version 2"],
			[{ li: 3 }, "server not synchronised (leap indicator 3)"],
			[{ stratum: 16 }, "stratum 16 (not synchronised)"],
			[{ zeroTransmit: true }, "zero transmit timestamp"],
		];
		for (const [bad, reason] of cases) {
			requests = [];
			const { c, samples } = client(["192.0.2.1", "192.0.2.2"]);
			c.start();
			clock.advance(0);
			requests[0].socket.deliver(answer(requests[0], bad), "192.0.2.1", 123);
			equal(samples.length, 0, reason);
			equal(c.status.error, reason);
			equal(requests.length, 2, "the next server at once: " + reason);
			equal(requests[1].address, "192.0.2.2");
			requests[1].socket.deliver(answer(requests[1]), "192.0.2.2", 123);
			equal(samples.length, 1);
			equal(samples[0].server, "192.0.2.2");
			c.stop();
		}
	});

	it("kiss-o'-death: DENY and RSTR servers are never asked again; RATE slows the retries", () => {
		reset();
		const { c, samples, log } = client(["192.0.2.1", "192.0.2.2"]);
		c.start();
		clock.advance(0);
		requests[0].socket.deliver(answer(requests[0], { kiss: "DENY" }), "192.0.2.1", 123);
		equal(samples.length, 0, "a kiss-o'-death sets no time");
		ok(log.some((l) => /192\.0\.2\.1 refuses to serve \(kiss-o'-death DENY\)/.test(l)), log.join("\n"));
		deepEqual(c.status.denied, ["192.0.2.1"]);
		equal(requests[1].address, "192.0.2.2");
		requests[1].socket.deliver(answer(requests[1], { kiss: "RATE" }), "192.0.2.2", 123);
		equal(c.status.error, "kiss-o'-death RATE");
		// round failed: the retry after RATE's doubling is 32 s, not 16
		clock.advance(31999);
		equal(requests.length, 2);
		clock.advance(1);
		equal(requests.length, 3);
		deepEqual(requests.map((r) => r.address), ["192.0.2.1", "192.0.2.2", "192.0.2.2"], "the denied server is skipped");
		requests[2].socket.deliver(answer(requests[2], { kiss: "RSTR" }), "192.0.2.2", 123);
		deepEqual(c.status.denied, ["192.0.2.1", "192.0.2.2"]);
		clock.advance(24 * 3600 * 1000);
		equal(requests.length, 3, "every server refused us: no more requests");
		c.stop();
	});

	it("no answer: the next server after 3 s; a failed round is retried after 16 s, doubling up to the poll interval", () => {
		reset();
		const { c, samples } = client(["192.0.2.1", "192.0.2.2"], { interval: 100 });
		c.start();
		clock.advance(0);
		const times: number[] = [];
		for (let i = 0; i < 12; i++) {
			// answer nothing: record when each request went out
			clock.advance(200 * 1000);
		}
		for (const r of requests)
			times.push(r.at / 1000);
		// round 1 at 0 and 3 s (3 s each without an answer), then back-offs of 16, 32, 64 s, then the interval (100 s)
		deepEqual(times.slice(0, 10), [0, 3, 22, 25, 60, 63, 130, 133, 236, 239]);
		equal(samples.length, 0);
		equal(c.status.error, "no answer");
		// a good answer: the next poll after the interval, and a later failure starts again at 16 s
		const before = requests.length;
		while (requests.length === before)
			clock.advance(1000);
		const r = requests[before];
		ok(r, "the next round's request");
		r.socket.deliver(answer(r), r.address, 123);
		equal(samples.length, 1);
		const answered = clock.now();
		clock.advance(100 * 1000);
		equal(requests.length, before + 2, "asked again after the interval");
		equal(requests[before + 1].at - answered, 100 * 1000);
		clock.advance(6000 + 16000);
		equal(requests[before + 3].at - requests[before + 2].at, 3000 + 16000, "the back-off starts again at 16 s");
		c.stop();
		ok(requests[requests.length - 1].socket.closed, "stop closes the socket");
	});

	it("server names go through the host's resolver (A record); without one, names fail and addresses still work", () => {
		reset();
		const asked: string[] = [];
		const dns: DnsClient = { a: (name, cb) => { asked.push(name); cb(name === "ntp.example" ? ["192.0.2.50"] : []); } };
		const { c, samples } = client(["nowhere.example", "ntp.example:1123"], { dns });
		c.start();
		clock.advance(0);
		deepEqual(asked, ["nowhere.example", "ntp.example"]);
		equal(requests.length, 1);
		deepEqual([requests[0].address, requests[0].port], ["192.0.2.50", 1123]);
		requests[0].socket.deliver(answer(requests[0]), "192.0.2.50", 1123);
		equal(samples[0].server, "ntp.example:1123");
		c.stop();
		// a resolver that never answers: the next server after the lookup's time-out
		const silent = client(["quiet.example", "192.0.2.8"], { dns: { a: () => { /* never answers */ } } });
		silent.c.start();
		clock.advance(14999);
		equal(requests.length, 1);
		clock.advance(1);
		deepEqual(requests.slice(1).map((r) => r.address), ["192.0.2.8"]);
		silent.c.stop();
		requests = [];
		const bare = client(["pool.ntp.org", "192.0.2.7"]);
		bare.c.start();
		clock.advance(0);
		deepEqual(requests.map((r) => r.address), ["192.0.2.7"]);
		equal(bare.c.status.server, "192.0.2.7");
		bare.c.stop();
	});

	it("NTP timestamps: eras by RFC 4330 §3, and server entries with ports", () => {
		reset();
		equal(ntpToMs(2208988800, 0), 0);
		equal(ntpToMs(0xE6000000, 0x80000000), (0xE6000000 - 2208988800) * 1000 + 500);
		// after 7 February 2036 06:28:16 UTC the seconds wrap: MSB clear means era 1
		equal(new Date(ntpToMs(0, 0)).toISOString(), "2036-02-07T06:28:16.000Z");
		equal(new Date(ntpToMs(1000, 0)).toISOString(), "2036-02-07T06:44:56.000Z");
		const view = new DataView(new ArrayBuffer(8));
		writeNtp(view, 0, Date.UTC(2040, 0, 1));
		equal(new Date(ntpToMs(view.getUint32(0), view.getUint32(4))).toISOString(), "2040-01-01T00:00:00.000Z");
		deepEqual(splitServer("pool.ntp.org"), { host: "pool.ntp.org", port: 123 });
		deepEqual(splitServer("127.0.0.1:1123"), { host: "127.0.0.1", port: 1123 });
		equal(splitServer("host:0"), undefined);
		equal(splitServer("host:70000"), undefined);
	});
});
