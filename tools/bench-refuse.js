#!/usr/bin/env node
// `npm run bench:refuse` (needs MODDABLE and a release xst, as tools/bench-xs.js):
// the CPU time the station spends on a request it refuses, inside XS 17, with
// the station's real code (StationApp: transport, transactions, UA, the
// station's policy, the per-source budget) over a fake UDP socket and a fake
// clock, bundled with esbuild at ES2022 and run in the SDK's xst.
//
//   refused INVITE: "Prevent SIP hacking" on, a stranger's INVITE (new Call-ID
//     each time, sources rotating over 250 addresses, the clock moving 25 ms a
//     packet so that no budget runs dry) answered 403, then its ACK (what a
//     well-behaved peer sends; the transaction then ends on its own timers,
//     which run too).
//   dropped OPTIONS: one source sending OPTIONS with the clock standing still,
//     after its burst: every packet is dropped by the per-source budget
//     (modules/sip/source-limit.ts) without an answer.
//
// Method: CPU time (user + system) of an xst run that delivers N packets, less
// that of a run that builds the same packets and delivers none. Packets per
// second an ESP32 can refuse are estimated from these figures with a stated
// slowdown factor (see the report); the native helpers are installed as on the
// device. Environment: BENCH_REFUSE_N (default 3000), BENCH_REFUSE_ROUNDS (3);
// BENCH_REFUSE_KEEP=FILE also writes the script of BENCH_REFUSE_KIND (invite,
// options) there, to profile with `xst -p FILE`.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const N = Number(process.env.BENCH_REFUSE_N ?? 3000);
const ROUNDS = Number(process.env.BENCH_REFUSE_ROUNDS ?? 3);
const xst = process.env.XST ?? (process.env.MODDABLE ? process.env.MODDABLE + "/build/bin/lin/release/xst" : undefined);

const ENTRY = `
import { StationApp } from ${JSON.stringify(root + "build/modules/station/app.js")};
import { STATION_DEFAULTS } from ${JSON.stringify(root + "build/modules/station/config.js")};
import { setTextHelpers } from ${JSON.stringify(root + "build/modules/sip/text.js")};
import { moddableTextHelpers } from ${JSON.stringify(root + "hosts/moddable/text-helpers.ts")};

class Clock {
	constructor() { this.time = 1000000; this.timers = new Map(); this.id = 0; }
	now() { return this.time; }
	set(cb, ms) { const id = ++this.id; this.timers.set(id, { at: this.time + ms, cb, every: 0 }); return id; }
	repeat(cb, ms) { const id = ++this.id; this.timers.set(id, { at: this.time + ms, cb, every: ms }); return id; }
	clear(id) { this.timers.delete(id); }
	advance(ms) {
		this.time += ms;
		for (const [id, t] of this.timers) {
			if (t.at <= this.time) {
				if (t.every) t.at += t.every; else this.timers.delete(id);
				t.cb();
			}
		}
	}
}
class UDP {
	static decoder = new TextDecoder();
	constructor(options) { this.options = options; this.queue = []; this.sent = 0; UDP.last = this; }
	get port() { return this.options.port; }
	read() { return this.queue.shift(); }
	write(buffer) {
		const bytes = new Uint8Array(buffer instanceof ArrayBuffer ? buffer : buffer.buffer, buffer.byteOffset || 0, buffer.byteLength);
		if (this.sent++ === 0 || UDP.keep) UDP.first = UDP.first || String.fromCharCode.apply(null, Array.from(bytes.subarray(0, 12)));
		// the station's tag from a 200 to an INVITE (a "call" run's ACK and BYE need it): decoded natively, no RegExp (XS compiles a literal each time)
		if (bytes[8] === 50 && bytes[9] === 48 && bytes[10] === 48)
			UDP.ok = (UDP.ok || 0) + 1;
		if (UDP.wantTag && bytes[8] === 50 && bytes[9] === 48 && bytes[10] === 48) {
			UDP.wantTag = false;
			const text = UDP.decoder.decode(bytes.subarray(0, Math.min(bytes.length, 400)));
			const to = text.indexOf("\\nTo:"), tag = text.indexOf(";tag=", to), end = text.indexOf("\\r", tag);
			UDP.toTag = text.slice(tag + 5, end);
			if (globalThis.DEBUG_SIP) print("200 tag " + UDP.toTag);
		}
	}
	close() {}
	deliver(buffer) { this.queue.push(buffer); this.options.onReadable.call(this, 1); }
}
globalThis.refuse = { StationApp, STATION_DEFAULTS, setTextHelpers, moddableTextHelpers, Clock, UDP };
`;

function script(kind, count) {
	return `
(function () {
	var r = globalThis.refuse;
	if (typeof TextDecoder === "function") r.setTextHelpers(r.moddableTextHelpers(new TextDecoder(), new TextEncoder()));
	var clock = new r.Clock();
	var station = Object.assign({}, r.STATION_DEFAULTS, { preventSipHacking: true, whitelist: ["192.0.2.99"], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } });
	var app = new r.StationApp({ udp: r.UDP, clock: clock, hash: function () { return "0123456789abcdef0123456789abcdef"; }, random: function () { return (1e15 + Math.floor(Math.random() * 8e15)).toString(16).slice(0, 16); }, relays: { set: function () {} } },
		{ sipPort: 5060, host: "192.0.2.10", rtpPorts: { first: 40000, last: 40100 }, rtpTimeout: 0, accounts: [], station: station });
	app.start();
	var udp = r.UDP.last;
	var enc = new TextEncoder();
	function datagram(text, address, port) { var b = enc.encode(text).buffer; b.address = address; b.port = port; return b; }
	var N = ${N}, packets = [], acks = [];
	for (var i = 0; i < N; i++) {
		var src = "198.51.100." + (1 + (i % 250)), id = "scan" + i + "x7f3a", branch = "z9hG4bK-" + i + "-4a1b";
		if (${JSON.stringify(kind)} === "invite") {
			var head = "INVITE sip:100@192.0.2.10 SIP/2.0\\r\\nVia: SIP/2.0/UDP " + src + ":5070;branch=" + branch + ";rport\\r\\nMax-Forwards: 70\\r\\nFrom: \\"sipvicious\\" <sip:100@" + src + ">;tag=" + i + "a\\r\\nTo: <sip:100@192.0.2.10>\\r\\nCall-ID: " + id + "\\r\\nCSeq: 1 INVITE\\r\\nContact: <sip:100@" + src + ":5070>\\r\\nUser-Agent: friendly-scanner\\r\\nContent-Type: application/sdp\\r\\n";
			var sdp = "v=0\\r\\no=- 1 1 IN IP4 " + src + "\\r\\ns=-\\r\\nc=IN IP4 " + src + "\\r\\nt=0 0\\r\\nm=audio 4000 RTP/AVP 0\\r\\na=rtpmap:0 PCMU/8000\\r\\n";
			packets.push(datagram(head + "Content-Length: " + sdp.length + "\\r\\n\\r\\n" + sdp, src, 5070));
			acks.push(datagram("ACK sip:100@192.0.2.10 SIP/2.0\\r\\nVia: SIP/2.0/UDP " + src + ":5070;branch=" + branch + ";rport\\r\\nMax-Forwards: 70\\r\\nFrom: \\"sipvicious\\" <sip:100@" + src + ">;tag=" + i + "a\\r\\nTo: <sip:100@192.0.2.10>;tag=TOTAG\\r\\nCall-ID: " + id + "\\r\\nCSeq: 1 ACK\\r\\nContent-Length: 0\\r\\n\\r\\n", src, 5070));
		}
		else if (${JSON.stringify(kind)} === "call") {
			// the whitelisted caller: auto-answered at once (the 200 alone, in the INVITE's receive), ACK, BYE
			var wsrc = "192.0.2.99", wid = "call" + i + "x7f3a", wtag = i + "c";
			var whead = "INVITE sip:door@192.0.2.10 SIP/2.0\\r\\nVia: SIP/2.0/UDP " + wsrc + ":5060;branch=" + branch + ";rport\\r\\nMax-Forwards: 70\\r\\nFrom: \\"Hall\\" <sip:hall@" + wsrc + ">;tag=" + wtag + "\\r\\nTo: <sip:door@192.0.2.10>\\r\\nCall-ID: " + wid + "\\r\\nCSeq: 1 INVITE\\r\\nContact: <sip:hall@" + wsrc + ":5060>\\r\\nContent-Type: application/sdp\\r\\n";
			var wsdp = "v=0\\r\\no=- 1 1 IN IP4 " + wsrc + "\\r\\ns=-\\r\\nc=IN IP4 " + wsrc + "\\r\\nt=0 0\\r\\nm=audio 4000 RTP/AVP 0 101\\r\\na=rtpmap:0 PCMU/8000\\r\\na=rtpmap:101 telephone-event/8000\\r\\n";
			packets.push(datagram(whead + "Content-Length: " + wsdp.length + "\\r\\n\\r\\n" + wsdp, wsrc, 5060));
			acks.push([wid, wtag, wsrc, branch]);
		}
		else if (${JSON.stringify(kind)} === "options-ok")
			packets.push(datagram("OPTIONS sip:door@192.0.2.10 SIP/2.0\\r\\nVia: SIP/2.0/UDP 192.0.2.99:5060;branch=" + branch + "\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:hall@192.0.2.99>;tag=" + i + "b\\r\\nTo: <sip:door@192.0.2.10>\\r\\nCall-ID: " + id + "\\r\\nCSeq: 1 OPTIONS\\r\\nAccept: application/sdp\\r\\nContent-Length: 0\\r\\n\\r\\n", "192.0.2.99", 5060));
		else
			packets.push(datagram("OPTIONS sip:100@192.0.2.10 SIP/2.0\\r\\nVia: SIP/2.0/UDP 203.0.113.5:5060;branch=" + branch + "\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:scan@203.0.113.5>;tag=" + i + "b\\r\\nTo: <sip:100@192.0.2.10>\\r\\nCall-ID: " + id + "\\r\\nCSeq: 1 OPTIONS\\r\\nAccept: application/sdp\\r\\nContent-Length: 0\\r\\n\\r\\n", "203.0.113.5", 5060));
	}
	if (${JSON.stringify(kind)} === "options") {
		// use up the source's burst first (answered), then measure the dropped ones
		for (var w = 0; w < 200; w++) udp.deliver(datagram("OPTIONS sip:100@192.0.2.10 SIP/2.0\\r\\nVia: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-w" + w + "\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:scan@203.0.113.5>;tag=w" + w + "\\r\\nTo: <sip:100@192.0.2.10>\\r\\nCall-ID: warm" + w + "\\r\\nCSeq: 1 OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n", "203.0.113.5", 5060));
	}
	var before = udp.sent;
	r.UDP.first = undefined;
	for (var k = 0; k < ${count}; k++) {
		if (${JSON.stringify(kind)} === "invite") {
			udp.deliver(packets[k]);
			udp.deliver(acks[k]);
			clock.advance(25);
		}
		else if (${JSON.stringify(kind)} === "call") {
			r.UDP.wantTag = true;
			udp.deliver(packets[k]);
			var a = acks[k], tag = r.UDP.toTag;
			udp.deliver(datagram("ACK sip:door@192.0.2.10:5060 SIP/2.0\\r\\nVia: SIP/2.0/UDP " + a[2] + ":5060;branch=" + a[3] + "a\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:hall@" + a[2] + ">;tag=" + a[1] + "\\r\\nTo: <sip:door@192.0.2.10>;tag=" + tag + "\\r\\nCall-ID: " + a[0] + "\\r\\nCSeq: 1 ACK\\r\\nContent-Length: 0\\r\\n\\r\\n", a[2], 5060));
			udp.deliver(datagram("BYE sip:door@192.0.2.10:5060 SIP/2.0\\r\\nVia: SIP/2.0/UDP " + a[2] + ":5060;branch=" + a[3] + "b\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:hall@" + a[2] + ">;tag=" + a[1] + "\\r\\nTo: <sip:door@192.0.2.10>;tag=" + tag + "\\r\\nCall-ID: " + a[0] + "\\r\\nCSeq: 2 BYE\\r\\nContent-Length: 0\\r\\n\\r\\n", a[2], 5060));
			clock.advance(125);	// 8 calls a second: within the caller's budget of new requests; the call ended before any RTP was due
		}
		else if (${JSON.stringify(kind)} === "options-ok") {
			udp.deliver(packets[k]);
			clock.advance(100);	// within the source's 10 a second
		}
		else
			udp.deliver(packets[k]);
	}
	print("SENT " + (udp.sent - before) + (r.UDP.first ? " first: " + r.UDP.first : "") + " 200s: " + (r.UDP.ok || 0));
})();
`;
}

let shim = "";

function cpu(file) {
	const r = spawnSync("bash", ["-c", "LD_PRELOAD=\"$2\" \"$0\" \"$1\" >\"$1.out\" 2>&1; status=$?; times; exit $status", xst, file, shim], { encoding: "utf8" });
	if (r.status !== 0)
		throw new Error("xst failed on " + file);
	const [user, sys] = r.stdout.trim().split("\n").pop().split(" ").map((t) => { const m = /^(\d+)m([\d.]+)s$/.exec(t); return Number(m[1]) * 60 + Number(m[2]); });
	return user + sys;
}

async function main() {
	if (!xst || !existsSync(xst)) {
		process.stdout.write("bench-refuse: no xst (set MODDABLE; see tools/bench-xs.js for building it)\n");
		return;
	}
	const dir = mkdtempSync(tmpdir() + "/portier-bench-refuse-");
	try {
		writeFileSync(dir + "/entry.js", ENTRY);
		// the same footing as tools/bench-xs.js (no Linux-only cost per RegExp compile)
		if (spawnSync("cc", ["-shared", "-fPIC", "-O2", "-o", dir + "/shim.so", root + "tools/xst-stack-cache.c", "-ldl"]).status === 0)
			shim = dir + "/shim.so";
		const esbuild = await import("esbuild");
		const out = await esbuild.build({ entryPoints: [dir + "/entry.js"], bundle: true, format: "iife", target: "es2022", write: false, logLevel: "silent", legalComments: "none" });
		const bundle = out.outputFiles[0].text;
		const results = {};
		for (const kind of ["invite", "options", "call", "options-ok"]) {
			writeFileSync(`${dir}/${kind}-0.js`, bundle + script(kind, 0));
			writeFileSync(`${dir}/${kind}-n.js`, bundle + script(kind, N));
			const samples = [];
			for (let r = 0; r < ROUNDS; r++)
				samples.push((cpu(`${dir}/${kind}-n.js`) - cpu(`${dir}/${kind}-0.js`)) * 1e6 / N);
			const { readFileSync } = await import("node:fs");
			const sent = readFileSync(`${dir}/${kind}-n.js.out`, "utf8").trim();
			samples.sort((a, b) => a - b);
			results[kind] = { median: +samples[samples.length >> 1].toFixed(1), min: +samples[0].toFixed(1), max: +samples[samples.length - 1].toFixed(1), answers: sent };
		}
		if (process.env.BENCH_REFUSE_KEEP)
			writeFileSync(process.env.BENCH_REFUSE_KEEP, bundle + script(process.env.BENCH_REFUSE_KIND ?? "invite", N));
		if (process.argv.includes("--json")) {
			process.stdout.write(JSON.stringify(results, null, 2) + "\n");
			return;
		}
		const lines = [`Refusing inside XS (release xst, station code over a fake socket; CPU µs per packet, median (range) of ${ROUNDS} runs of ${N})`];
		const row = (label, r) => `  ${label.padEnd(58)} ${String(r.median).padStart(7)} (${r.min}-${r.max})   [${r.answers}]`;
		lines.push(row("stranger's INVITE refused 403 (+ its ACK, timers)", results.invite));
		lines.push(row("OPTIONS over the per-source budget, dropped", results.options));
		lines.push(row("whitelisted call: INVITE auto-answered (200), ACK, BYE", results.call));
		lines.push(row("OPTIONS from the whitelist, answered 200", results["options-ok"]));
		// An ESP32 at 240 MHz runs XS about 20-50 times slower than this kind of host (the estimate):
		for (const [label, r] of [["INVITEs refused", results.invite], ["OPTIONS dropped", results.options]])
			lines.push(`  ESP32 estimate: ${label} per second ${Math.round(1e6 / (r.median * 50))}-${Math.round(1e6 / (r.median * 20))} (host µs x 20-50, one core, nothing else running)`);
		process.stdout.write(lines.join("\n") + "\n");
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
