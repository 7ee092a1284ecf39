#!/usr/bin/env node
// `npm run bench`: portier's SIP message layer against the npm SIP parsers
// (`sip`, `jssip`, `sip.js`) on one corpus of realistic messages (tools/corpus),
// in one process. Reports messages per second (median of rounds), the ratio to
// each peer, the heap retained per parsed message, and portier's cost inside
// XS (the xsnap meter: compute and heap slots per message). Then calls under
// load (tools/bench-load.js): SIPp calls of 1 s at the station started with
// `npm start` and at baresip, side by side: the highest rate with no failed
// call and the set-up time. `--json` prints the same as JSON; `--no-load`
// measures the message layer only, `--load` the calls only (with `--calls N`
// and `--rates 1,2,3`). With MODDABLE set, also the message layer inside the
// SDK's xst (tools/bench-xs.js) and the station's hot paths in the simulator
// (tools/bench-sim.js; `--no-sim` leaves them out). A benchmark, not a test:
// nothing here passes or fails.
import { readFileSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

if (typeof globalThis.gc !== "function") {
	const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
	process.exit(r.status ?? 1);
}

const root = fileURLToPath(new URL("../", import.meta.url));
const require = createRequire(import.meta.url);
const json = process.argv.includes("--json");
const { loadBench, loadTable, parseLoadFlags } = await import("./bench-load.js");
const loadOptions = parseLoadFlags(process.argv.slice(2));
if (process.argv.includes("--load")) {
	const load = await loadBench(loadOptions);
	process.stdout.write(json ? JSON.stringify({ load }, null, 2) + "\n" : loadTable(load) + "\n");
	process.exit(0);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 500);
const RETAIN_COUNT = 20000;

const { SipParser } = await import(root + "build/modules/sip/message.js");
const { serializeRequest, serializeResponse, formatRequest, formatResponse } = await import(root + "build/modules/sip/serialize.js");
const { parsedValue } = await import(root + "build/modules/sip/describe.js");

const corpusDir = root + "tools/corpus/";
const corpus = readdirSync(corpusDir).filter((f) => f.endsWith(".sip")).sort().map((name) => {
	const bytes = new Uint8Array(readFileSync(corpusDir + name));
	return { name, bytes, text: Buffer.from(bytes).toString("utf8") };
});

/* ---------- the contenders ---------- */

const parser = new SipParser();
/** What a UA reads of every message it receives: the transaction and dialog keys. */
function uaRead(m) {
	return m.branch() !== undefined && m.callId() !== "" && m.cseq().seq >= 0 && m.fromTag() !== undefined && m.toTag() !== null;
}
/** A message as structured values, the way a UA holds one it is about to send. */
function structured(m) {
	const headers = [];
	for (let i = 0; i < m.headerCount; i++) {
		const v = parsedValue(m, i);
		const name = m.canonicalNameAt(i);
		if (Array.isArray(v) && v.every((x) => typeof x === "string"))
			headers.push([name, v.join(", ")]);	// a token list stays one header (Allow, Supported)
		else if (Array.isArray(v))
			for (const x of v) headers.push([name, x]);
		else
			headers.push([name, v ?? m.headerValueAt(i)]);
	}
	// a UA holds its SDP as text, as the peers' message objects do
	const body = Buffer.from(m.body).toString("utf8");
	return m.isRequest ? { method: m.method, uri: m.uri, headers, body } : { status: m.status, reason: m.reason, headers, body };
}

const sip = require("sip");
const jssipParser = require("jssip/lib/Parser.js");
const sipjs = await import("sip.js/lib/core/messages/parser.js");
const quietLogger = { error() {}, warn() {}, log() {}, debug() {} };

const contenders = {
	"portier": {
		parse: (c) => parser.parse(c.bytes),
		parseUa: (c) => { const m = parser.parse(c.bytes); uaRead(m); return m; },
		parseFull: (c) => { const m = parser.parse(c.bytes); m.validate(); return m; },
		prepare: (c) => structured(parser.parse(c.bytes)),
		serialize: (o) => (o.method ? formatRequest(o) : formatResponse(o)),
		// to octets: the host's native encoder (Node: Buffer; the device: ArrayBuffer.fromString)
		serializeBytes: (o) => Buffer.from(o.method ? formatRequest(o) : formatResponse(o), "utf8"),
		// to octets in JavaScript alone (no host encoder)
		serializeJs: (o) => (o.method ? serializeRequest(o) : serializeResponse(o)),
	},
	"sip": {
		parse: (c) => sip.parse(c.text),
		prepare: (c) => sip.parse(c.text),
		serialize: (o) => sip.stringify(o),
		serializeBytes: (o) => Buffer.from(sip.stringify(o), "binary"),
	},
	"jssip": {
		parse: (c) => jssipParser.parseMessage(c.text, {}),
	},
	"sip.js": {
		parse: (c) => sipjs.Parser.parseMessage(c.text, quietLogger),
	},
};

/* ---------- measuring ---------- */

/**
 * Messages per second for several functions, measured in interleaved rounds
 * (so that a slow moment of the machine hits all of them alike); the median
 * round counts.
 */
function rates(table) {
	const names = Object.keys(table);
	const samples = Object.fromEntries(names.map((n) => [n, []]));
	for (const n of names) {
		const { fn, inputs } = table[n];
		for (let i = 0; i < 2000; i++) fn(inputs[i % inputs.length]);
	}
	for (let r = 0; r < ROUNDS; r++) {
		for (const n of names) {
			const { fn, inputs } = table[n];
			let count = 0;
			const start = process.hrtime.bigint();
			const stop = start + BigInt(ROUND_MS) * 1000000n;
			let now = start;
			while (now < stop) {
				for (let k = 0; k < inputs.length; k++)
					fn(inputs[k]);
				count += inputs.length;
				now = process.hrtime.bigint();
			}
			samples[n].push(count / (Number(now - start) / 1e9));
		}
	}
	const out = {};
	for (const n of names) {
		const xs = samples[n].sort((a, b) => a - b);
		out[n] = Math.round(xs[xs.length >> 1]);
	}
	return out;
}

function memory() {
	globalThis.gc();
	globalThis.gc();
	const m = process.memoryUsage();
	return m.heapUsed + m.arrayBuffers;
}

/** Bytes retained per parsed message while RETAIN_COUNT of them are kept alive. */
function retained(fn) {
	const keep = new Array(RETAIN_COUNT);
	const before = memory();
	for (let i = 0; i < RETAIN_COUNT; i++)
		keep[i] = fn(corpus[i % corpus.length]);
	const after = memory();
	if (keep.some((m) => !m))
		throw new Error("a parser returned nothing");
	return Math.round((after - before) / RETAIN_COUNT);
}

const results = { corpus: corpus.map((c) => ({ name: c.name, bytes: c.bytes.length })), node: process.version, parse: {}, serialize: {}, retainedBytes: {}, xs: undefined };

results.parse = rates({
	"portier": { fn: contenders.portier.parse, inputs: corpus },
	"portier (UA reads keys)": { fn: contenders.portier.parseUa, inputs: corpus },
	"portier (validate all)": { fn: contenders.portier.parseFull, inputs: corpus },
	"sip": { fn: contenders.sip.parse, inputs: corpus },
	"jssip": { fn: contenders.jssip.parse, inputs: corpus },
	"sip.js": { fn: contenders["sip.js"].parse, inputs: corpus },
});
for (const [name, c] of Object.entries(contenders))
	results.retainedBytes[name] = retained(c.parse);
results.retainedBytes["portier (UA reads keys)"] = retained(contenders.portier.parseUa);
const portierObjects = corpus.map((x) => contenders.portier.prepare(x));
const sipObjects = corpus.map((x) => contenders.sip.prepare(x));
results.serialize = rates({
	"portier (text)": { fn: contenders.portier.serialize, inputs: portierObjects },
	"sip (text)": { fn: contenders.sip.serialize, inputs: sipObjects },
	"portier (octets, host encoder)": { fn: contenders.portier.serializeBytes, inputs: portierObjects },
	"sip (octets, Buffer.from)": { fn: contenders.sip.serializeBytes, inputs: sipObjects },
	"portier (octets, JS only)": { fn: contenders.portier.serializeJs, inputs: portierObjects },
});

/* ---------- inside XS ---------- */

async function xsFigures() {
	const { Xsnap, bundle } = await import(root + "tests/xs/xsnap.js");
	const { writeFileSync, mkdtempSync, rmSync } = await import("node:fs");
	const { tmpdir } = await import("node:os");
	const dir = mkdtempSync(tmpdir() + "/portier-bench-");
	const entry = dir + "/entry.js";
	writeFileSync(entry, `import { SipParser } from ${JSON.stringify(root + "build/modules/sip/message.js")};
		globalThis.benchParser = new SipParser();`);
	const source = await bundle(entry);
	rmSync(dir, { recursive: true });
	const xs = new Xsnap();
	try {
		await xs.evaluate(source);
		await xs.evaluate(`globalThis.corpus = ${JSON.stringify(corpus.map((c) => Array.from(c.bytes)))}.map((a) => Uint8Array.from(a)); globalThis.kept = []; 0`);
		const N = 600;
		const base = await xs.evaluate("for (let i = 0; i < 0; i++); 0");
		const lazy = await xs.evaluate(`for (let i = 0; i < ${N}; i++) benchParser.parse(corpus[i % corpus.length]); 0`);
		const ua = await xs.evaluate(`for (let i = 0; i < ${N}; i++) { const m = benchParser.parse(corpus[i % corpus.length]); m.branch(); m.callId(); m.cseq(); m.fromTag(); m.toTag(); } 0`);
		const idle = await xs.evaluate("gc(); 0");
		const keep = await xs.evaluate(`for (let i = 0; i < ${N}; i++) kept.push(benchParser.parse(corpus[i % corpus.length])); gc(); 0`);
		return {
			engine: "xsnap (XS 13)",
			computePerMessage: Math.round((lazy.meter.compute - base.meter.compute) / N),
			computePerMessageUaRead: Math.round((ua.meter.compute - base.meter.compute) / N),
			retainedSlotsPerMessage: Math.round((keep.meter.currentHeapCount - idle.meter.currentHeapCount) / N),
		};
	}
	finally {
		await xs.close();
	}
}
results.xs = await xsFigures();
if (process.env.MODDABLE) results.xst = await (await import("./bench-xs.js")).run({ print: !json });	// XS 17 in the SDK's xst, when there is one
if (process.env.MODDABLE && !process.argv.includes("--no-sim")) results.sim = await (await import("./bench-sim.js")).simBench({ print: !json });	// the station's hot paths in the simulator

/* ---------- report ---------- */

const peers = ["sip", "jssip", "sip.js"];
results.ratios = {};
for (const peer of peers) {
	results.ratios[peer] = {
		parse: +(results.parse.portier / results.parse[peer]).toFixed(2),
		parseUaRead: +(results.parse["portier (UA reads keys)"] / results.parse[peer]).toFixed(2),
		parseValidated: +(results.parse["portier (validate all)"] / results.parse[peer]).toFixed(2),
	};
}
results.ratios.sip.serialize = +(results.serialize["portier (text)"] / results.serialize["sip (text)"]).toFixed(2);
results.ratios.sip.serializeOctets = +(results.serialize["portier (octets, host encoder)"] / results.serialize["sip (octets, Buffer.from)"]).toFixed(2);

if (!process.argv.includes("--no-load"))
	results.load = await loadBench(loadOptions);

if (json) {
	process.stdout.write(JSON.stringify(results, null, 2) + "\n");
}
else {
	const fmt = (n) => n.toLocaleString("en-US");
	const lines = [];
	lines.push(`SIP message layer benchmark (${corpus.length} messages, ${corpus.reduce((a, c) => a + c.bytes.length, 0)} bytes; Node ${process.version}; median of ${ROUNDS} x ${ROUND_MS} ms)`);
	lines.push("");
	lines.push("parse, messages/s");
	for (const [name, r] of Object.entries(results.parse))
		lines.push(`  ${name.padEnd(26)} ${fmt(r).padStart(12)}`);
	lines.push("");
	lines.push("portier parse ratio to each peer (lazy / reading the UA keys / validating every header)");
	for (const peer of peers) {
		const r = results.ratios[peer];
		lines.push(`  vs ${peer.padEnd(8)} ${r.parse}x / ${r.parseUaRead}x / ${r.parseValidated}x`);
	}
	lines.push("");
	lines.push("serialize (structured values to wire text), messages/s");
	for (const [name, r] of Object.entries(results.serialize))
		lines.push(`  ${name.padEnd(26)} ${fmt(r).padStart(12)}`);
	lines.push(`  portier / sip: ${results.ratios.sip.serialize}x as text, ${results.ratios.sip.serializeOctets}x as octets`);
	lines.push("");
	lines.push(`heap retained per parsed message (${RETAIN_COUNT} kept alive; heapUsed + arrayBuffers), bytes`);
	for (const [name, r] of Object.entries(results.retainedBytes))
		lines.push(`  ${name.padEnd(26)} ${fmt(r).padStart(12)}`);
	lines.push("");
	lines.push(`inside XS (${results.xs.engine}, meter): ${fmt(results.xs.computePerMessage)} compute per parse, ${fmt(results.xs.computePerMessageUaRead)} with the UA keys read, ${results.xs.retainedSlotsPerMessage} heap slots retained per parsed message`);
	if (results.load) {
		lines.push("");
		lines.push(loadTable(results.load));
	}
	process.stdout.write(lines.join("\n") + "\n");
}
