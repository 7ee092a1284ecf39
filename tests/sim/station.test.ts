// The same black-box checks as on Node, against the station built with the
// Moddable SDK and running in its Linux simulator (skipped without the SDK).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { admin, freePort } from "../node/helpers.js";
import { type SimRun, buildStation, findSdk, runSimulator } from "./simulator.js";
import { readFileSync } from "node:fs";
import { type Kamailio, USERS, kamailioInstalled, makeCertificates, startKamailio } from "../interop/kamailio.js";
import { until } from "../interop/station.js";
import { installed, mosquitto, sipp } from "../interop/peers.js";
import mqtt from "mqtt";
import { parseMessage } from "../../modules/sip/message.js";
import { writeNtp } from "../../modules/time/sntp.js";

function options(port: number, transport: string, localPort: number): Buffer {
	return Buffer.from([
		`OPTIONS sip:door@127.0.0.1:${port} SIP/2.0`,
		`Via: SIP/2.0/${transport} 127.0.0.1:${localPort};branch=z9hG4bKsim${Date.now()};rport`,
		"Max-Forwards: 70", "From: <sip:tester@127.0.0.1>;tag=s1", `To: <sip:door@127.0.0.1:${port}>`,
		`Call-ID: sim-${Math.random()}`, "CSeq: 1 OPTIONS", "Content-Length: 0", "", ""].join("\r\n"));
}

/** Ask until the answer is yes (each check a request to the simulator). */
async function poll(check: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!await check()) {
		if (Date.now() > deadline)
			throw new Error("timed out: " + describe());
		await new Promise((r) => setTimeout(r, 200));
	}
}

describe("the station in the Moddable simulator", function () {
	this.timeout(360000);
	let sim: SimRun | undefined;
	let kamailio: Kamailio | undefined;
	let port = 0;
	let control = 0;
	let http = 0;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string") {
			process.stdout.write(`\n  sim: skipped: ${sdk}\n`);
			this.skip();
		}
		port = await freePort();
		control = await freePort();
		http = await freePort();
		const config: Record<string, string | number> = { sipPort: port, controlPort: control, httpPort: http, trust: "127.0.0.1", doorCode: "1234" };
		if (kamailioInstalled()) {
			const udpPort = await freePort();
			kamailio = await startKamailio({ udpPort, tcpPort: await freePort() });
			Object.assign(config, { account1Server: "127.0.0.1", account1Port: udpPort, account1User: "door", account1Password: USERS.door, account1Transport: "udp", account1Expires: 60 });
		}
		const so = buildStation(sdk, config);
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
	});
	after(async () => {
		await sim?.stop();
		await kamailio?.stop();
	});

	it("registers to Kamailio over UDP with digest authentication", async function () {
		if (!kamailio)
			this.skip();
		await until(() => /portier: account 1 registered \(200 OK\)/.test(sim!.output()), 15000, () => sim!.output());
		await until(() => /registered sip:door@127.0.0.1 from 127.0.0.1:\d+ over udp/.test(kamailio!.output()), 5000, () => kamailio!.output().slice(-1000));
	});

	it("answers OPTIONS over UDP", async () => {
		const reply = await new Promise<Buffer>((resolve, reject) => {
			const s = dgram.createSocket("udp4");
			const timer = setTimeout(() => { s.close(); reject(new Error("no answer")); }, 5000);
			s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m); });
			s.bind(0, "127.0.0.1", () => s.send(options(port, "UDP", s.address().port), port, "127.0.0.1"));
		});
		const m = parseMessage(new Uint8Array(reply));
		assert.equal(m.status, 200);
		assert.match(m.header("Allow")!, /INVITE, ACK, BYE, CANCEL, OPTIONS/);
		assert.ok(m.topVia().rport! > 0);
	});

	it("answers OPTIONS over TCP", async () => {
		const socket = net.connect(port, "127.0.0.1");
		let received = "";
		socket.on("data", (d) => { received += d.toString(); });
		await new Promise((r) => socket.once("connect", r));
		socket.write(options(port, "TCP", socket.localPort!));
		const deadline = Date.now() + 5000;
		while (!received.includes("\r\n\r\n") && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 20));
		socket.destroy();
		assert.match(received, /^SIP\/2\.0 200 OK\r\n/, sim!.output());
	});

	it("a SIPp caller is auto-answered and its INFO door code releases relay 1", async function () {
		if (!installed("sipp"))
			this.skip();
		const peer = sipp("uac-info-dtmf.xml", await freePort(), "127.0.0.1:" + port, ["-s", "door"]);
		assert.equal(await peer.exited, 0, peer.output() + sim!.output());
		await until(() => /portier: door 1 opened by dtmf/.test(sim!.output()), 5000, () => sim!.output());
		assert.match(sim!.output(), /sim: relay 1 1/);
	});

	it("simulated pins: the exit button (input 2) releases relay 1, read back over the control port", async () => {
		const ask = (command: string) => new Promise<string>((resolve, reject) => {
			const s = dgram.createSocket("udp4");
			const timer = setTimeout(() => { s.close(); reject(new Error("no answer to " + command)); }, 3000);
			s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m.toString()); });
			s.bind(0, "127.0.0.1", () => s.send(command, control, "127.0.0.1"));
		});
		await until(() => !/relay 1 1/.test(sim!.output().split("sim: relay 1 0").at(-1) ?? ""), 5000, () => "relay 1 still released");
		assert.match(await ask("status"), /^relays 1=0 inputs 1=1 2=1 3=0$/);
		assert.equal(await ask("press 2"), "ok");
		let status = "";
		const deadline = Date.now() + 3000;
		while (!/relays 1=1/.test(status) && Date.now() < deadline)
			status = await ask("status");
		assert.match(status, /relays 1=1/);
		assert.match(await ask("press 9"), /^error no input 9/);
	});

	it("serves the page and the API on the SDK's HTTP server: first password, a refused and an accepted change, relay 1 opened, settings kept in Preference", async () => {
		const base = `http://127.0.0.1:${http}`;
		const page = await fetch(base + "/");
		assert.equal(page.status, 200);
		assert.equal(page.headers.get("connection"), "close", "the SDK's server closes each connection, and says so (RFC 9112 §9.6)");
		assert.match(await page.text(), /<title>portier<\/title>/);
		assert.equal((await fetch(base + "/api/status")).status, 401);
		const api = await admin(base);
		const bad = await api.request("PUT", "/api/config", { station: { maxCallTime: 99999 } });
		assert.equal(bad.status, 400);
		assert.deepEqual(bad.data.errors, [{ field: "station.maxCallTime", message: "0-14400 seconds (0: no limit)" }]);
		// a body of 1.8 KB: decoded in chunks small enough for the XS stack (512 slots), not in one call
		const whitelist = Array.from({ length: 100 }, (_, i) => "10.0.0." + i);
		const good = await api.request("PUT", "/api/config", { station: { maxCallTime: 120, whitelist }, accounts: { "2": { label: "Zweitkonto ü" } } });
		assert.equal(good.status, 200, JSON.stringify(good.data));
		assert.equal(good.data.station.maxCallTime, 120);
		assert.deepEqual(good.data.station.whitelist, whitelist);
		assert.equal(good.data.accounts["1"].password, kamailio ? null : "", "the provisioned password is not sent back");
		const schema = await api.request("GET", "/api/schema");
		assert.equal(schema.data.fields.station.fields.maxCallTime.max, 14400);
		assert.equal((await api.request("POST", "/api/relays/1/open")).status, 200);
		const status = (await api.request("GET", "/api/status")).data;
		assert.deepEqual(status.relays, [{ id: 1, active: true }]);
		assert.equal((await fetch(base + "/api/config", { method: "PUT", headers: { cookie: api.cookie }, body: "{}" })).status, 403, "no CSRF token");
		// a soft reboot reads the stored configuration back from Preference
		assert.equal((await api.request("POST", "/api/reboot")).status, 200);
		await until(() => (sim!.output().match(/portier: SIP on/g) ?? []).length >= 2, 10000, () => sim!.output().slice(-2000));
		const again = await admin(base);
		const config = (await again.request("GET", "/api/config")).data;
		assert.equal(config.station.maxCallTime, 120);
		assert.equal(config.accounts["2"].label, "Zweitkonto ü");
	});

	it("MQTT on the SDK's client: configured over the API, online at mosquitto, a command opens relay 1", async function () {
		if (!installed("mosquitto", ["-h"]))
			this.skip();
		await new Promise((r) => setTimeout(r, 3100));	// relay 1 from the previous test has closed
		const brokerPort = await freePort();
		const broker = await mosquitto(brokerPort);
		const seen: Array<{ topic: string; text: string }> = [];
		const watcher = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: "watcher", reconnectPeriod: 0 });
		try {
			watcher.on("message", (topic, payload) => seen.push({ topic, text: payload.toString() }));
			await new Promise<void>((resolve) => watcher.once("connect", () => watcher.subscribe(["portier/#", "homeassistant/#"], () => resolve())));
			const api = await admin(`http://127.0.0.1:${http}`);
			const set = await api.request("PUT", "/api/config", { mqtt: { enabled: true, host: "127.0.0.1", port: brokerPort, clientId: "simdoor" } });
			assert.equal(set.status, 200, JSON.stringify(set.data));
			await until(() => seen.some((m) => m.topic === "portier/availability" && m.text === "online"), 15000, () => sim!.output().slice(-2000));
			await until(() => seen.some((m) => m.topic === "homeassistant/lock/simdoor/relay1/config"), 5000, () => JSON.stringify(seen.map((m) => m.topic)));
			watcher.publish("portier/command/open", "1");
			await until(() => seen.some((m) => m.topic === "portier/result"), 5000, () => sim!.output().slice(-2000));
			assert.deepEqual(JSON.parse(seen.find((m) => m.topic === "portier/result")!.text), { command: "open", ok: true, result: "relay 1 released" });
			assert.deepEqual((await api.request("GET", "/api/status")).data.relays, [{ id: 1, active: true }]);
			assert.ok(seen.some((m) => m.topic === "portier/event/door" && JSON.parse(m.text).by === "mqtt"));
		}
		finally {
			watcher.end(true);
			await broker.stop();
		}
	});

	it("keeps time: not set at power-on, then synchronised by SNTP from a server on 127.0.0.1, shown on /api/status in the zone, log lines stamped", async () => {
		const api = await admin(`http://127.0.0.1:${http}`);
		const before = (await api.request("GET", "/api/status")).data;
		assert.equal(before.time.synchronised, false, JSON.stringify(before.time));
		assert.equal(before.time.source, "not set");
		assert.equal(before.device.time, null, "the panel's Date counts from power-on: no time shown");
		// the test's SNTP server: its clock says 1 July 2026, 10:00 UTC at the first answer
		const TRUE_START = Date.UTC(2026, 6, 1, 10, 0, 0);
		const started = Date.now();
		const requests: Buffer[] = [];
		const server = dgram.createSocket("udp4");
		server.on("message", (msg, rinfo) => {
			requests.push(msg);
			const a = new Uint8Array(48);
			a[0] = (4 << 3) | 4;
			a[1] = 1;
			a.set(msg.subarray(40, 48), 24);
			const view = new DataView(a.buffer);
			writeNtp(view, 32, TRUE_START + Date.now() - started);
			writeNtp(view, 40, TRUE_START + Date.now() - started);
			server.send(a, rinfo.port, rinfo.address);
		});
		await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
		const ntpPort = server.address().port;
		try {
			const set = await api.request("PUT", "/api/config", { time: { servers: ["127.0.0.1:" + ntpPort], zone: "CET-1CEST,M3.5.0,M10.5.0/3" } });
			assert.equal(set.status, 200, JSON.stringify(set.data));
			let status = before;
			await poll(async () => {
				status = (await api.request("GET", "/api/status")).data;
				return status.time.synchronised;
			}, 15000, () => JSON.stringify(status.time) + sim!.output().slice(-1500));
			assert.ok(requests.length >= 1 && requests[0][0] === 0x23, "a client-mode NTPv4 request");
			const t = status.time;
			assert.equal(t.source, "SNTP");
			assert.equal(t.server, "127.0.0.1:" + ntpPort);
			assert.equal(status.device.timeSource, "SNTP");
			const truth = TRUE_START + Date.now() - started;
			assert.ok(Math.abs(t.now - truth) < 3000, `the panel's time ${new Date(t.now).toISOString()}, the server's ${new Date(truth).toISOString()}`);
			assert.equal(t.abbreviation, "CEST");
			assert.equal(t.utcOffset, 120);
			assert.match(t.local, /^2026-07-01 12:00:\d\d$/);
			assert.ok(Math.abs(t.syncedAt - truth) < 5000);
			assert.match(sim!.output(), /time: synchronised with 127\.0\.0\.1:\d+ \(stratum 1, delay \d+ ms\): 2026-07-01 12:00:\d\d CEST/);
			// a line logged now carries the local date and time
			assert.equal((await api.request("PUT", "/api/config", { station: { maxCallTime: 150 } })).status, 200);
			await poll(async () => {
				status = (await api.request("GET", "/api/status")).data;
				return status.log.some((l: string) => l.startsWith("2026-07-01 12:0"));
			}, 5000, () => JSON.stringify(status.log.slice(-5)));
		}
		finally {
			server.close();
		}
	});

	it("logs through trace()", () => {
		assert.match(sim!.output(), /portier: SIP on udp and tcp port \d+/);
	});
});

describe("the station in the Moddable simulator, registering over TCP", function () {
	this.timeout(360000);
	let sim: SimRun | undefined;
	let kamailio: Kamailio | undefined;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string" || !kamailioInstalled()) {
			process.stdout.write(`\n  sim tcp: skipped: ${typeof sdk === "string" ? sdk : "kamailio is not installed"}\n`);
			this.skip();
		}
		const tcpPort = await freePort();
		kamailio = await startKamailio({ udpPort: await freePort(), tcpPort });
		const so = buildStation(sdk, { sipPort: await freePort(), httpPort: 0, account1Server: "127.0.0.1", account1Port: tcpPort, account1User: "door", account1Password: USERS.door, account1Transport: "tcp", account1Expires: 60 });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
	});
	after(async () => {
		await sim?.stop();
		await kamailio?.stop();
	});

	it("registers to Kamailio over TCP with digest authentication", async () => {
		await until(() => /portier: account 1 registered \(200 OK\)/.test(sim!.output()), 15000, () => sim!.output());
		await until(() => /registered sip:door@127.0.0.1 from 127.0.0.1:\d+ over tcp/.test(kamailio!.output()), 5000, () => kamailio!.output().slice(-1000));
	});
});

describe("the station in the Moddable simulator, registering over TLS", function () {
	this.timeout(360000);
	let sim: SimRun | undefined;
	let kamailio: Kamailio | undefined;
	let tlsPort = 0;
	let http = 0;
	let certs: ReturnType<typeof makeCertificates>;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string" || !kamailioInstalled() || !installed("openssl", ["version"])) {
			process.stdout.write(`\n  sim tls: skipped: ${typeof sdk === "string" ? sdk : "kamailio or openssl is not installed"}\n`);
			this.skip();
		}
		certs = makeCertificates();
		tlsPort = await freePort();
		kamailio = await startKamailio({ udpPort: await freePort(), tcpPort: await freePort(), tlsPort, tls: { cert: certs.cert, key: certs.key, ca: certs.ca } });
		http = await freePort();
		const so = buildStation(sdk, { sipPort: await freePort(), httpPort: http });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
	});
	after(async () => {
		await sim?.stop();
		await kamailio?.stop();
	});

	const account = (ca: string) => ({ accounts: { "1": { enabled: true, server: "127.0.0.1", port: tlsPort, transport: "TLS", registerName: "door", password: USERS.door, expires: 60, ca } } });

	it("registers to Kamailio over TLS (the SDK's TLS socket, the CA uploaded as PEM), and refuses a server signed by another CA", async () => {
		const api = await admin(`http://127.0.0.1:${http}`);
		const wrong = await api.request("PUT", "/api/config", account(readFileSync(certs.otherCa, "utf8")));
		assert.equal(wrong.status, 200, JSON.stringify(wrong.data));
		await until(() => /portier: account 1 not registered \(503 /.test(sim!.output()), 20000, () => sim!.output().slice(-2000));
		assert.doesNotMatch(kamailio!.output(), /over tls/, "no binding through an untrusted server");
		const right = await api.request("PUT", "/api/config", account(readFileSync(certs.ca, "utf8")));
		assert.equal(right.status, 200, JSON.stringify(right.data));
		await until(() => /portier: account 1 registered \(200 OK\)/.test(sim!.output()), 30000, () => sim!.output().slice(-2000));
		await until(() => /registered sip:door@127.0.0.1 from 127.0.0.1:\d+ over tls/.test(kamailio!.output()), 5000, () => kamailio!.output().slice(-1000));
	});

	it("MQTT over TLS to mosquitto with the uploaded CA: online, and nothing with another CA", async function () {
		if (!installed("mosquitto", ["-h"]))
			this.skip();
		const brokerPort = await freePort();
		const broker = await mosquitto(brokerPort, { cert: certs.cert, key: certs.key });
		const online: string[] = [];
		const watcher = mqtt.connect(`mqtts://127.0.0.1:${brokerPort}`, { clientId: "sim-tls-watcher", reconnectPeriod: 0, ca: readFileSync(certs.ca, "utf8") });
		try {
			watcher.on("message", (topic, payload) => { if (topic === "portier/availability") online.push(payload.toString()); });
			await new Promise<void>((resolve, reject) => {
				watcher.once("connect", () => watcher.subscribe("portier/availability", () => resolve()));
				watcher.once("error", reject);
			});
			const api = await admin(`http://127.0.0.1:${http}`);
			const mqttAt = (ca: string) => ({ mqtt: { enabled: true, host: "127.0.0.1", port: brokerPort, tls: true, ca, clientId: "simtls" } });
			assert.equal((await api.request("PUT", "/api/config", mqttAt(readFileSync(certs.otherCa, "utf8")))).status, 200);
			await until(() => /tls: .*certificate/.test(sim!.output()), 20000, () => sim!.output().slice(-2000));
			assert.equal(online.length, 0, "not online through a broker it does not trust");
			assert.equal((await api.request("PUT", "/api/config", mqttAt(readFileSync(certs.ca, "utf8")))).status, 200);
			await until(() => online.includes("online"), 30000, () => sim!.output().slice(-2000));
		}
		finally {
			watcher.end(true);
			await broker.stop();
		}
	});
});
