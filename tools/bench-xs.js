#!/usr/bin/env node
// `npm run bench:xs` (and `npm run bench` when MODDABLE is set): the SIP
// message layer inside the Moddable SDK's own engine, the `xst` shell of XS 17,
// against kirm's `sip` (its parse and stringify only) bundled the same way:
// esbuild, one IIFE script, ES2022 (the project's target; ES2020 would turn
// #private fields into WeakMap helpers). Both get the corpus of tools/corpus.
//
// Reported, per message: µs for the lazy parse, for parse + what a UA reads
// (top Via branch, Call-ID, CSeq, From and To tags), for serializing a
// structured message back to text; the median and the range over interleaved
// rounds (one xst process per contender and round, their order alternating);
// the ratios. Times are CPU time (user + system) of the xst process, less a
// baseline run, so work elsewhere on the machine does not count. xst has no heap counters that a script can read, so slots
// allocated and retained per message come from the npm xsnap build of XS
// (XS 13, its meter: exact and machine-independent), for both parsers.
//
// RegExp and Linux: XS reads the C stack's bounds (pthread_getattr_np, which
// re-reads /proc/self/maps) on every RegExp compile; an ESP32 asks FreeRTOS
// instead. kirm's parser compiles its regex literals on every call, so xst on
// Linux inflates its figures by that system cost. The fair figure runs xst with
// tools/xst-stack-cache.c preloaded (built here with cc), which answers that
// call from a per-thread cache: the engine's own compile cost stays in. Both
// figures are printed ("raw" and "fair"); ratios use the fair one.
//
// Building xst in release (-O3, with mxDebug and mxProfile still on):
//   export MODDABLE=/path/to/moddable
//   cd $MODDABLE/xs/makefiles/lin && make -f xst.mk GOAL=release
// It lands in $MODDABLE/build/bin/lin/release/xst (XST=... overrides).
//
// Environment: BENCH_XS_ROUNDS (default 5), BENCH_XS_ROUND_MS (CPU ms per
// measured run, default 400), BENCH_XS_KEEP=DIR (also writes one script per
// contender and path there, e.g. DIR/portier-serialize.js, to profile with
// `xst -p`).
// `--json` prints the figures as JSON. A benchmark, not a test.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const ROUNDS = Number(process.env.BENCH_XS_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_XS_ROUND_MS ?? 400);

function xstPath() {
	if (process.env.XST)
		return process.env.XST;
	if (!process.env.MODDABLE)
		return undefined;
	return process.env.MODDABLE + "/build/bin/lin/release/xst";
}

export function loadCorpus() {
	const dir = root + "tools/corpus/";
	return readdirSync(dir).filter((f) => f.endsWith(".sip")).sort().map((name) => ({ name, bytes: Array.from(readFileSync(dir + name)) }));
}

/* ---------- the bundles ---------- */

const NODE_BUILTINS = ["util", "net", "dns", "assert", "dgram", "tls", "os", "crypto", "ws", "https", "http"];

async function bundle(entry, dir) {
	const esbuild = await import("esbuild");
	const stub = {
		name: "node-stub",
		setup(build) {
			// kirm's sip requires sockets, DNS and ws at load; its parse and stringify use none of them
			build.onResolve({ filter: new RegExp("^(node:)?(" + NODE_BUILTINS.join("|") + ")$") }, (args) => ({ path: args.path, namespace: "stub" }));
			build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "module.exports = {};", loader: "js" }));
		},
	};
	const out = await esbuild.build({ entryPoints: [entry], bundle: true, format: "iife", target: "es2022", write: false, logLevel: "silent", legalComments: "none", plugins: [stub], absWorkingDir: dir });
	return out.outputFiles[0].text;
}

export async function bundles(dir) {
	const portierEntry = dir + "/portier.js";
	writeFileSync(portierEntry, `
		import { SipParser } from ${JSON.stringify(root + "build/modules/sip/message.js")};
		import { formatRequest, formatResponse } from ${JSON.stringify(root + "build/modules/sip/serialize.js")};
		import { parsedValue } from ${JSON.stringify(root + "build/modules/sip/describe.js")};
		import { decodeText, setTextHelpers } from ${JSON.stringify(root + "build/modules/sip/text.js")};
		import { moddableTextHelpers } from ${JSON.stringify(root + "hosts/moddable/text-helpers.ts")};
		globalThis.portier = { SipParser, formatRequest, formatResponse, parsedValue, decodeText, setTextHelpers, moddableTextHelpers };
	`);
	const sipEntry = dir + "/sip.js";
	writeFileSync(sipEntry, `
		const sip = require(${JSON.stringify(root + "node_modules/sip/sip.js")});
		globalThis.kirm = { parse: sip.parse, stringify: sip.stringify };
	`);
	return { portier: await bundle(portierEntry, dir), sip: await bundle(sipEntry, dir) };
}

/* ---------- what runs inside the engine ---------- */

// Shared by xst and xsnap: the corpus as bytes and text, and one function per measured path.
export function prelude(corpus) {
	return `
var corpusBytes = ${JSON.stringify(corpus.map((c) => c.bytes))}.map(function (a) { return Uint8Array.from(a); });
function latin1(bytes) { var s = ""; for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]); return s; }
var corpusText = corpusBytes.map(latin1);	// kirm's parse takes text (it reads it as 'binary'); the corpus is ASCII
`;
}

// The firmware's native helpers (hosts/moddable/text-helpers.ts over the SDK's
// TextDecoder and TextEncoder, which xst has as globals); "portier-js" runs without them.
export const HELPERS = `
if (typeof TextDecoder === "function") portier.setTextHelpers(portier.moddableTextHelpers(new TextDecoder(), typeof TextEncoder === "function" ? new TextEncoder() : undefined));
`;

export const PORTIER_PATHS = `
var parser = new portier.SipParser();
function structured(m) {	// a message as structured values, as a UA holds one it is about to send (as tools/bench.js)
	var headers = [];
	for (var i = 0; i < m.headerCount; i++) {
		var v = portier.parsedValue(m, i), name = m.canonicalNameAt(i);
		if (Array.isArray(v) && v.every(function (x) { return typeof x === "string"; })) headers.push([name, v.join(", ")]);
		else if (Array.isArray(v)) for (var k = 0; k < v.length; k++) headers.push([name, v[k]]);
		else headers.push([name, v === undefined ? m.headerValueAt(i) : v]);
	}
	var body = portier.decodeText(m.bytes, m.bodyStart, m.bodyEnd);
	return m.isRequest ? { method: m.method, uri: m.uri, headers: headers, body: body } : { status: m.status, reason: m.reason, headers: headers, body: body };
}
var objects = corpusBytes.map(function (b) { return structured(parser.parse(b)); });
var paths = {
	parse: { inputs: corpusBytes, fn: function (b) { return parser.parse(b); } },
	parseUa: { inputs: corpusBytes, fn: function (b) { var m = parser.parse(b); m.branch(); m.callId(); m.cseq(); m.fromTag(); m.toTag(); return m; } },
	serialize: { inputs: objects, fn: function (o) { return o.method ? portier.formatRequest(o) : portier.formatResponse(o); } },
};
`;

export const SIP_PATHS = `
var objects = corpusText.map(function (t) { return kirm.parse(t); });
var paths = {
	parse: { inputs: corpusText, fn: function (t) { return kirm.parse(t); } },
	// kirm's parse builds everything; the UA's reads are property lookups
	parseUa: { inputs: corpusText, fn: function (t) { var m = kirm.parse(t), h = m.headers; h.via[0].params.branch; h["call-id"]; h.cseq.seq; h.from.params.tag; h.to.params.tag; return m; } },
	serialize: { inputs: objects, fn: function (o) { return kirm.stringify(o); } },
};
`;

// One process runs one path COUNT times after a warm-up; a process with COUNT 0
// (same load, bundle, corpus and warm-up) is the baseline subtracted.
function countedScript(mode, count) {
	return `
(function () {
	var p = paths.${mode}, inputs = p.inputs, fn = p.fn, n = inputs.length;
	for (var w = 0; w < 20; w++) for (var k = 0; k < n; k++) fn(inputs[k]);
	for (var i = 0; i < ${count}; i++) fn(inputs[i % n]);
	print("DONE");
})();
`;
}

// For sizing the counted runs: wall-clock µs per message over about 150 ms.
function probeScript(mode) {
	return `
(function () {
	var p = paths.${mode}, inputs = p.inputs, fn = p.fn, n = inputs.length, now = $262.agent.monotonicNow;
	for (var k = 0; k < n; k++) fn(inputs[k]);
	var count = 0, start = now(), t = start;
	while (t - start < 150) { for (var k = 0; k < n; k++) fn(inputs[k]); count += n; t = now(); }
	print("PROBE " + ((t - start) * 1000 / count));
})();
`;
}

/* ---------- xst rounds ---------- */

function buildShim(dir) {
	const so = dir + "/xst-stack-cache.so";
	const r = spawnSync("cc", ["-shared", "-fPIC", "-O2", "-o", so, root + "tools/xst-stack-cache.c", "-ldl"], { encoding: "utf8" });
	return r.status === 0 ? so : undefined;
}

/**
 * CPU seconds (user + system) of one xst run: the machine may be busy with
 * other work, and CPU time counts only this process's. bash's `times` reports
 * the children's getrusage() figures.
 */
function cpuOfXst(xst, file, shim) {
	const env = { ...process.env };
	if (shim)
		env.LD_PRELOAD = shim;
	const r = spawnSync("bash", ["-c", "\"$0\" \"$1\" >/dev/null 2>&1; status=$?; times; exit $status", xst, file], { encoding: "utf8", env });
	if (r.status !== 0)
		throw new Error(`xst failed (${r.status}) on ${file}`);
	const [user, sys] = r.stdout.trim().split("\n").pop().split(" ").map((t) => {
		const m = /^(\d+)m([\d.]+)s$/.exec(t);
		return Number(m[1]) * 60 + Number(m[2]);
	});
	return user + sys;
}

const stats = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return { median: +s[s.length >> 1].toFixed(2), min: +s[0].toFixed(2), max: +s[s.length - 1].toFixed(2) };
};

const MODES = ["parse", "parseUa", "serialize"];

async function xstFigures(xst, dir, sources, corpus) {
	const shim = buildShim(dir);
	// contender x footing; "fair" runs under the shim (where it could be built)
	const runs = shim
		? [["portier", "fair"], ["sip", "fair"], ["portier-js", "fair"], ["sip", "raw"]]
		: [["portier", "raw"], ["sip", "raw"], ["portier-js", "raw"]];
	const body = {
		"portier": sources.portier + HELPERS + prelude(corpus) + PORTIER_PATHS,
		"portier-js": sources.portier + prelude(corpus) + PORTIER_PATHS,
		"sip": sources.sip + prelude(corpus) + SIP_PATHS,
	};
	if (process.env.BENCH_XS_KEEP) {
		for (const [c, text] of Object.entries(body))
			for (const mode of MODES)
				writeFileSync(`${process.env.BENCH_XS_KEEP}/${c}-${mode}.js`, text + countedScript(mode, 30000));
	}
	const script = (c, mode, count) => {
		const file = `${dir}/run-${c}-${mode}-${count}.js`;
		if (!existsSync(file))
			writeFileSync(file, body[c] + countedScript(mode, count));
		return file;
	};
	// counts sized from a short calibration run, so that each round costs about ROUND_MS of CPU
	const counts = {};
	for (const [c, f] of runs) {
		const key = c + " " + f;
		counts[key] = {};
		for (const mode of MODES) {
			const file = `${dir}/probe-${c}-${mode}.js`;
			writeFileSync(file, body[c] + probeScript(mode));
			const env = { ...process.env };
			if (f === "fair")
				env.LD_PRELOAD = shim;
			const r = spawnSync(xst, [file], { encoding: "utf8", env });
			const line = (r.stdout || "").split("\n").find((l) => l.startsWith("PROBE "));
			if (!line)
				throw new Error(`xst failed on ${file}: ${(r.stderr || r.stdout || "").slice(0, 300)}`);
			const per = Number(line.slice(6));	// µs, wall clock: an overestimate on a busy machine
			counts[key][mode] = Math.min(200000, Math.max(100, Math.round(ROUND_MS * 1000 / per / 100) * 100));
		}
	}
	const samples = {};
	for (const [c, f] of runs)
		samples[c + " " + f] = { parse: [], parseUa: [], serialize: [] };
	for (let r = 0; r < ROUNDS; r++) {
		const order = r % 2 ? [...runs].reverse() : runs;
		for (const mode of MODES) {
			for (const [c, f] of order) {
				const key = c + " " + f, s = f === "fair" ? shim : undefined, n = counts[key][mode];
				const base = cpuOfXst(xst, script(c, mode, 0), s);
				const cpu = cpuOfXst(xst, script(c, mode, n), s);
				samples[key][mode].push((cpu - base) * 1e6 / n);
			}
		}
	}
	const out = { engine: "", shim: !!shim, rounds: ROUNDS, roundMs: ROUND_MS, usPerMessage: {}, ratios: {} };
	const v = spawnSync(xst, ["-v"], { encoding: "utf8" });
	out.engine = (v.stdout || "").trim();
	for (const [key, s] of Object.entries(samples))
		out.usPerMessage[key] = { parse: stats(s.parse), parseUa: stats(s.parseUa), serialize: stats(s.serialize) };
	const footing = shim ? "fair" : "raw";
	const P = out.usPerMessage["portier " + footing], S = out.usPerMessage["sip " + footing];
	out.ratios = {
		footing,
		parse: +(S.parse.median / P.parse.median).toFixed(2),
		parseUa: +(S.parseUa.median / P.parseUa.median).toFixed(2),
		serialize: +(S.serialize.median / P.serialize.median).toFixed(2),
	};
	if (shim)
		out.ratios.parseUaRaw = +(out.usPerMessage["sip raw"].parseUa.median / P.parseUa.median).toFixed(2);
	// without a C compiler there is no fair run: portier's own figures need none (it compiles no RegExp)
	return out;
}

/* ---------- xsnap (XS 13) meter: slots ---------- */

async function xsnapFigures(sources, corpus) {
	const { Xsnap } = await import(root + "tests/xs/xsnap.js");
	const N = 300;
	const out = {};
	// xsnap has no native helpers to give: the JavaScript fallback (as in npm run test:xs)
	for (const [name, source, paths] of [["portier-js", sources.portier, PORTIER_PATHS], ["sip", sources.sip, SIP_PATHS]]) {
		const xs = new Xsnap();
		try {
			await xs.evaluate("globalThis.$262 = { agent: { monotonicNow: Date.now } }; globalThis.print = function () {}; 0");
			await xs.evaluate(source + prelude(corpus) + paths + "globalThis.paths = paths; globalThis.kept = []; 0");
			await xs.evaluate("for (var k = 0; k < 100; k++) paths.parseUa.fn(paths.parseUa.inputs[k % paths.parseUa.inputs.length]); 0");
			const base = await xs.evaluate("for (var i = 0; i < 0; i++); 0");
			const row = {};
			for (const mode of ["parse", "parseUa", "serialize"]) {
				const run = await xs.evaluate(`(function () { var p = paths.${mode}; for (var i = 0; i < ${N}; i++) p.fn(p.inputs[i % p.inputs.length]); })(); 0`);
				row[mode + "Compute"] = Math.round((run.meter.compute - base.meter.compute) / N);
			}
			// allocated: heap growth over a short run right after a collection (none happens within it)
			const g0 = await xs.evaluate("gc(); 0");
			const a = await xs.evaluate(`(function () { var p = paths.parse; for (var i = 0; i < 50; i++) p.fn(p.inputs[i % p.inputs.length]); })(); 0`);
			row.parseSlotsAllocated = Math.round((a.meter.currentHeapCount - g0.meter.currentHeapCount) / 50);
			const g1 = await xs.evaluate("gc(); 0");
			const b = await xs.evaluate(`(function () { var p = paths.parseUa; for (var i = 0; i < 50; i++) p.fn(p.inputs[i % p.inputs.length]); })(); 0`);
			row.parseUaSlotsAllocated = Math.round((b.meter.currentHeapCount - g1.meter.currentHeapCount) / 50);
			// retained: N messages kept alive across a collection
			const idle = await xs.evaluate("gc(); 0");
			const keep = await xs.evaluate(`(function () { var p = paths.parse; for (var i = 0; i < ${N}; i++) kept.push(p.fn(p.inputs[i % p.inputs.length])); })(); gc(); 0`);
			row.parseSlotsRetained = Math.round((keep.meter.currentHeapCount - idle.meter.currentHeapCount) / N);
			out[name] = row;
		}
		finally {
			await xs.close();
		}
	}
	return out;
}

/* ---------- report ---------- */

function report(r) {
	const lines = [];
	const range = (s) => `${s.median.toFixed(1).padStart(7)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
	lines.push(`SIP message layer inside XS: ${r.xst.engine}, release xst; ${r.corpus} messages; median (range) of ${r.xst.rounds} interleaved rounds of about ${r.xst.roundMs} ms of CPU time each`);
	lines.push("");
	lines.push("µs per message                 lazy parse          parse + UA reads    serialize");
	for (const [key, s] of Object.entries(r.xst.usPerMessage))
		lines.push(`  ${key.padEnd(28)} ${range(s.parse).padEnd(20)}${range(s.parseUa).padEnd(20)}${range(s.serialize)}`);
	const x = r.xst.ratios;
	lines.push(`  sip / portier (${x.footing}): lazy ${x.parse}x, parse + UA reads ${x.parseUa}x, serialize ${x.serialize}x` + (x.parseUaRaw ? `; parse + UA reads against sip raw ${x.parseUaRaw}x` : ""));
	lines.push(r.xst.shim
		? "  fair: xst with tools/xst-stack-cache.c preloaded (RegExp compiles without Linux's /proc/self/maps re-read); raw: plain xst\n  portier: with the firmware's native text helpers (SDK TextDecoder, TextEncoder); portier-js: the JavaScript fallback"
		: "  (no C compiler: only raw figures; kirm's include Linux's per-RegExp /proc/self/maps re-read)");
	if (r.xsnap) {
		lines.push("");
		lines.push("xsnap (XS 13) meter, per message: compute (lazy / UA reads / serialize), heap slots allocated (lazy / UA reads), retained");
		for (const [name, s] of Object.entries(r.xsnap))
			lines.push(`  ${name.padEnd(8)} ${s.parseCompute} / ${s.parseUaCompute} / ${s.serializeCompute}; ${s.parseSlotsAllocated} / ${s.parseUaSlotsAllocated} slots; ${s.parseSlotsRetained} retained`);
	}
	return lines.join("\n") + "\n";
}

export async function run({ json = false, print = true } = {}) {
	const xst = xstPath();
	if (!xst || !existsSync(xst)) {
		const msg = "bench-xs: no xst (set MODDABLE, and build it: cd $MODDABLE/xs/makefiles/lin && make -f xst.mk GOAL=release)\n";
		if (print)
			process.stdout.write(msg);
		return undefined;
	}
	const corpus = loadCorpus();
	const dir = mkdtempSync(tmpdir() + "/portier-bench-xs-");
	try {
		const sources = await bundles(dir);
		const results = { corpus: corpus.length, xst: await xstFigures(xst, dir, sources, corpus), xsnap: undefined };
		results.xsnap = await xsnapFigures(sources, corpus);
		if (print)
			process.stdout.write(json ? JSON.stringify(results, null, 2) + "\n" : report(results));
		return results;
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	run({ json: process.argv.includes("--json") }).catch((e) => {
		process.stderr.write(String(e && e.stack || e) + "\n");
		process.exit(1);
	});
}
