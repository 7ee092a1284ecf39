// SIP scanners against the station as users start it (`npm start` on
// 127.0.0.1): sipvicious (svmap, svwar) and SIPp callers that key the door
// code if they are ever answered. With factory defaults (and a door code an
// installer set) no stranger's call is answered and no door opens; with
// "Prevent SIP hacking" every stranger's INVITE gets 403 before anything
// rings; a whitelisted caller is answered and opens the door (the control
// that proves the other tests can fail). Every scanner is aimed at exactly
// 127.0.0.1 and the station's port, bound to 127.0.0.1, and stops by itself.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type AdminClient, admin, freePort, startStation } from "../node/helpers.js";
import { type Running, installed, run, scenarioWith, sipp } from "./peers.js";

type Station = Awaited<ReturnType<typeof startStation>>;

interface Response { status: number; method: string }

/** The responses in a text that holds SIP messages (sipvicious' debug output, SIPp's message trace). */
function responsesIn(text: string): Response[] {
	const found: Response[] = [];
	const parts = text.split("SIP/2.0 ");	// a status line; "SIP/2.0/UDP" in a Via does not split
	for (const part of parts.slice(1)) {
		const status = Number(part.slice(0, 3));
		if (!(status >= 100 && status < 700))
			continue;
		const cseq = /CSeq: *\d+ +([A-Z]+)/.exec(part);
		found.push({ status, method: cseq ? cseq[1] : "?" });
	}
	return found;
}

/** The responses SIPp received (its -trace_msg log). */
function received(peer: Running): Response[] {
	const file = readdirSync(peer.dir).find((f) => f.endsWith("_messages.log"));
	if (!file)
		return [];
	const text = readFileSync(join(peer.dir, file), "latin1");
	return text.split(/UDP message (?=received|sent)/).filter((m) => m.startsWith("received")).flatMap((m) => responsesIn(m));
}

/** Requests SIPp sent, by method. */
function sentRequests(peer: Running, method: string): number {
	const file = readdirSync(peer.dir).find((f) => f.endsWith("_messages.log"));
	if (!file)
		return 0;
	const text = readFileSync(join(peer.dir, file), "latin1");
	return text.split(/UDP message (?=received|sent)/).filter((m) => m.startsWith("sent") && m.includes("\n" + method + " sip:")).length;
}

const count = (list: Response[], status: number | ((s: number) => boolean), method = "INVITE") =>
	list.filter((r) => r.method === method && (typeof status === "number" ? r.status === status : status(r.status))).length;

/** Wait for a process to end by itself, or stop it after `ms` (every load here is bounded in time). */
async function finished(peer: Running, ms: number): Promise<number> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<number>((resolve) => { timer = setTimeout(() => void peer.stop().then(() => resolve(-1)), ms); });
	const code = await Promise.race([peer.exited, late]);
	clearTimeout(timer);
	return code;
}

/**
 * svmap or svwar aimed at exactly 127.0.0.1 and the station's port, bound to
 * 127.0.0.1 (its Via says so too), printing what it receives.
 */
async function sipvicious(tool: "svmap" | "svwar", station: Station, extra: string[]): Promise<{ peer: Running; responses: Response[] }> {
	const bind = ["-b", "127.0.0.1", "-x", "127.0.0.1", "-P", String(await freePort())];
	const args = tool === "svmap" ?
		[...bind, "-d", ...extra, "-p" + station.sipPort, "127.0.0.1"] :
		[...bind, "--debug", ...extra, "-p", String(station.sipPort), "127.0.0.1"];
	const peer = run(tool, args);
	const code = await finished(peer, 40000);
	assert.notEqual(code, -1, tool + " did not stop by itself: " + peer.output().slice(-1500));
	return { peer, responses: responsesIn(peer.output()) };
}

/** What /api/status showed while a test ran (polled every 200 ms). */
class StatusWatch {
	answered = 0;
	ringing = 0;
	relayActive = false;
	polls = 0;
	error: unknown;
	#stop = false;
	#done: Promise<void>;
	constructor(api: AdminClient) {
		this.#done = (async () => {
			while (!this.#stop) {
				const status = (await api.request("GET", "/api/status")).data as { calls: Array<{ state: string }>; relays: Array<{ id: number; active: boolean }> };
				this.polls++;
				this.answered = Math.max(this.answered, status.calls.filter((c) => c.state === "answered").length);
				this.ringing = Math.max(this.ringing, status.calls.filter((c) => c.state === "ringing").length);
				if (status.relays.find((r) => r.id === 1)?.active)
					this.relayActive = true;
				await new Promise((r) => setTimeout(r, 200));
			}
		})().catch((e: unknown) => { this.error = e; });
	}
	/** Stop watching; throws if the status could not be read. */
	async stop(): Promise<this> {
		this.#stop = true;
		await this.#done;
		if (this.error)
			throw this.error;
		return this;
	}
}

/** An OPTIONS from 127.0.0.1, sent until answered (a scanner may have spent this address's budget a moment ago). */
async function optionsAnswered(station: Station, withinMs = 5000): Promise<number> {
	const socket = dgram.createSocket("udp4");
	await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
	const port = socket.address().port;
	try {
		return await new Promise<number>((resolve) => {
			const deadline = Date.now() + withinMs;
			socket.on("message", (m) => {
				const line = m.toString("latin1", 0, m.indexOf("\r\n"));
				if (/CSeq: 1 OPTIONS/.test(m.toString("latin1")))
					resolve(Number(line.slice(8, 11)));
			});
			const send = () => {
				if (Date.now() > deadline)
					return resolve(0);
				socket.send(Buffer.from([`OPTIONS sip:door@127.0.0.1:${station.sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK-after-${Date.now()}`,
					"Max-Forwards: 70", "From: <sip:check@127.0.0.1>;tag=after", "To: <sip:door@127.0.0.1>", `Call-ID: after-${Date.now()}@127.0.0.1`, "CSeq: 1 OPTIONS", "Content-Length: 0", "", ""].join("\r\n")), station.sipPort, "127.0.0.1");
				timer = setTimeout(send, 500);
			};
			let timer = setTimeout(send, 0);
			socket.once("close", () => clearTimeout(timer));
		});
	}
	finally {
		socket.close();
	}
}

/** The station's log lines (its stdout) that match. */
const linesOf = (station: Station, pattern: RegExp) => station.output().split("\n").filter((l) => pattern.test(l));

/** Lines a stranger's requests cause: refusals, ignored calls and keys, floods, busy. */
const REFUSAL = /refused|not auto-answered|ignored|too many requests|no call slot|\(\d+ more|repeated|times/i;

describe("SIP scanners against npm start", function () {
	this.timeout(180000);
	let station: Station | undefined;
	let api: AdminClient;
	const running: Running[] = [];
	const watches: StatusWatch[] = [];

	before(function () {
		for (const tool of ["sipp", "svmap", "svwar"]) {
			if (!installed(tool, tool === "sipp" ? ["-v"] : ["--version"])) {
				process.stdout.write(`\n  scanners: skipped: ${tool} is not installed\n`);
				this.skip();
			}
		}
	});
	afterEach(async () => {
		for (const w of watches.splice(0))
			await w.stop().catch(() => undefined);
		for (const r of running.splice(0))
			await r.stop();
		await station?.stop();
		station = undefined;
	});

	/** The station with the administrator password set and `station` settings applied through the API. */
	async function startWith(settings: Record<string, unknown>): Promise<void> {
		station = await startStation();
		api = await admin(station.base);
		const set = await api.request("PUT", "/api/config", { station: settings });
		assert.equal(set.status, 200, JSON.stringify(set.data));
	}

	/** A SIPp caller running one of the door-code scenarios: `calls` calls at `rate` per second. */
	async function caller(scenario: string, o: { calls?: number; rate?: number; ringMs?: number } = {}): Promise<{ peer: Running; code: number; responses: Response[] }> {
		const peer = sipp(scenarioWith(scenario, { RING_MS: String(o.ringMs ?? 2000) }), await freePort(), "127.0.0.1:" + station!.sipPort,
			["-s", "door", "-mp", String(await freePort()), "-trace_msg", "-m", String(o.calls ?? 1), "-r", String(o.rate ?? 10), "-timeout", "60s"]);
		running.push(peer);
		const code = await finished(peer, 70000);
		return { peer, code, responses: received(peer) };
	}

	it("factory defaults with a door code: svmap, svwar and SIPp callers get no answered call and open no door; the station still answers OPTIONS; refusals cost few log lines", async () => {
		// only the administrator password and the installer's door code on relay 1
		await startWith({ relays: [{ id: 1, holdTime: 3, dtmfCode: "1234" }] });
		const watch = new StatusWatch(api);
		watches.push(watch);
		const options = await sipvicious("svmap", station!, []);
		const info = await caller("uac-door-code-info.xml");
		const keys = await caller("uac-door-code-keys.xml");
		const invite = await sipvicious("svmap", station!, ["-m", "INVITE"]);
		const war = await sipvicious("svwar", station!, ["-m", "INVITE", "-e100-199", "--maximumtime", "5", "--force"]);
		const seen = await watch.stop();

		assert.equal(count(options.responses, 200, "OPTIONS"), 1, "svmap found the station: " + options.peer.output().slice(-800));
		const all = [...info.responses, ...keys.responses, ...invite.responses, ...war.responses];
		assert.ok(all.length > 0, "the scanners got answers");
		assert.equal(count(all, 200), 0, "no 200 to any INVITE: " + JSON.stringify(all));
		assert.equal(info.code, 0, "the INFO caller rang and cancelled, or was refused: " + info.peer.output().slice(-1500));
		assert.equal(keys.code, 0, "the keypad caller rang and cancelled, or was refused: " + keys.peer.output().slice(-1500));
		assert.equal(sentRequests(info.peer, "INFO"), 0, "never answered, so no key was sent");
		assert.equal(seen.answered, 0, "no call answered in /api/status");
		assert.equal(seen.relayActive, false, "relay 1 never active");
		assert.ok(seen.polls >= 5, "the status was watched");
		const status = (await api.request("GET", "/api/status")).data as { relays: Array<{ active: boolean }>; calls: Array<{ state: string }>; log: string[] };
		assert.equal(status.relays[0].active, false);
		assert.ok(status.calls.every((c) => c.state !== "answered"), JSON.stringify(status.calls));
		assert.deepEqual(linesOf(station!, /door 1 opened|relay 1 released| answered/), []);
		assert.equal(await optionsAnswered(station!), 200, "the station still answers OPTIONS");
		const refusals = linesOf(station!, REFUSAL);
		const callLines = linesOf(station!, /portier: call incoming/);
		process.stdout.write(`      factory defaults: INVITE answers svmap ${JSON.stringify(summary(invite.responses))}, svwar ${JSON.stringify(summary(war.responses))}, SIPp INFO ${JSON.stringify(summary(info.responses))}, SIPp keys ${JSON.stringify(summary(keys.responses))}, log: ${refusals.length} refusal lines, ${callLines.length} call lines, ${station!.output().split("\n").length} in all: ${refusals.map((l) => l.replace(/^\S+Z /, "")).join(" | ")}\n`);
		assert.ok(refusals.length <= 6, "refusals are counted, not logged one per packet:\n" + refusals.join("\n"));
		assert.ok(callLines.length <= 12, "at most a few calls rang (one call slot per stranger's address):\n" + callLines.join("\n"));
	});

	it("direct IP auto-answer switched on (no whitelist): strangers still ring unanswered and open no door", async () => {
		await startWith({ relays: [{ id: 1, holdTime: 3, dtmfCode: "1234" }], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } });
		const watch = new StatusWatch(api);
		watches.push(watch);
		const info = await caller("uac-door-code-info.xml");
		const keys = await caller("uac-door-code-keys.xml");
		const invite = await sipvicious("svmap", station!, ["-m", "INVITE"]);
		const seen = await watch.stop();
		const all = [...info.responses, ...keys.responses, ...invite.responses];
		assert.equal(count(all, 200), 0, "no 200 to any INVITE: " + JSON.stringify(summary(all)));
		assert.ok(count(all, 180) >= 1, "they rang: " + JSON.stringify(summary(all)));
		assert.equal(info.code, 0, info.peer.output().slice(-1500));
		assert.equal(keys.code, 0, keys.peer.output().slice(-1500));
		assert.equal(sentRequests(info.peer, "INFO"), 0);
		assert.equal(seen.answered, 0);
		assert.equal(seen.relayActive, false);
		assert.deepEqual(linesOf(station!, /door 1 opened|relay 1 released| answered/), []);
		const notAnswered = linesOf(station!, /not auto-answered/);
		assert.ok(notAnswered.length >= 1 && notAnswered.length <= 3, "said why, once per call that rang:\n" + notAnswered.join("\n"));
		process.stdout.write(`      auto-answer without whitelist: INVITE answers ${JSON.stringify(summary(all))}, log: ${notAnswered.map((l) => l.replace(/^\S+Z /, "")).join(" | ")}\n`);
	});

	it("Prevent SIP hacking: every stranger's INVITE (svmap, svwar, 30 SIPp calls) gets 403 before anything rings; the door stays shut", async () => {
		await startWith({ relays: [{ id: 1, holdTime: 3, dtmfCode: "1234" }], preventSipHacking: true, whitelist: ["10.9.9.9"] });
		const watch = new StatusWatch(api);
		watches.push(watch);
		const invite = await sipvicious("svmap", station!, ["-m", "INVITE"]);
		const war = await sipvicious("svwar", station!, ["-m", "INVITE", "-e100-199", "--maximumtime", "5", "--force"]);
		// within one address's budget (10/s): every call gets its answer
		const calls = await caller("uac-door-code-info.xml", { calls: 30, rate: 8 });
		const seen = await watch.stop();

		const all = [...invite.responses, ...war.responses, ...calls.responses];
		const summaryText = JSON.stringify(summary(all));
		assert.equal(count(all, (s) => s >= 180 && s < 300), 0, "no 180, 183 or 200: " + summaryText);
		assert.equal(count(all, (s) => s >= 300 && s !== 403), 0, "every refusal is 403: " + summaryText);
		assert.ok(count(invite.responses, 403) >= 1, "svmap's INVITE was refused: " + invite.peer.output().slice(-800));
		assert.ok(count(war.responses, 403) >= 1, "svwar's INVITEs were refused: " + war.peer.output().slice(-800));
		assert.equal(calls.code, 0, "SIPp: " + calls.peer.output().slice(-1500));
		const invitesSent = sentRequests(calls.peer, "INVITE");
		assert.ok(invitesSent >= 30, "SIPp sent its 30 INVITEs (" + invitesSent + ")");
		// each of the 30 calls ended on its 403 (a 403 repeated before the ACK arrived counts once per call)
		assert.ok(count(calls.responses, 403) >= 30, "30 calls refused: " + summaryText);
		assert.equal(sentRequests(calls.peer, "INFO"), 0, "no call was answered, so no key was sent");
		assert.equal(seen.ringing, 0, "no call rang in /api/status");
		assert.equal(seen.answered, 0);
		assert.equal(seen.relayActive, false, "relay 1 never active");
		assert.deepEqual(linesOf(station!, /ringing|answered|door 1 opened|relay 1 released/), [], "nothing rang, nothing opened");
		assert.equal(await optionsAnswered(station!), 200, "the station still answers OPTIONS");
		const refusals = linesOf(station!, REFUSAL);
		process.stdout.write(`      prevent SIP hacking: INVITE answers svmap ${JSON.stringify(summary(invite.responses))}, svwar ${JSON.stringify(summary(war.responses))}, SIPp ${JSON.stringify(summary(calls.responses))}, SIPp sent ${invitesSent} INVITEs, log: ${refusals.length} refusal lines: ${refusals.map((l) => l.replace(/^\S+Z /, "")).join(" | ")}\n`);
		assert.ok(refusals.length >= 1 && refusals.length <= 4, "one refusal line, then a count:\n" + refusals.join("\n"));
	});

	it("the control: a whitelisted caller with direct IP auto-answer is answered, and the door code opens relay 1 by INFO and by RFC 4733 keys", async () => {
		await startWith({ relays: [{ id: 1, holdTime: 1, dtmfCode: "1234" }], whitelist: ["127.0.0.1"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } });
		const watch = new StatusWatch(api);
		watches.push(watch);
		const info = await caller("uac-door-code-info.xml");
		assert.equal(info.code, 0, info.peer.output().slice(-1500));
		assert.equal(count(info.responses, 200), 1, "answered: " + JSON.stringify(summary(info.responses)));
		assert.equal(sentRequests(info.peer, "INFO"), 4, "keyed 1, 2, 3, 4 by INFO");
		assert.ok(linesOf(station!, /door 1 opened by dtmf/).length >= 1, station!.output().slice(-2000));
		const opened = linesOf(station!, /door 1 opened by dtmf/).length;
		const keys = await caller("uac-door-code-keys.xml");
		assert.equal(keys.code, 0, keys.peer.output().slice(-1500));
		assert.equal(count(keys.responses, 200), 1, "answered: " + JSON.stringify(summary(keys.responses)));
		assert.ok(linesOf(station!, /door 1 opened by dtmf/).length > opened, "the keys in RTP opened it again: " + station!.output().slice(-2000));
		const seen = await watch.stop();
		assert.equal(seen.relayActive, true, "relay 1 was seen active in /api/status");
		assert.equal(seen.answered, 1);
	});

	// the recent log keeps door and call events ahead of other lines; a stranger's unanswered calls are call events too
	it("a stranger's unanswered calls (8, ringing and cancelled) do not push the last door opening off the status page", async () => {
		await startWith({});
		assert.equal((await api.request("POST", "/api/relays/1/open")).status, 200);
		const before = ((await api.request("GET", "/api/status")).data as { log: string[] }).log;
		assert.ok(before.some((l) => /door 1 opened/.test(l)), before.join("\n"));
		const calls = await caller("uac-door-code-keys.xml", { calls: 8, rate: 2, ringMs: 300 });
		assert.equal(calls.code, 0, calls.peer.output().slice(-1500));
		assert.equal(count(calls.responses, 200), 0);
		const after = ((await api.request("GET", "/api/status")).data as { log: string[] }).log;
		assert.ok(after.some((l) => /door 1 opened/.test(l)), "the door opening is still on the status page; it shows:\n" + after.join("\n"));
	});

	// a fuzzer's malformed request within an answered call: outside a call the same request gets "400 Bad CSeq"
	it("a request within a call whose CSeq does not parse is answered 400, like outside a call; the call goes on and ends with a good BYE", async () => {
		await startWith({ whitelist: ["127.0.0.1"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } });
		const socket = dgram.createSocket("udp4");
		await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
		const got: string[] = [];
		socket.on("message", (m) => got.push(m.toString("latin1")));
		const port = socket.address().port;
		const callId = `bad-cseq-${Date.now()}@127.0.0.1`;
		const send = (method: string, cseq: string, toTag: string, body = "") => socket.send(Buffer.from([`${method} sip:door@127.0.0.1:${station!.sipPort} SIP/2.0`,
			`Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK-${method}-${Math.random().toString(16).slice(2)}`, "Max-Forwards: 70", "From: <sip:fuzz@127.0.0.1>;tag=fz1",
			`To: <sip:door@127.0.0.1>${toTag ? ";tag=" + toTag : ""}`, `Call-ID: ${callId}`, `CSeq: ${cseq}`, `Contact: <sip:fuzz@127.0.0.1:${port}>`,
			...(body ? ["Content-Type: application/sdp"] : []), `Content-Length: ${body.length}`, "", body].join("\r\n")), station!.sipPort, "127.0.0.1");
		const answer = async (pattern: RegExp, ms = 2000) => {
			const deadline = Date.now() + ms;
			for (;;) {
				const found = got.find((m) => pattern.test(m));
				if (found || Date.now() > deadline)
					return found;
				await new Promise((r) => setTimeout(r, 20));
			}
		};
		try {
			send("INVITE", "1 INVITE", "", ["v=0", "o=fuzz 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", "m=audio 9 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", ""].join("\r\n"));
			const ok = await answer(/^SIP\/2\.0 200 [^]*CSeq: 1 INVITE/);
			assert.ok(ok, "answered: " + got.map((m) => m.split("\r\n")[0]).join(", "));
			const toTag = /\r\nTo:[^\r]*;tag=([^;\r]+)/i.exec(ok)![1];
			send("ACK", "1 ACK", toTag);
			got.length = 0;
			send("BYE", "x BYE", toTag);
			const refused = await answer(/^SIP\/2\.0 /);
			const errors = linesOf(station!, /ua error/);
			assert.match(refused?.split("\r\n")[0] ?? "no answer at all", /^SIP\/2\.0 400 /, "a clear 400 to the BYE with CSeq \"x BYE\" (station log: " + errors.join(" | ") + ")");
			send("BYE", "2 BYE", toTag);
			assert.ok(await answer(/^SIP\/2\.0 200 [^]*CSeq: 2 BYE/), "the good BYE ends the call");
		}
		finally {
			socket.close();
		}
	});
});

/** Responses to INVITE by status, e.g. {"100": 3, "403": 3}. */
function summary(list: Response[]): Record<string, number> {
	const out: Record<string, number> = {};
	for (const r of list)
		if (r.method === "INVITE")
			out[r.status] = (out[r.status] ?? 0) + 1;
	return out;
}
