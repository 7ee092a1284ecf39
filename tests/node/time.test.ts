// The station's time (modules/time) in the whole device, on sinon's fake
// timers: a panel-like host whose clock starts at 1970 is set by SNTP, its
// log and status show local time across both daylight-saving changes of a
// European, a US and a southern zone, call schedules use that local time and
// fall back to the configured choice before the clock is set; a PC keeps its
// system time. Then the client against a real SNTP responder on 127.0.0.1,
// and the settings' 400s over the real API.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { UDP } from "../../hosts/node/io.js";
import { Device } from "../../modules/device.js";
import { SntpClient, writeNtp } from "../../modules/time/sntp.js";
import { WallClock } from "../../modules/time/wall-clock.js";
import { parseMessage } from "../../modules/sip/message.js";
import { FakeUDP } from "./fakes.js";
import { admin, startStation } from "./helpers.js";
import { MemoryStorage } from "../lib/memory-storage.js";


const SERVER = "192.0.2.123";

/** A server's answer to the station's last request to SERVER: `trueTime` at the server. */
function answerLast(trueTime: number): boolean {
	for (const socket of FakeUDP.all.slice().reverse()) {
		const request = socket.sent.filter((s) => s.address === SERVER && s.port === 123).at(-1);
		if (!request || socket.closed)
			continue;
		const a = new Uint8Array(48);
		a[0] = (4 << 3) | 4;
		a[1] = 1;
		a.set(request.bytes.subarray(40, 48), 24);
		const view = new DataView(a.buffer);
		writeNtp(view, 32, trueTime);
		writeNtp(view, 40, trueTime);
		socket.deliver(a, SERVER, 123);
		return true;
	}
	return false;
}

function sntpRequests(): number {
	return FakeUDP.all.reduce((n, s) => n + s.sent.filter((x) => x.port === 123).length, 0);
}

describe("the station's time (SNTP, time zone, schedules)", () => {
	let clock: sinon.SinonFakeTimers;
	let devices: Device[] = [];
	let n = 0;

	beforeEach(() => {
		FakeUDP.all = [];
		clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] });
	});
	afterEach(() => {
		for (const d of devices)
			d.stop();
		devices = [];
		clock.restore();
	});

	/** A device on a panel-like host (its clock counts from power-on: sntp) or a PC-like one. */
	function device(panel: boolean | { setSystemTime: (ms: number) => void }, config: Record<string, unknown> = {}): { device: Device; log: string[] } {
		const log: string[] = [];
		const d = new Device({
			udp: FakeUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"),
			relays: { set: () => {} }, storage: new MemoryStorage(), token: () => (++n).toString(16).padStart(32, "0"),
			log: (line) => log.push(line), ...(panel ? { sntp: panel === true ? {} : panel } : {}),
		}, { host: "192.0.2.10", rtpPorts: { first: 40000, last: 40020 }, rtpTimeout: 0, journals: false });
		devices.push(d);
		const result = d.settings.update({ time: { servers: [SERVER], interval: 3600, zone: "UTC0" }, ...config });
		assert.deepEqual(result.errors, []);
		d.start();
		return { device: d, log };
	}

	const ZONES: Array<{ zone: string; spring: string; autumn: string; expect: [string, string, string, string] }> = [
		{ zone: "CET-1CEST,M3.5.0,M10.5.0/3", spring: "2026-03-29T01:00:00Z", autumn: "2026-10-25T01:00:00Z",
			expect: ["2026-03-29 01:59:30 CET", "2026-03-29 03:00:30 CEST", "2026-10-25 02:59:30 CEST", "2026-10-25 02:00:30 CET"] },
		{ zone: "EST5EDT,M3.2.0,M11.1.0", spring: "2026-03-08T07:00:00Z", autumn: "2026-11-01T06:00:00Z",
			expect: ["2026-03-08 01:59:30 EST", "2026-03-08 03:00:30 EDT", "2026-11-01 01:59:30 EDT", "2026-11-01 01:00:30 EST"] },
		// southern hemisphere: daylight time ends in April and starts in October
		{ zone: "AEST-10AEDT,M10.1.0,M4.1.0/3", spring: "2026-10-03T16:00:00Z", autumn: "2026-04-04T16:00:00Z",
			expect: ["2026-10-04 01:59:30 AEST", "2026-10-04 03:00:30 AEDT", "2026-04-05 02:59:30 AEDT", "2026-04-05 02:00:30 AEST"] },
	];

	for (const z of ZONES) {
		it(`a panel set by SNTP shows local time across both changes of ${z.zone}`, () => {
			const { device: d, log } = device(true, { time: { servers: [SERVER], interval: 3600, zone: z.zone } });
			assert.equal(d.time.status().synchronised, false);
			assert.equal(d.time.status().source, "not set");
			assert.equal(d.time.status().local, null);
			clock.tick(1);
			assert.match(d.recentLog().at(-1)!, /^\+\d+ s /, "before SNTP answers: seconds since start");
			// the first change: SNTP answers 30 s before it
			const first = Date.parse(z.spring) < Date.parse(z.autumn) ? z.spring : z.autumn;
			const second = first === z.spring ? z.autumn : z.spring;
			const order = first === z.spring ? [0, 1, 2, 3] : [2, 3, 0, 1];
			assert.ok(answerLast(Date.parse(first) - 30000), "an SNTP request went out");
			const s = d.time.status();
			assert.equal(s.synchronised, true);
			assert.equal(s.source, "SNTP");
			assert.equal(s.server, SERVER);
			assert.equal(s.local + " " + s.abbreviation, z.expect[order[0]]);
			assert.ok(log.some((l) => l.startsWith("time: synchronised with " + SERVER)), log.join("\n"));
			assert.match(d.recentLog().at(-1)!, new RegExp("^" + z.expect[order[0]].slice(0, 16)), "log lines get the local time");
			clock.tick(60000);
			let t = d.time.status();
			assert.equal(t.local + " " + t.abbreviation, z.expect[order[1]]);
			// months later on the panel's own count (its SNTP server gone quiet): the other change
			clock.setSystemTime(Date.now() + (Date.parse(second) - 30000 - d.time.wall.now()));
			t = d.time.status();
			assert.equal(t.local + " " + t.abbreviation, z.expect[order[2]]);
			clock.tick(60000);
			t = d.time.status();
			assert.equal(t.local + " " + t.abbreviation, z.expect[order[3]]);
			assert.equal(t.dst, z.expect[order[3]].endsWith("DT") || z.expect[order[3]].endsWith("CEST"));
		});
	}

	it("SNTP keeps polling at the interval and a later answer steps the clock; the station's timers stay on the host's count", () => {
		const systemTimes: number[] = [];
		const { device: d, log } = device({ setSystemTime: (ms) => systemTimes.push(ms) });
		clock.tick(1);
		const uptimeBefore = Date.now();
		answerLast(Date.parse("2026-06-01T12:00:00Z"));
		assert.equal(Date.now(), uptimeBefore, "the station's own clock does not jump");
		assert.equal(systemTimes.length, 1, "the host is told the time (for its TLS stack)");
		assert.ok(Math.abs(systemTimes[0] - Date.parse("2026-06-01T12:00:00Z")) <= 1, String(systemTimes[0]));
		assert.equal(d.time.status().local, "2026-06-01 12:00:00");
		clock.tick(3600 * 1000);
		assert.ok(answerLast(Date.parse("2026-06-01T13:00:05Z")), "asked again after the poll interval");
		assert.equal(d.time.status().local, "2026-06-01 13:00:05");
		assert.equal(systemTimes.length, 2);
		assert.ok(log.some((l) => /^time: stepped 5000 ms with 192\.0\.2\.123/.test(l)), log.join("\n"));
	});

	it("a PC keeps its system time: no SNTP request, the status says system clock", () => {
		clock.setSystemTime(Date.parse("2026-07-01T10:00:00Z"));
		const { device: d } = device(false, { time: { servers: [SERVER], interval: 3600, zone: "CET-1CEST,M3.5.0,M10.5.0/3" } });
		clock.tick(60000);
		assert.equal(sntpRequests(), 0, "nothing sent to port 123");
		const s = d.time.status();
		assert.deepEqual([s.synchronised, s.source, s.local, s.abbreviation, s.utcOffset, s.sntp], [true, "system clock", "2026-07-01 12:01:00", "CEST", 120, null]);
	});

	it("a panel without servers does not ask, and says why the time is not set", () => {
		const { device: d } = device(true, { time: { servers: [], interval: 3600, zone: "UTC0" } });
		clock.tick(60000);
		assert.equal(sntpRequests(), 0);
		assert.deepEqual([d.time.status().synchronised, d.time.status().sntp], [false, null]);
		// servers set later: asked at once
		d.settings.update({ time: { servers: [SERVER] } });
		clock.tick(1);
		assert.equal(sntpRequests(), 1);
	});

	describe("call schedules", () => {
		const template = { name: "day", numbers: ["192.0.2.61", "192.0.2.62"], windows: [{ days: [0], start: 3 * 60, end: 4 * 60 }] };	// Sundays 03:00-04:00 local
		const station = (fallback?: string) => ({
			station: {
				contacts: ["192.0.2.70", "192.0.2.71"], callMode: "group", schedules: [template],
				inputs: [{ id: 1, kind: "call", activeLevel: 0, debounce: 50, relay: 0, template: "day" }],
				...(fallback ? { scheduleFallback: fallback } : {}),
			},
			time: { servers: [SERVER], interval: 3600, zone: "CET-1CEST,M3.5.0,M10.5.0/3" },
		});
		/** The addresses the station sent INVITEs to, once per call (retransmissions left out). */
		const dialled = () => {
			const calls = new Map<string, string>();
			for (const x of FakeUDP.all.flatMap((s) => s.sent.filter((x) => x.port !== 123 && x.bytes.length > 4))) {
				const m = parseMessage(x.bytes);
				if (m.method === "INVITE" && !calls.has(m.header("Call-ID")!))
					calls.set(m.header("Call-ID")!, m.uriText.replace(/^sip:/, ""));
			}
			return Array.from(calls.values());
		};

		it("before the clock is set, the default fallback calls the contacts as without a template (and says so)", () => {
			const { device: d, log } = device(true, station());
			d.app.station.pressInput(1);
			assert.deepEqual(dialled(), ["192.0.2.70", "192.0.2.71"]);
			assert.ok(log.some((l) => l === "station: input 1: time not set, schedule \"day\" not applied (contacts)"), log.join("\n"));
		});

		it("the fallback is configurable: the template's numbers, or as outside every window", () => {
			const a = device(true, station("template"));
			a.device.app.station.pressInput(1);
			assert.deepEqual(dialled(), ["192.0.2.61", "192.0.2.62"]);
			a.device.stop();
			FakeUDP.all = [];
			const b = device(true, station("outside"));
			b.device.app.station.pressInput(1);
			assert.deepEqual(dialled(), ["192.0.2.70"]);
		});

		it("once synchronised, windows are in the zone's local time, across the spring change", () => {
			const { device: d } = device(true, station("template"));
			clock.tick(1);
			answerLast(Date.parse("2026-03-29T00:59:00Z"));	// 01:59 CET, a Sunday: outside 03:00-04:00
			d.app.station.pressInput(1);
			assert.deepEqual(dialled(), ["192.0.2.70"], "01:59 CET: outside the window, the first contact");
			for (const c of d.app.ua.calls)
				c.hangup();
			clock.tick(60000);	// 01:00 UTC: 03:00 CEST
			d.app.station.pressInput(1);
			assert.deepEqual(dialled(), ["192.0.2.70", "192.0.2.61", "192.0.2.62"], "03:00 CEST: inside");
		});
	});
});

describe("SNTP against a real responder on 127.0.0.1", function () {
	this.timeout(10000);

	it("measures the responder's offset through the Node host's UDP, and the panel's wall clock takes it", async () => {
		const requests: Buffer[] = [];
		const AHEAD = 3600 * 1000 + 250;	// the responder's clock is an hour and 250 ms ahead of this PC's
		const server = dgram.createSocket("udp4");
		server.on("message", (msg, rinfo) => {
			requests.push(msg);
			const a = new Uint8Array(48);
			a[0] = (4 << 3) | 4;
			a[1] = 2;
			a.set(msg.subarray(40, 48), 24);
			const view = new DataView(a.buffer);
			writeNtp(view, 32, Date.now() + AHEAD);
			writeNtp(view, 40, Date.now() + AHEAD);
			server.send(a, rinfo.port, rinfo.address);
		});
		await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
		const port = server.address().port;
		const wall = new WallClock({ clock: nodeClock, zone: "CET-1CEST,M3.5.0,M10.5.0/3" });
		try {
			const sample = await new Promise<{ offset: number; delay: number; stratum: number }>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error("no answer from the responder")), 5000);
				const client: SntpClient = new SntpClient({
					udp: UDP, clock: nodeClock, servers: ["127.0.0.1:" + port], interval: 3600, now: () => wall.now(),
					onTime: (offset, s) => {
						clearTimeout(timer);
						client.stop();
						wall.adjust(offset, s.server);
						resolve(s);
					},
				});
				client.start();
			});
			assert.equal(requests.length, 1);
			assert.equal(requests[0].length, 48);
			assert.equal(requests[0][0], 0x23, "LI 0, VN 4, mode 3");
			assert.ok(Math.abs(sample.offset - AHEAD) < 50, "offset " + sample.offset);
			assert.ok(sample.delay >= 0 && sample.delay < 50, "delay " + sample.delay);
			assert.equal(sample.stratum, 2);
			assert.ok(Math.abs(wall.now() - (Date.now() + AHEAD)) < 50, "the wall clock is the responder's time");
			assert.equal(wall.source, "SNTP");
			assert.equal(wall.server, "127.0.0.1:" + port);
		}
		finally {
			server.close();
		}
	});
});

describe("time settings over the API (npm start)", function () {
	this.timeout(60000);
	let station: Awaited<ReturnType<typeof startStation>>;

	before(async () => {
		station = await startStation();
	});
	after(async () => {
		await station?.stop();
	});

	it("refuses a bad zone, server, interval or server count with 400 naming the field and what is allowed; keeps the stored value", async () => {
		const api = await admin(station.base);
		const cases: Array<[unknown, string, RegExp]> = [
			[{ zone: "Europe/Berlin" }, "time.zone", /a POSIX TZ string such as CET-1CEST,M3\.5\.0,M10\.5\.0\/3/],
			[{ zone: "CET-1CEST" }, "time.zone", /POSIX TZ/],
			[{ servers: ["ntp.example:99999"] }, "time.servers[0]", /optionally with :port \(1-65535\)/],
			[{ servers: ["bad name"] }, "time.servers[0]", /a domain name or an IPv4 address/],
			[{ servers: ["a", "b", "c", "d"] }, "time.servers", /at most 3 servers/],
			[{ interval: 10 }, "time.interval", /^64-86400 seconds$/],
			[{ zone: 5 }, "time.zone", /POSIX TZ/],
		];
		const stored = (await api.request("GET", "/api/config")).data.time;
		for (const [time, field, message] of cases) {
			const r = await api.request("PUT", "/api/config", { time });
			assert.equal(r.status, 400, JSON.stringify(time));
			const errors = (r.data as { errors: Array<{ field: string; message: string }> }).errors;
			assert.equal(errors[0].field, field, JSON.stringify(errors));
			assert.match(errors[0].message, message);
		}
		assert.deepEqual((await api.request("GET", "/api/config")).data.time, stored, "refused changes left the stored settings as they were");
		assert.deepEqual(stored, { servers: ["pool.ntp.org"], interval: 3600, zone: "UTC0" }, "the factory settings");
		const r = await api.request("PUT", "/api/config", { time: { zone: "<+03>-3", servers: ["127.0.0.1:1123"], interval: 600 } });
		assert.equal(r.status, 200, JSON.stringify(r.data));
		const config = await api.request("GET", "/api/config");
		assert.deepEqual((config.data as { time: unknown }).time, { zone: "<+03>-3", servers: ["127.0.0.1:1123"], interval: 600 });
		const status = (await api.request("GET", "/api/status")).data as { time: { synchronised: boolean; source: string; zone: string; abbreviation: string; utcOffset: number; local: string; sntp: unknown }; device: { timeSource: string } };
		assert.deepEqual([status.time.synchronised, status.time.source, status.time.zone, status.time.abbreviation, status.time.utcOffset, status.time.sntp, status.device.timeSource],
			[true, "system clock", "<+03>-3", "+03", 180, null, "system clock"], "a PC: its system time, no SNTP");
		assert.match(status.time.local, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
	});
});

describe("npm start -- --sntp: the panel's client on a PC", function () {
	this.timeout(60000);
	let station: Awaited<ReturnType<typeof startStation>>;
	let server: dgram.Socket;

	before(async () => {
		station = await startStation({ args: ["--sntp"] });
	});
	after(async () => {
		server?.close();
		await station?.stop();
	});

	it("synchronises from an SNTP server on 127.0.0.1 and says so on /api/status", async () => {
		const AHEAD = 2 * 3600 * 1000;	// the responder's clock is two hours ahead of this PC's
		server = dgram.createSocket("udp4");
		server.on("message", (msg, rinfo) => {
			const a = new Uint8Array(48);
			a[0] = (4 << 3) | 4;
			a[1] = 3;
			a.set(msg.subarray(40, 48), 24);
			const view = new DataView(a.buffer);
			writeNtp(view, 32, Date.now() + AHEAD);
			writeNtp(view, 40, Date.now() + AHEAD);
			server.send(a, rinfo.port, rinfo.address);
		});
		await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
		const api = await admin(station.base);
		const before = (await api.request("GET", "/api/status")).data.time;
		assert.deepEqual([before.synchronised, before.source], [false, "not set"], "a panel's clock until SNTP answers");
		const entry = "127.0.0.1:" + server.address().port;
		assert.equal((await api.request("PUT", "/api/config", { time: { servers: [entry] } })).status, 200);
		let t = before;
		for (const deadline = Date.now() + 5000; !t.synchronised && Date.now() < deadline;) {
			await new Promise((r) => setTimeout(r, 50));
			t = (await api.request("GET", "/api/status")).data.time;
		}
		assert.deepEqual([t.synchronised, t.source, t.server], [true, "SNTP", entry], JSON.stringify(t));
		assert.ok(Math.abs(t.now - (Date.now() + AHEAD)) < 1000, "the station's wall clock is the server's");
	});
});
