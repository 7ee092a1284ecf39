// MQTT events and commands of `npm start` through Debian's mosquitto,
// watched with the `mqtt` npm client: call button, door opening, commands,
// Home Assistant discovery, and a broker restart.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import mqtt from "mqtt";
import { makeCertificates } from "./kamailio.js";
import { type AdminClient, admin, freePort, openToLocalCallers, startStation } from "../node/helpers.js";
import { type Running, installed, mosquitto, scenarioWith, sipp } from "./peers.js";
import { until } from "./station.js";

interface Seen {
	topic: string;
	text: string;
	retain: boolean;
}

describe("MQTT events and commands (mosquitto)", function () {
	this.timeout(60000);
	let broker: Running;
	let brokerPort: number;
	let station: Awaited<ReturnType<typeof startStation>>;
	let api: AdminClient;
	let watcher: mqtt.MqttClient;
	const seen: Seen[] = [];
	const peers: Running[] = [];

	const connectWatcher = () => new Promise<void>((resolve, reject) => {
		watcher = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: "watcher", reconnectPeriod: 0 });
		watcher.on("message", (topic, payload, packet) => seen.push({ topic, text: payload.toString(), retain: packet.retain }));
		watcher.once("connect", () => watcher.subscribe(["portier/#", "homeassistant/#"], (e) => (e ? reject(e) : resolve())));
		watcher.once("error", reject);
	});
	const since = (n: number, topic: string) => seen.slice(n).filter((s) => s.topic === topic);
	const json = (s: Seen) => JSON.parse(s.text) as Record<string, unknown>;

	before(async function () {
		if (!installed("mosquitto", ["-h"])) {
			process.stdout.write("\n  mqtt: skipped (Debian's mosquitto is not installed)\n");
			this.skip();
		}
		brokerPort = await freePort();
		broker = await mosquitto(brokerPort);
		await connectWatcher();
		station = await startStation();
		api = await admin(station.base);
		await openToLocalCallers(api);
		const set = await api.request("PUT", "/api/config", { mqtt: { enabled: true, host: "127.0.0.1", port: brokerPort, clientId: "door1" } });
		assert.equal(set.status, 200, JSON.stringify(set.data));
		await until(() => seen.some((s) => s.topic === "portier/availability" && s.text === "online"), 10000, () => station.output());
	});

	after(async () => {
		watcher?.end(true);
		for (const p of peers)
			await p.stop();
		await station?.stop();
		await broker?.stop();
	});

	it("announces itself to Home Assistant: retained discovery configs, valid JSON with the required fields", async () => {
		await until(() => seen.filter((s) => s.topic.startsWith("homeassistant/")).length >= 10, 5000, () => JSON.stringify(seen.map((s) => s.topic)));
		const configs = new Map(seen.filter((s) => s.topic.startsWith("homeassistant/")).map((s) => [s.topic, s]));
		for (const topic of ["homeassistant/event/door1/doorbell/config", "homeassistant/lock/door1/relay1/config", "homeassistant/sensor/door1/call/config",
			"homeassistant/switch/door1/dnd_1/config", "homeassistant/binary_sensor/door1/account1/config", "homeassistant/binary_sensor/door1/input3/config"])
			assert.ok(configs.has(topic), topic);
		// a client arriving later gets them all: they are retained
		const late = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: "late", reconnectPeriod: 0 });
		const retained = new Set<string>();
		late.on("message", (topic, _payload, packet) => { if (packet.retain) retained.add(topic); });
		await new Promise<void>((resolve) => late.once("connect", () => late.subscribe("homeassistant/#", () => resolve())));
		await until(() => retained.size >= configs.size, 5000, () => JSON.stringify([...retained]));
		late.end(true);
		for (const [topic, s] of configs) {
			assert.ok(retained.has(topic), topic + " retained");
			const c = json(s);
			assert.match(String(c.unique_id), /^door1_/, topic);
			assert.equal(typeof c.name, "string", topic);
			assert.ok(c.state_topic || c.command_topic, topic);
			assert.deepEqual((c.device as { identifiers: string[] }).identifiers, ["door1"], topic);
			assert.equal(c.availability_topic, "portier/availability");
		}
		const doorbell = json(configs.get("homeassistant/event/door1/doorbell/config")!);
		assert.deepEqual(doorbell.event_types, ["ring"]);
		assert.equal(doorbell.device_class, "doorbell");
		const lock = json(configs.get("homeassistant/lock/door1/relay1/config")!);
		assert.equal(lock.command_topic, "portier/command/open");
		assert.equal(lock.payload_unlock, "1");
	});

	it("the call button produces dialing, ring, ringing, connected and ended, in order", async function () {
		if (!installed("sipp"))
			this.skip();
		const phonePort = await freePort();
		const phone = sipp(scenarioWith("uas-answer-after.xml", { RING_MS: "500" }), phonePort);
		peers.push(phone);
		assert.equal((await api.request("PUT", "/api/config", { station: { contacts: ["127.0.0.1:" + phonePort] } })).status, 200);
		await new Promise((r) => setTimeout(r, 300));
		const mark = seen.length;
		assert.equal((await api.request("POST", "/api/inputs/1/press")).status, 200);
		await until(() => since(mark, "portier/call").some((s) => json(s).state === "connected"), 10000, () => JSON.stringify(seen.slice(mark)));
		assert.equal((await api.request("POST", "/api/hangup")).status, 200);
		await until(() => since(mark, "portier/call").some((s) => json(s).state === "ended"), 5000, () => JSON.stringify(seen.slice(mark)));
		assert.equal(await phone.exited, 0, phone.output());
		const states = since(mark, "portier/call").map((s) => json(s).state);
		assert.deepEqual(states.filter((s, i) => s !== states[i - 1]), ["dialing", "ringing", "connected", "ended"]);
		const ring = since(mark, "portier/event/ring");
		assert.equal(ring.length, 1);
		assert.deepEqual(json(ring[0]), { event_type: "ring", remote: `<sip:127.0.0.1:${phonePort}>`, direction: "outgoing" });
		const ended = json(since(mark, "portier/call").at(-1)!);
		assert.equal(ended.reason, "local");
		assert.ok(typeof ended.duration === "number");
		const input = since(mark, "portier/input/1").map((s) => s.text);
		assert.deepEqual(input, []);	// a simulated press is not a level change: only real inputs publish levels
	});

	it("a DTMF door code produces a door-opened event and the relay state", async function () {
		if (!installed("sipp"))
			this.skip();
		await new Promise((r) => setTimeout(r, 3100));	// relay 1 is closed again
		const mark = seen.length;
		const caller = sipp("uac-info-dtmf.xml", await freePort(), "127.0.0.1:" + station.sipPort, ["-s", "door"]);
		peers.push(caller);
		assert.equal(await caller.exited, 0, caller.output());
		await until(() => since(mark, "portier/event/door").length > 0, 5000, () => JSON.stringify(seen.slice(mark)));
		assert.deepEqual(json(since(mark, "portier/event/door")[0]), { event_type: "opened", relay: 1, by: "dtmf" });
		assert.equal(since(mark, "portier/relay/1")[0].text, "OPEN");
		await until(() => since(mark, "portier/relay/1").some((s) => s.text === "CLOSED"), 5000, () => "relay 1 not closed");
	});

	it("a command opens relay 1 (seen in /api/status) and is answered; a malformed one changes nothing and gets an error", async () => {
		await until(() => !(seen.filter((s) => s.topic === "portier/relay/1").at(-1)?.text === "OPEN"), 5000, () => "relay busy");
		let mark = seen.length;
		watcher.publish("portier/command/open", "nine");
		watcher.publish("portier/command/launch", "now");
		await until(() => since(mark, "portier/error").length === 2, 5000, () => JSON.stringify(seen.slice(mark)));
		assert.deepEqual(since(mark, "portier/error").map(json), [
			{ command: "open", ok: false, error: "payload must be a relay id: 1" },
			{ command: "launch", ok: false, error: "unknown command (open, call, call/1, call/2, hangup, dnd/1, dnd/2, dnd/ip)" },
		]);
		assert.deepEqual((await api.request("GET", "/api/status")).data.relays, [{ id: 1, active: false }]);
		mark = seen.length;
		watcher.publish("portier/command/open", "1");
		await until(() => since(mark, "portier/result").length === 1, 5000, () => JSON.stringify(seen.slice(mark)));
		assert.deepEqual(json(since(mark, "portier/result")[0]), { command: "open", ok: true, result: "relay 1 released" });
		assert.deepEqual((await api.request("GET", "/api/status")).data.relays, [{ id: 1, active: true }]);
		assert.deepEqual(json(since(mark, "portier/event/door")[0]), { event_type: "opened", relay: 1, by: "mqtt" });
		mark = seen.length;
		watcher.publish("portier/command/dnd/1", "ON");
		await until(() => since(mark, "portier/dnd/1").some((s) => s.text === "ON"), 5000, () => JSON.stringify(seen.slice(mark)));
		assert.equal((await api.request("GET", "/api/config")).data.station.dnd["1"].enabled, true, "kept in the configuration");
	});

	it("reconnects after a broker restart: availability again, events from the outage delivered, commands work again", async () => {
		await new Promise((r) => setTimeout(r, 3100));	// relay 1 closed again
		await broker.stop();
		watcher.end(true);
		await until(() => /mqtt: connection lost/.test(station.output()), 5000, () => station.output());
		// events while the broker is away wait in the queue
		assert.equal((await api.request("POST", "/api/relays/1/open")).status, 200);
		broker = await mosquitto(brokerPort);
		const mark = seen.length;
		await connectWatcher();
		await until(() => since(mark, "portier/stats").length > 0, 15000, () => station.output().slice(-1500));
		assert.ok(since(mark, "portier/availability").some((s) => s.text === "online"));
		assert.deepEqual(json(since(mark, "portier/event/door").at(-1)!), { event_type: "opened", relay: 1, by: "api" }, "the outage's event arrives");
		assert.deepEqual(json(since(mark, "portier/stats").at(-1)!), { dropped: 0 });
		const before = seen.length;
		watcher.publish("portier/command/hangup", "");
		await until(() => since(before, "portier/result").length === 1, 5000, () => "no answer: not subscribed again");
		assert.match(station.output(), /mqtt: connection lost[\s\S]*again in 1 s[\s\S]*mqtt: connected/);
	});

	it("connects over TLS with the configured CA, and refuses a broker signed by another CA", async () => {
		const certs = makeCertificates();
		const tlsPort = await freePort();
		const secure = await mosquitto(tlsPort, { cert: certs.cert, key: certs.key });
		const tlsWatcher = mqtt.connect(`mqtts://127.0.0.1:${tlsPort}`, { clientId: "tls-watcher", reconnectPeriod: 0, ca: readFileSync(certs.ca, "utf8") });
		const online: string[] = [];
		tlsWatcher.on("message", (topic, payload) => { if (topic === "portier/availability") online.push(payload.toString()); });
		try {
			await new Promise<void>((resolve, reject) => {
				tlsWatcher.once("connect", () => tlsWatcher.subscribe("portier/availability", () => resolve()));
				tlsWatcher.once("error", reject);
			});
			const wrong = await api.request("PUT", "/api/config", { mqtt: { port: tlsPort, tls: true, ca: readFileSync(certs.otherCa, "utf8") } });
			assert.equal(wrong.status, 200, JSON.stringify(wrong.data));
			await until(() => /mqtt: cannot connect \(.*(certificate|self.signed)/i.test(station.output()), 10000, () => station.output().slice(-1500));
			assert.equal(online.length, 0, "not connected with a CA that did not sign the broker");
			assert.equal((await api.request("PUT", "/api/config", { mqtt: { ca: readFileSync(certs.ca, "utf8") } })).status, 200);
			await until(() => online.includes("online"), 10000, () => station.output().slice(-1500));
			assert.equal((await api.request("GET", "/api/config")).data.mqtt.tls, true);
		}
		finally {
			tlsWatcher.end(true);
			await secure.stop();
		}
	});
});
