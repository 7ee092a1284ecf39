// A bounded flood against the station as users start it (`npm start`),
// loopback only: for 20 s, OPTIONS at 500/s from 127.0.0.2 and direct INVITEs
// at 50/s from 127.0.0.3 (Linux routes all of 127.0.0.0/8 to lo; the station
// and Kamailio stay on 127.0.0.1, so the flooders are strangers with their
// own addresses). Meanwhile Account 1 stays registered to Kamailio (as
// Kamailio's location table and /api/status show, every second), a call
// from a Kamailio user rings the station and is answered, and the
// administrator can log in. Afterwards the station is idle again.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type AdminClient, admin, freePort, startStation } from "../node/helpers.js";
import { type Kamailio, USERS, kamailioInstalled, locations, startKamailio } from "./kamailio.js";
import { type Running, installed, scenarioWith, sipp } from "./peers.js";

type Station = Awaited<ReturnType<typeof startStation>>;

const FLOOD_MS = 20000;
const OPTIONS_RATE = 500;
const INVITE_RATE = 50;
const PASSWORD = "door-admin-1";

/** One flooding socket on its own loopback address: what it sent, and the answers by Call-ID. */
class Flooder {
	readonly socket = dgram.createSocket("udp4");
	sent = 0;
	/** Call-ID -> statuses received (in order, repeats included). */
	readonly answers = new Map<string, number[]>();
	#timer: NodeJS.Timeout | undefined;
	#finish: (() => void) | undefined;

	constructor(readonly address: string, readonly target: number, readonly method: "OPTIONS" | "INVITE") {
		this.socket.on("message", (m) => {
			const text = m.toString("latin1");
			if (!text.startsWith("SIP/2.0 "))
				return;
			const callId = /\r\nCall-ID: *([^\r]+)/i.exec(text)?.[1] ?? "?";
			const list = this.answers.get(callId) ?? [];
			list.push(Number(text.slice(8, 11)));
			this.answers.set(callId, list);
		});
	}

	bind(): Promise<void> {
		return new Promise((resolve) => this.socket.bind(0, this.address, () => resolve()));
	}

	get port(): number {
		return this.socket.address().port;
	}

	request(n: number): Buffer {
		const host = this.address;
		const lines = [
			`${this.method} sip:door@127.0.0.1:${this.target} SIP/2.0`,
			`Via: SIP/2.0/UDP ${host}:${this.port};rport;branch=z9hG4bK-flood-${this.method}-${n}`,
			"Max-Forwards: 70",
			`From: "flood" <sip:${100 + (n % 900)}@${host}>;tag=f${n}`,
			`To: <sip:door@127.0.0.1:${this.target}>`,
			`Call-ID: flood-${this.method}-${n}@${host}`,
			`CSeq: 1 ${this.method}`,
		];
		if (this.method === "INVITE") {
			const sdp = ["v=0", `o=flood ${n} 1 IN IP4 ${host}`, "s=-", `c=IN IP4 ${host}`, "t=0 0", "m=audio 9 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", ""].join("\r\n");
			lines.push(`Contact: <sip:flood@${host}:${this.port}>`, "Content-Type: application/sdp", `Content-Length: ${sdp.length}`, "", sdp);
			return Buffer.from(lines.join("\r\n"));
		}
		lines.push("Content-Length: 0", "", "");
		return Buffer.from(lines.join("\r\n"));
	}

	/** Send at `rate` per second for `ms`, then stop by itself; resolves when the last one went out. */
	run(rate: number, ms: number): Promise<void> {
		const total = Math.round(rate * ms / 1000);
		const started = Date.now();
		return new Promise((resolve) => {
			this.#finish = resolve;
			this.#timer = setInterval(() => {
				const due = Math.min(total, Math.floor((Date.now() - started) * rate / 1000));
				while (this.sent < due)
					this.socket.send(this.request(this.sent++), this.target, "127.0.0.1");
				if (this.sent >= total || Date.now() - started > ms + 2000) {
					clearInterval(this.#timer);
					resolve();
				}
			}, 10);
		});
	}

	/** Requests answered with a final response, and how: {"200": n, "486": m, ...} (one per request, its first final). */
	finals(): { answered: number; by: Record<string, number>; provisional: Record<string, number> } {
		const by: Record<string, number> = {};
		const provisional: Record<string, number> = {};
		let answered = 0;
		for (const statuses of this.answers.values()) {
			for (const s of new Set(statuses.filter((x) => x < 200)))
				provisional[s] = (provisional[s] ?? 0) + 1;
			const final = statuses.find((x) => x >= 200);
			if (final !== undefined) {
				answered++;
				by[final] = (by[final] ?? 0) + 1;
			}
		}
		return { answered, by, provisional };
	}

	/** Stop sending (a run in progress ends) and close the socket. */
	close(): void {
		clearInterval(this.#timer);
		this.#finish?.();
		this.socket.close();
	}
}

/** A stranger's INVITE from `address`: does it ring now? Cancelled (and the 487 acknowledged) once it does. */
async function ringsFrom(address: string, station: Station): Promise<number[]> {
	const f = new Flooder(address, station.sipPort, "INVITE");
	await f.bind();
	try {
		const invite = f.request(1_000_000);
		const callId = `flood-INVITE-1000000@${address}`;
		f.socket.send(invite, station.sipPort, "127.0.0.1");
		const statuses = () => f.answers.get(callId) ?? [];
		const deadline = Date.now() + 5000;
		while (!statuses().some((s) => s >= 180) && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 25));
		if (statuses().includes(180)) {
			const head = (method: string) => [`${method} sip:door@127.0.0.1:${station.sipPort} SIP/2.0`, `Via: SIP/2.0/UDP ${address}:${f.port};rport;branch=z9hG4bK-flood-INVITE-1000000`,
				"Max-Forwards: 70", `From: "flood" <sip:${100 + (1_000_000 % 900)}@${address}>;tag=f1000000`, `To: <sip:door@127.0.0.1:${station.sipPort}>${method === "ACK" ? ";tag=" + toTag : ""}`,
				`Call-ID: ${callId}`, `CSeq: 1 ${method}`, "Content-Length: 0", "", ""].join("\r\n");
			let toTag = "";
			f.socket.on("message", (m) => { toTag = /\r\nTo:[^\r]*;tag=([^;\r]+)/i.exec(m.toString("latin1"))?.[1] ?? toTag; });
			f.socket.send(Buffer.from(head("CANCEL")), station.sipPort, "127.0.0.1");
			const until487 = Date.now() + 5000;
			while (!statuses().includes(487) && Date.now() < until487)
				await new Promise((r) => setTimeout(r, 25));
			f.socket.send(Buffer.from(head("ACK")), station.sipPort, "127.0.0.1");
		}
		return statuses();
	}
	finally {
		f.close();
	}
}

/** An OPTIONS from `address`, sent every 500 ms until answered (at most `ms`): its status, or 0. */
async function optionsFrom(address: string, station: Station, ms = 5000): Promise<number> {
	const f = new Flooder(address, station.sipPort, "OPTIONS");
	await f.bind();
	try {
		const deadline = Date.now() + ms;
		for (let n = 2_000_000; Date.now() < deadline; n++) {
			f.socket.send(f.request(n), station.sipPort, "127.0.0.1");
			const until = Date.now() + 500;
			while (Date.now() < until && !f.answers.size)
				await new Promise((r) => setTimeout(r, 20));
			const first = [...f.answers.values()][0];
			if (first)
				return first[0];
		}
		return 0;
	}
	finally {
		f.close();
	}
}

describe("a bounded flood (loopback, 20 s) against npm start registered to Kamailio", function () {
	this.timeout(240000);
	let kamailio: Kamailio | undefined;
	let station: Station | undefined;
	let api: AdminClient;
	const running: Running[] = [];
	const flooders: Flooder[] = [];

	before(function () {
		if (!kamailioInstalled() || !installed("sipp") || !installed("kamcmd", ["-V"])) {
			process.stdout.write("\n  flood: skipped: kamailio, kamcmd or sipp is not installed\n");
			this.skip();
		}
	});
	after(async () => {
		for (const f of flooders.splice(0))
			f.close();
		for (const r of running.splice(0))
			await r.stop();
		await station?.stop();
		await kamailio?.stop();
	});

	it("stays registered, rings and answers a call through Kamailio, lets the administrator in, answers strangers within their budgets, and is idle afterwards", async () => {
		const kamailioPort = await freePort();
		kamailio = await startKamailio({ udpPort: kamailioPort, tcpPort: await freePort(), control: true, minExpires: 30 });
		station = await startStation();
		api = await admin(station.base, PASSWORD);
		const set = await api.request("PUT", "/api/config", {
			accounts: { "1": { enabled: true, server: "127.0.0.1", port: kamailioPort, registerName: "door", password: USERS.door, expires: 30 } },
			station: { autoAnswerSip: { enabled: true, delay: 0, mode: "audio" } },
		});
		assert.equal(set.status, 200, JSON.stringify(set.data));
		const status = async () => (await api.request("GET", "/api/status")).data as {
			registrations: Array<{ id: string; registered: boolean }>; calls: Array<{ state: string; account: string | null }>; relays: Array<{ active: boolean }>; log: string[];
			sip: { transactions: { client: number; server: number; cached: number }; dialogs: number; calls: number; trackedSources: number; dropped: number };
		};
		const deadline = Date.now() + 10000;
		while (!(await status()).registrations.find((r) => r.id === "1")?.registered) {
			assert.ok(Date.now() < deadline, "Account 1 registered to Kamailio: " + kamailio.output().slice(-1500));
			await new Promise((r) => setTimeout(r, 100));
		}
		assert.equal((await locations(kamailio, "door")).length, 1, "Kamailio has the station's binding");
		const registrations = () => (kamailio!.output().match(/registered sip:door@127\.0\.0\.1/g) ?? []).length;

		// the flood, bounded in count and time: it stops by itself after FLOOD_MS
		const options = new Flooder("127.0.0.2", station.sipPort, "OPTIONS");
		const invites = new Flooder("127.0.0.3", station.sipPort, "INVITE");
		flooders.push(options, invites);
		await Promise.all([options.bind(), invites.bind()]);
		const registeredBefore = registrations();
		const floodStart = Date.now();
		const flood = Promise.all([options.run(OPTIONS_RATE, FLOOD_MS), invites.run(INVITE_RATE, FLOOD_MS)]);
		let flooding = true;
		void flood.then(() => { flooding = false; });

		// every second while it lasts: Kamailio's location table and the station's status
		const watch = { polls: 0, kamailioMissing: 0, stationUnregistered: 0, statusMs: [] as number[], minExpires: Infinity };
		const failures: unknown[] = [];
		const watching = (async () => {
			while (flooding) {
				const t0 = Date.now();
				const s = await status();
				watch.statusMs.push(Date.now() - t0);
				const bindings = await locations(kamailio!, "door");
				watch.polls++;
				if (!s.registrations.find((r) => r.id === "1")?.registered)
					watch.stationUnregistered++;
				const live = bindings.filter((b) => b.expires > 0);
				if (live.length === 0)
					watch.kamailioMissing++;
				else
					watch.minExpires = Math.min(watch.minExpires, ...live.map((b) => b.expires));
				await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
			}
		})().catch((e: unknown) => { failures.push(e); });

		// the administrator logs in every 2 s
		const logins: Array<{ status: number; ms: number }> = [];
		const loggingIn = (async () => {
			while (flooding) {
				const t0 = Date.now();
				const r = await fetch(station!.base + "/api/session", { method: "POST", body: JSON.stringify({ password: PASSWORD }) });
				const body = await r.text();
				logins.push({ status: r.status, ms: Date.now() - t0 });
				// and out again: the station keeps a few sessions, the oldest (the test's own) would go
				if (r.status === 200) {
					const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0];
					const out = await fetch(station!.base + "/api/session", { method: "DELETE", headers: { cookie, "x-csrf-token": (JSON.parse(body) as { csrf: string }).csrf } });
					await out.text();
					assert.equal(out.status, 200, "logged out");
				}
				await new Promise((resolve) => setTimeout(resolve, 2000));
			}
		})().catch((e: unknown) => { failures.push(e); });

		// 5 s into the flood, a Kamailio user (1001, registered with digest) calls the station's account
		await new Promise((r) => setTimeout(r, 5000));
		const callerPort = await freePort();
		const registration = sipp(scenarioWith("register-auth.xml", { EXPECTED: "200", EXPIRES: "60", CONTACT_PORT: String(callerPort) }), await freePort(), "127.0.0.1:" + kamailioPort, ["-s", "1001", "-au", "1001", "-ap", USERS["1001"]]);
		running.push(registration);
		assert.equal(await registration.exited, 0, "1001 registered to Kamailio: " + registration.output().slice(-1500));
		const call = sipp(scenarioWith("uac-call.xml", { HOLD_MS: "2000" }), callerPort, "127.0.0.1:" + kamailioPort, ["-s", "door", "-mp", String(await freePort()), "-trace_msg"]);
		running.push(call);
		let answeredInStatus = false;
		while (call.child.exitCode === null && call.child.signalCode === null) {
			if ((await status()).calls.some((c) => c.state === "answered" && c.account === "1"))
				answeredInStatus = true;
			await new Promise((r) => setTimeout(r, 100));
		}
		const callCode = await call.exited;
		const callEnded = Date.now() - floodStart;
		assert.equal(callCode, 0, "the call through Kamailio was answered and ended: " + call.output().slice(-1500));
		const trace = readFileSync(join(call.dir, readdirSync(call.dir).find((f) => f.endsWith("_messages.log"))!), "latin1");
		// auto-answered at once: the door rang (its log), and the 200 went alone (no 180 before an answer in the same receive)
		assert.match(station!.output(), /call incoming .* ringing/, "it rang");
		assert.match(trace, /SIP\/2\.0 200 [^\n]*\n(?:[^\n]*\n)*?CSeq: 1 INVITE/, "it was answered (200)");
		assert.ok(answeredInStatus, "/api/status showed the answered call on Account 1");

		await flood;
		await Promise.all([watching, loggingIn]);
		const floodMs = Date.now() - floodStart;
		assert.ok(callEnded < floodMs, "the call happened during the flood");
		const refreshes = registrations() - registeredBefore;

		// afterwards: the stranger's ringing call ends (Dial In Time, 60 s), budgets refill, a stranger rings again
		const idleDeadline = Date.now() + 75000;
		let after = await status();
		while (after.calls.length > 0) {
			assert.ok(Date.now() < idleDeadline, "no call left: " + JSON.stringify(after.calls));
			await new Promise((r) => setTimeout(r, 500));
			after = await status();
		}
		const idleAfter = Date.now() - floodStart - floodMs;
		const optionsAgain = await optionsFrom("127.0.0.2", station);
		const ringsAgain = await ringsFrom("127.0.0.3", station);
		await new Promise((r) => setTimeout(r, 300));
		after = await status();

		const o = options.finals();
		const i = invites.finals();
		const latency = logins.map((l) => l.ms);
		const floodLines = station.output().split("\n").filter((l) => /too many requests|refused|not auto-answered|no call slot/.test(l));
		const summary = `flood ${(floodMs / 1000).toFixed(1)} s: OPTIONS answered ${o.answered}/${options.sent} (${JSON.stringify(o.by)}); ` +
			`INVITEs answered ${i.answered}/${invites.sent} (finals ${JSON.stringify(i.by)}, provisional ${JSON.stringify(i.provisional)}); ` +
			`registration refreshes ${refreshes}, registered at all ${watch.polls} polls (Kamailio missing ${watch.kamailioMissing}, station unregistered ${watch.stationUnregistered}, least expiry left ${watch.minExpires} s); ` +
			`call through Kamailio answered; logins ${logins.length} (${logins.map((l) => l.status).join(",")}) in ${Math.min(...latency)}-${Math.max(...latency)} ms; ` +
			`status ${Math.max(...watch.statusMs)} ms at most; idle ${(idleAfter / 1000).toFixed(1)} s after; flood log lines ${floodLines.length}`;
		console.log("      " + summary);
		console.log("      the flood's log lines: " + floodLines.map((l) => l.replace(/^\S+Z /, "")).join(" | "));
		// and the SIP layer's tables come back to idle once their timers have run (dialogs and
		// the retransmission cache keep their entries 64*T1 = 32 s)
		const tablesDeadline = Date.now() + 45000;
		let tables = (await status()).sip;
		while (tables.transactions.server + tables.transactions.cached + tables.dialogs + tables.calls > 0) {
			assert.ok(Date.now() < tablesDeadline, "the SIP tables came back to idle: " + JSON.stringify(tables));
			await new Promise((r) => setTimeout(r, 1000));
			tables = (await status()).sip;
		}
		console.log("      SIP tables after the flood: " + JSON.stringify(tables));

		assert.deepEqual(failures.map(String), [], "the status, Kamailio's table and the login could be read all along");
		// registered the whole time, in both views, and refreshed during the flood
		assert.ok(watch.polls >= 15, "watched every second: " + watch.polls);
		assert.equal(watch.kamailioMissing, 0, "Kamailio had the binding at every poll");
		assert.equal(watch.stationUnregistered, 0, "the station said registered at every poll");
		assert.ok(refreshes >= 1, "the registration was refreshed during the flood (30 s, refreshed after 15 s)");
		// the administrator got in every time, quickly
		assert.ok(logins.length >= 5 && logins.every((l) => l.status === 200), JSON.stringify(logins));
		assert.ok(Math.max(...latency) < 2000, "logins took " + latency.join(", ") + " ms");
		// strangers got what their budget allows (10/s, 20 at once), not more, and not nothing
		const budget = 20 + 10 * (floodMs / 1000 + 1);
		assert.ok(o.answered <= budget && o.answered >= 0.5 * 10 * FLOOD_MS / 1000, `OPTIONS answered ${o.answered} of ${options.sent}, budget ${budget}`);
		assert.deepEqual(Object.keys(o.by), ["200"]);
		assert.ok(i.answered <= budget, `INVITEs answered ${i.answered}`);
		assert.equal(i.by["200"] ?? 0, 0, "no stranger's INVITE answered with 200");
		// idle again: no call, the strangers' budgets refilled, the stranger's call slot free, still registered
		assert.equal(optionsAgain, 200, "127.0.0.2 is answered again");
		assert.ok(ringsAgain.includes(180) && ringsAgain.includes(487), "127.0.0.3 may ring again (then cancelled): " + ringsAgain.join(","));
		assert.deepEqual(after.calls, []);
		assert.equal(after.relays[0].active, false);
		assert.ok(after.registrations.find((r) => r.id === "1")?.registered);
		assert.ok((await locations(kamailio, "door")).some((b) => b.expires > 0));
		assert.ok(floodLines.length <= 8, "the flood cost a few log lines:\n" + floodLines.join("\n"));
		assert.deepEqual(station.output().split("\n").filter((l) => /ua error|exception|uncaught/i.test(l)), []);
	});
});
