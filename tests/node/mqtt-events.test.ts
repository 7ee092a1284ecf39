// MQTT events on a fake client and sinon's fake timers: the reconnect
// back-off, the bounded queue while disconnected, resubscribing, and
// commands that change nothing when malformed.
import assert from "node:assert/strict";
import sinon from "sinon";
import { MqttEvents, type MqttSettings } from "../../modules/events/mqtt.js";
import type { MQTTClientOptions } from "../../modules/io/types.js";
import type { StationApp } from "../../modules/station/app.js";
import { nodeClock } from "../../hosts/node/clock.js";

class FakeMqtt {
	static readonly CONNACK = 2;
	static readonly SUBSCRIBE = 8;
	static all: FakeMqtt[] = [];
	options: MQTTClientOptions;
	published: Array<{ topic: string; text: string; retain: boolean }> = [];
	subscribed: string[] = [];
	closed = false;
	#inbox: ArrayBuffer[] = [];
	constructor(options: MQTTClientOptions) {
		this.options = options;
		FakeMqtt.all.push(this);
	}
	static get last(): FakeMqtt {
		return FakeMqtt.all[FakeMqtt.all.length - 1];
	}
	connack(): void {
		this.options.onControl?.call(this, { operation: 2 });
	}
	drop(): void {
		this.options.onClose?.call(this);
	}
	receive(topic: string, text: string): void {
		this.#inbox.push(new TextEncoder().encode(text).buffer as ArrayBuffer);
		this.options.onReadable?.call(this, text.length, { topic });
	}
	read(): ArrayBuffer | undefined {
		return this.#inbox.shift();
	}
	write(data: ArrayBuffer | null, o: { topic?: string; retain?: boolean; operation?: number; items?: Array<{ topic: string }> }): number {
		if (o.operation === 8)
			this.subscribed.push(...(o.items ?? []).map((i) => i.topic));
		else
			this.published.push({ topic: o.topic!, text: new TextDecoder().decode(data!), retain: Boolean(o.retain) });
		return 1024;
	}
	close(): void {
		this.closed = true;
	}
}

type Listener = Parameters<StationApp["on"]>[0];

function fakeApp() {
	const listeners: Listener[] = [];
	const opened: Array<[number, string]> = [];
	const app = {
		on: (l: Listener) => listeners.push(l),
		off: (l: Listener) => listeners.splice(listeners.indexOf(l), 1),
		station: {
			relayStates: () => [{ id: 1, active: false }],
			inputStates: () => [{ id: 1, kind: "call", active: false }],
			config: { dnd: { "1": { enabled: false, returnCode: 486 }, "2": { enabled: false, returnCode: 486 }, ip: { enabled: false, returnCode: 486 } } },
			openRelay: (id: number, by: string) => opened.push([id, by]),
			setDnd: () => undefined,
		},
		ua: { registrations: [], calls: [], call: () => undefined },
	};
	return { app: app as unknown as StationApp, emit: (e: Parameters<Listener>[0]) => listeners.forEach((l) => l(e)), opened, listeners };
}

const SETTINGS: MqttSettings = { enabled: true, host: "127.0.0.1", port: 1883, tls: false, ca: "", user: "", password: "", clientId: "door1", baseTopic: "portier", keepAlive: 60, discovery: true, discoveryPrefix: "homeassistant" };

describe("MQTT events (fake client, fake clock)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => {
		clock = sinon.useFakeTimers();
		FakeMqtt.all = [];
	});
	afterEach(() => clock.restore());

	it("connects with a last will, then retries with a growing back-off (1, 2, 5, 10, 30, 60 s) while the broker is away", () => {
		const { app } = fakeApp();
		const events = new MqttEvents({ mqtt: { io: FakeMqtt }, clock: nodeClock, app, settings: SETTINGS, name: "door1" });
		events.start();
		assert.equal(FakeMqtt.all.length, 1);
		assert.deepEqual(FakeMqtt.last.options.will && { topic: FakeMqtt.last.options.will.topic, retain: FakeMqtt.last.options.will.retain }, { topic: "portier/availability", retain: true });
		assert.equal(FakeMqtt.last.options.keepAlive, 60000);
		const attempts: number[] = [];
		for (const wait of [1, 2, 5, 10, 30, 60, 60]) {
			FakeMqtt.last.drop();
			clock.tick(wait * 1000 - 1);
			attempts.push(FakeMqtt.all.length);
			clock.tick(1);
		}
		assert.deepEqual(attempts, [1, 2, 3, 4, 5, 6, 7], "no attempt before its time");
		assert.equal(FakeMqtt.all.length, 8);
		FakeMqtt.last.connack();
		assert.ok(events.connected);
		FakeMqtt.last.drop();
		clock.tick(1000);
		assert.equal(FakeMqtt.all.length, 9, "after a good connection the back-off starts over");
		events.close();
		FakeMqtt.last.drop();
		clock.tick(120000);
		assert.equal(FakeMqtt.all.length, 9, "closed: no more attempts");
	});

	it("keeps at most 32 events while disconnected, drops the oldest and counts them, and resubscribes on reconnect", () => {
		const { app, emit } = fakeApp();
		const events = new MqttEvents({ mqtt: { io: FakeMqtt }, clock: nodeClock, app, settings: { ...SETTINGS, discovery: false }, name: "door1" });
		events.start();
		for (let i = 1; i <= 40; i++)
			emit({ type: "input", input: 2, active: i % 2 === 1 });
		assert.equal(events.dropped, 8);
		FakeMqtt.last.connack();
		const c = FakeMqtt.last;
		assert.deepEqual(c.subscribed, ["portier/command/#"]);
		const inputs = c.published.filter((p) => p.topic === "portier/input/2");
		assert.equal(inputs.length, 32);
		assert.deepEqual(c.published.find((p) => p.topic === "portier/stats"), { topic: "portier/stats", text: "{\"dropped\":8}", retain: true });
		assert.deepEqual(c.published[0], { topic: "portier/availability", text: "online", retain: true });
		c.drop();
		clock.tick(1000);
		FakeMqtt.last.connack();
		assert.deepEqual(FakeMqtt.last.subscribed, ["portier/command/#"], "subscribed again");
	});

	it("answers commands; a malformed one changes nothing; a replaced connection's callbacks are ignored", () => {
		const { app, opened, listeners } = fakeApp();
		const events = new MqttEvents({ mqtt: { io: FakeMqtt }, clock: nodeClock, app, settings: SETTINGS, name: "door 1" });
		events.start();
		const first = FakeMqtt.last;
		first.connack();
		assert.ok(first.published.some((p) => p.topic === "homeassistant/lock/door_1/relay1/config" && p.retain));
		first.receive("portier/command/open", "7");
		first.receive("portier/command/open", "1");
		first.receive("portier/command/dnd/1", "maybe");
		assert.deepEqual(opened, [[1, "mqtt"]]);
		assert.deepEqual(first.published.filter((p) => p.topic === "portier/error" || p.topic === "portier/result").map((p) => JSON.parse(p.text)), [
			{ command: "open", ok: false, error: "payload must be a relay id: 1" },
			{ command: "open", ok: true, result: "relay 1 released" },
			{ command: "dnd/1", ok: false, error: "payload must be ON or OFF" },
		]);
		first.drop();
		clock.tick(1000);
		first.receive("portier/command/open", "1");
		first.drop();
		assert.deepEqual(opened, [[1, "mqtt"]], "the old connection is not listened to");
		assert.equal(FakeMqtt.all.length, 2);
		events.close();
		assert.equal(listeners.length, 0, "closing stops listening to the station");
	});
});
