#!/usr/bin/env node
// `npm run bench:sim` (and `npm run bench` when MODDABLE is set): the station's
// own hot paths on XS, in the Moddable simulator. The firmware is built for the
// simulator as the sim tests build it (hosts/moddable, `mcconfig -m -p lin`,
// 127.0.0.1 on the whitelist with auto-answer at delay 0) with `timing=1`,
// started headless, and driven over UDP on 127.0.0.1 by this script:
//
//   INVITE -> 200   a whitelisted caller, auto-answered at once (the 200 alone:
//                   no 100 or 180 before an answer in the same receive)
//   INVITE -> 180   a caller not on the whitelist: the door rings (then CANCEL)
//   OPTIONS -> 200  from the whitelist, answered statelessly
//   BYE -> 200      ending an answered call (media stopped, history noted)
//
// Two figures for each. "In the engine": microseconds from the SIP datagram
// read in JavaScript to its answer handed to the socket, taken inside the
// firmware with a monotonic microsecond clock of the project's own
// (hosts/moddable/sip-timing, microseconds.c; read through the simulator's
// control port). "On the wire": from the request written by this script to the
// answer received, which adds the simulator's socket: the SDK's Linux UDP
// polls its socket every 20 ms, so that figure is mostly waiting.
//
// The build is a release build, as a panel runs (XS compiled optimised, no
// debugger); BENCH_SIM_DEBUG=1 times the debug build the simulator tests run
// (mxDebug, C unoptimised, xsbug-log attached: many times slower). One call at
// a time, spaced so that no budget or rate limit applies.
//
// Environment: BENCH_SIM_CALLS (default 60; the first 10 calls are reported as
// "cold"). A benchmark, not a test: nothing here passes or fails.
import dgram from "node:dgram";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const CALLS = Number(process.env.BENCH_SIM_CALLS ?? 60);
const DEBUG = process.env.BENCH_SIM_DEBUG === "1";
const COLD = 10;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A UDP peer on one loopback address: sends text, resolves the next response matching a test. */
class Peer {
	#socket;
	#waiters = [];
	address;
	port = 0;
	constructor(address) {
		this.address = address;
		this.#socket = dgram.createSocket("udp4");
		this.#socket.on("message", (msg) => {
			const at = process.hrtime.bigint();
			const text = msg.toString("latin1");
			for (let i = 0; i < this.#waiters.length; i++) {
				const w = this.#waiters[i];
				if (w.test(text)) {
					this.#waiters.splice(i, 1);
					clearTimeout(w.timer);
					w.resolve({ text, at });
					return;
				}
			}
		});
	}
	bind() {
		return new Promise((resolve) => this.#socket.bind(0, this.address, () => {
			this.port = this.#socket.address().port;
			resolve();
		}));
	}
	/** Resolves with the response and its arrival time (ns), or rejects after `ms`. */
	expect(test, ms = 5000) {
		return new Promise((resolve, reject) => {
			const w = { test, resolve, timer: setTimeout(() => {
				this.#waiters.splice(this.#waiters.indexOf(w), 1);
				reject(new Error("no answer within " + ms + " ms"));
			}, ms) };
			this.#waiters.push(w);
		});
	}
	/** Writes the message; returns the time it was written (ns). */
	send(text, port) {
		const at = process.hrtime.bigint();
		this.#socket.send(Buffer.from(text, "latin1"), port, "127.0.0.1");
		return at;
	}
	close() {
		this.#socket.close();
	}
}

/** The simulator's control port: one command, one answer. */
function control(port, text) {
	return new Promise((resolve, reject) => {
		const s = dgram.createSocket("udp4");
		const timer = setTimeout(() => { s.close(); reject(new Error("no answer to " + text)); }, 3000);
		s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m.toString()); });
		s.bind(0, "127.0.0.1", () => s.send(text, port, "127.0.0.1"));
	});
}

/** The firmware's own figures since the last read: "METHOD STATUS" -> microseconds, in order. */
async function engineTimes(port) {
	const answer = await control(port, "timing");
	if (!answer.startsWith("ok"))
		throw new Error("timing: " + answer);
	const by = {};
	for (const line of answer.split("\n").slice(1)) {
		const [method, status, us] = line.trim().split(" ");
		if (us !== undefined)
			(by[method + " " + status] ??= []).push(Number(us) / 1000);
	}
	return by;
}

const statusOf = (text) => Number(text.slice(8, 11));
const header = (text, name) => new RegExp("^" + name + ":\\s*(.*)$", "mi").exec(text)?.[1].trim() ?? "";
const isResponse = (callId, method, status) => (t) => t.startsWith("SIP/2.0 ") && header(t, "Call-ID") === callId && header(t, "CSeq").endsWith(" " + method) && (status === undefined || statusOf(t) === status);
const ms = (from, to) => Number(to - from) / 1e6;

function request(method, uri, peer, { callId, cseq, fromTag, to, branch, body = "", extra = [] }) {
	return [
		`${method} ${uri} SIP/2.0`,
		`Via: SIP/2.0/UDP ${peer.address}:${peer.port};branch=${branch};rport`,
		"Max-Forwards: 70",
		`From: "Bench" <sip:bench@${peer.address}>;tag=${fromTag}`,
		`To: ${to}`,
		`Call-ID: ${callId}`,
		`CSeq: ${cseq} ${method}`,
		`Contact: <sip:bench@${peer.address}:${peer.port}>`,
		...extra,
		...(body ? ["Content-Type: application/sdp"] : []),
		`Content-Length: ${Buffer.byteLength(body)}`,
		"", body,
	].join("\r\n");
}

function sdp(address, rtpPort) {
	return ["v=0", `o=- 1 1 IN IP4 ${address}`, "s=bench", `c=IN IP4 ${address}`, "t=0 0", `m=audio ${rtpPort} RTP/AVP 0 8 101`,
		"a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=ptime:20", "a=sendrecv", ""].join("\r\n");
}

let serial = 0;
const fresh = (what) => `${what}-${process.pid}-${++serial}`;

/** One auto-answered call: INVITE -> 200 (and any provisional seen), ACK, a short hold, BYE -> 200. */
async function answeredCall(peer, sipPort, rtpPort) {
	const callId = fresh("call"), fromTag = fresh("t"), to = `<sip:door@127.0.0.1:${sipPort}>`;
	const ok = peer.expect(isResponse(callId, "INVITE", 200));
	const sent = peer.send(request("INVITE", `sip:door@127.0.0.1:${sipPort}`, peer, { callId, cseq: 1, fromTag, to, branch: "z9hG4bK" + fresh("i"), body: sdp(peer.address, rtpPort) }), sipPort);
	const answer = await ok;
	const toFull = header(answer.text, "To");
	const target = /<([^>]+)>/.exec(header(answer.text, "Contact"))?.[1] ?? `sip:door@127.0.0.1:${sipPort}`;
	peer.send(request("ACK", target, peer, { callId, cseq: 1, fromTag, to: toFull, branch: "z9hG4bK" + fresh("a") }), sipPort);
	await sleep(150);
	const byeOk = peer.expect(isResponse(callId, "BYE", 200));
	const byeSent = peer.send(request("BYE", target, peer, { callId, cseq: 2, fromTag, to: toFull, branch: "z9hG4bK" + fresh("b") }), sipPort);
	const bye = await byeOk;
	return { invite200: ms(sent, answer.at), bye200: ms(byeSent, bye.at) };
}

/** A caller the door does not answer: INVITE -> 180, then CANCEL (200, 487, ACK). */
async function ringingCall(peer, sipPort, rtpPort) {
	const callId = fresh("ring"), fromTag = fresh("t"), to = `<sip:door@127.0.0.1:${sipPort}>`, branch = "z9hG4bK" + fresh("i");
	const uri = `sip:door@127.0.0.1:${sipPort}`;
	const ringing = peer.expect(isResponse(callId, "INVITE", 180));
	const sent = peer.send(request("INVITE", uri, peer, { callId, cseq: 1, fromTag, to, branch, body: sdp(peer.address, rtpPort) }), sipPort);
	const r = await ringing;
	const terminated = peer.expect(isResponse(callId, "INVITE", 487));
	const cancelled = peer.expect(isResponse(callId, "CANCEL", 200));
	peer.send(request("CANCEL", uri, peer, { callId, cseq: 1, fromTag, to, branch }), sipPort);
	await cancelled;
	const t = await terminated;
	peer.send(request("ACK", uri, peer, { callId, cseq: 1, fromTag, to: header(t.text, "To"), branch }), sipPort);	// §17.1.1.3: same branch as the INVITE
	return ms(sent, r.at);
}

async function options(peer, sipPort) {
	const callId = fresh("opt");
	const ok = peer.expect(isResponse(callId, "OPTIONS", 200));
	const sent = peer.send(request("OPTIONS", `sip:door@127.0.0.1:${sipPort}`, peer, { callId, cseq: 1, fromTag: fresh("t"), to: `<sip:door@127.0.0.1:${sipPort}>`, branch: "z9hG4bK" + fresh("o") }), sipPort);
	return ms(sent, (await ok).at);
}

function stats(xs) {
	if (xs.length === 0)
		return { n: 0, p50: NaN, p90: NaN, max: NaN };
	const s = [...xs].sort((a, b) => a - b);
	const q = (p) => +s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))].toFixed(2);
	return { n: s.length, p50: q(0.5), p90: q(0.9), max: q(1) };
}

export async function simBench({ calls = CALLS, print = true, log = (s) => process.stderr.write(s + "\n") } = {}) {
	const { findSdk, buildStation, runSimulator } = await import(root + "build/tests/sim/simulator.js");
	const { freePort } = await import(root + "build/tests/node/helpers.js");
	const sdk = findSdk();
	if (typeof sdk === "string") {
		if (print)
			process.stdout.write("bench-sim: skipped: " + sdk + "\n");
		return undefined;
	}
	const sipPort = await freePort(), controlPort = await freePort();
	log("bench-sim: building the firmware for the simulator");
	const so = buildStation(sdk, { sipPort, controlPort, httpPort: await freePort(), trust: "127.0.0.1", timing: 1 }, { release: !DEBUG });
	// a release build has no debugger to trace to: it is up when its control port answers
	const sim = await runSimulator(sdk, so, await freePort(), DEBUG ? "portier: SIP on" : () => control(controlPort, "status").then((a) => a.startsWith("relays"), () => false));
	const trusted = new Peer("127.0.0.1"), stranger = new Peer("127.0.0.2"), rtp = dgram.createSocket("udp4");
	try {
		await trusted.bind();
		await stranger.bind();
		await new Promise((r) => rtp.bind(0, "127.0.0.1", r));
		const rtpPort = rtp.address().port;
		rtp.on("message", () => {});	// the door's audio, not looked at
		const invite200 = [], bye200 = [], invite180 = [], options200 = [];
		await engineTimes(controlPort);	// what the start wrote (none expected)
		log(`bench-sim: ${calls} auto-answered calls`);
		const engineCold = [];
		for (let i = 0; i < calls; i++) {
			const c = await answeredCall(trusted, sipPort, rtpPort);
			invite200.push(c.invite200);
			bye200.push(c.bye200);
			if (i === COLD - 1)
				engineCold.push(await engineTimes(controlPort));
			await sleep(100);
		}
		const engineCalls = await engineTimes(controlPort);
		log(`bench-sim: ${calls} OPTIONS, ${Math.ceil(calls / 2)} ringing calls`);
		for (let i = 0; i < calls; i++) {
			options200.push(await options(trusted, sipPort));
			await sleep(120);
		}
		const engineOptions = await engineTimes(controlPort);
		for (let i = 0; i < Math.ceil(calls / 2); i++) {
			invite180.push(await ringingCall(stranger, sipPort, rtpPort));
			await sleep(300);	// a stranger holds one call at a time, and its budget refills
		}
		const engineRinging = await engineTimes(controlPort);
		const none = [];
		const result = {
			build: DEBUG ? "Moddable simulator, debug build (xsbug-log attached), one call at a time over UDP on 127.0.0.1" : "Moddable simulator, release build (as a panel runs; XS compiled optimised, no debugger), one call at a time over UDP on 127.0.0.1",
			msInEngine: {
				invite200Cold: stats(engineCold[0]?.["INVITE 200"] ?? none),
				invite200: stats(engineCalls["INVITE 200"] ?? none),
				invite180: stats(engineRinging["INVITE 180"] ?? none),
				options200: stats(engineOptions["OPTIONS 200"] ?? none),
				bye200: stats(engineCalls["BYE 200"] ?? none),
				provisionalBeforeAutoAnswer: (engineCalls["INVITE 100"]?.length ?? 0) + (engineCalls["INVITE 180"]?.length ?? 0),
			},
			msOnTheWire: {
				invite200Cold: stats(invite200.slice(0, COLD)),
				invite200: stats(invite200.slice(COLD)),
				invite180: stats(invite180),
				options200: stats(options200),
				bye200: stats(bye200.slice(COLD)),
			},
		};
		if (print)
			process.stdout.write(simTable(result) + "\n");
		return result;
	}
	catch (e) {
		log("bench-sim: the simulator said:\n" + (sim.output().slice(-3000) || "(a release build traces nothing)"));
		throw e;
	}
	finally {
		trusted.close();
		stranger.close();
		rtp.close();
		await sim.stop();
	}
}

export function simTable(r) {
	const row = (label, e, w) => `  ${label.padEnd(42)} ${[e.p50, e.p90, e.max].map((x) => x.toFixed(2).padStart(7)).join(" ")}   ${[w.p50, w.p90].map((x) => x.toFixed(1).padStart(6)).join(" ")}   (${e.n})`;
	const e = r.msInEngine, w = r.msOnTheWire;
	return [
		`station hot paths on XS: ${r.build}`,
		"ms: in the engine (SIP datagram read in JavaScript -> answer written), and on the wire (request sent -> answer received, with the simulator's 20 ms socket poll)",
		"",
		`  ${"".padEnd(42)} ${"p50".padStart(7)} ${"p90".padStart(7)} ${"max".padStart(7)}   ${"wire50".padStart(6)} ${"wire90".padStart(6)}`,
		row(`INVITE -> 200, auto-answer 0 (first ${COLD})`, e.invite200Cold, w.invite200Cold),
		row("INVITE -> 200, auto-answer 0 (then)", e.invite200, w.invite200),
		row("INVITE -> 180, a caller not whitelisted", e.invite180, w.invite180),
		row("OPTIONS -> 200", e.options200, w.options200),
		row("BYE -> 200", e.bye200, w.bye200),
		`  provisional responses before an auto-answered 200: ${e.provisionalBeforeAutoAnswer}`,
	].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
	simBench({ print: !process.argv.includes("--json") }).then((r) => {
		if (process.argv.includes("--json"))
			process.stdout.write(JSON.stringify(r, null, 2) + "\n");
	}).catch((e) => {
		process.stderr.write(String(e && e.stack || e) + "\n");
		process.exit(1);
	});
}
