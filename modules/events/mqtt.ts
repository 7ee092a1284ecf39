/*
 * MQTT events and commands (SPEC §6) on the ECMA-419 MQTT client shape: the
 * SDK's `embedded:network/mqtt/client` on the device, the `mqtt` package
 * adapted on Node.
 *
 * Topics under the base topic (default "portier"):
 *   availability       online / offline (retained; offline is the last will)
 *   event/ring         {"event_type": "ring", "remote": ...} on each incoming or outgoing ring
 *   call               {"state": dialing|ringing|connected|ended, ...} (retained)
 *   event/door         {"event_type": "opened", "relay": 1, "by": "dtmf"}
 *   relay/<id>         OPEN / CLOSED (retained)
 *   input/<id>         ON / OFF (retained)
 *   event/alarm        {"event_type": "door-held-open"|"tamper", "input": 3, "state": "ON"|"OFF"}
 *   alarm/<kind>       ON / OFF (retained)
 *   account/<id>       ON / OFF: registered (retained)
 *   dnd/<1|2|ip>       ON / OFF (retained)
 *   stats              {"dropped": n}: events lost while the broker was away (retained)
 *   result, error      the answer to each command
 * Commands (plain-text payloads: nothing received is turned into property
 * names): command/open "1", command/call "1001" (command/call/<account>),
 * command/hangup, command/dnd/<1|2|ip> ON|OFF.
 * Home Assistant discovery: one retained config per entity under
 * <prefix>/<component>/<node>/<object>/config.
 *
 * While the broker is away, publishes wait in a bounded queue (the oldest is
 * dropped and counted); the connection is retried with a back-off, and on
 * each connection availability, discovery and the subscription are sent
 * again.
 */
import type { Clock, Log, MQTTClient, MQTTClientClass } from "../io/types.js";
import type { StationApp } from "../station/app.js";
import { encodeText, decodeText } from "../sip/text.js";

export interface MqttSettings {
	enabled: boolean;
	host: string;
	port: number;
	tls: boolean;
	/** PEM text of the CA that signed the broker's certificate (empty: the host's default trust). */
	ca: string;
	user: string;
	password: string;
	clientId: string;
	baseTopic: string;
	keepAlive: number;
	discovery: boolean;
	discoveryPrefix: string;
}

export interface MqttEventsOptions {
	mqtt: { io: MQTTClientClass };
	clock: Clock;
	app: StationApp;
	settings: MqttSettings;
	/** A name for this station (discovery's device name and node id). */
	name: string;
	version?: string;
	log?: Log;
	/** Publishes kept while disconnected. */
	queue?: number;
}

/** Seconds between connection attempts, growing while they fail. */
const BACKOFF: readonly number[] = Object.freeze([1, 2, 5, 10, 30, 60]);

interface Publish {
	topic: string;
	payload: string;
	retain: boolean;
}

function onOff(v: boolean): string {
	return v ? "ON" : "OFF";
}

export class MqttEvents {
	#o: MqttEventsOptions;
	#client: MQTTClient | undefined;
	#connected = false;
	#closed = false;
	#failures = 0;
	#timer: unknown;
	#queue: Publish[] = [];
	#dropped = 0;
	#base: string;
	#listener: Parameters<StationApp["on"]>[0];

	constructor(options: MqttEventsOptions) {
		this.#o = options;
		this.#base = options.settings.baseTopic;
		this.#listener = (e) => this.#guard(() => this.#event(e));
		options.app.on(this.#listener);
	}

	get connected(): boolean {
		return this.#connected;
	}

	/** Events dropped from the full queue since start. */
	get dropped(): number {
		return this.#dropped;
	}

	start(): void {
		this.#closed = false;
		this.#connect();
	}

	close(): void {
		this.#closed = true;
		this.#o.app.off(this.#listener);
		this.#o.clock.clear(this.#timer);
		this.#timer = undefined;
		if (this.#client && this.#connected)
			this.#guard(() => this.#send({ topic: this.#base + "/availability", payload: "offline", retain: true }));
		const client = this.#client;
		this.#client = undefined;
		this.#connected = false;
		this.#guard(() => client?.close());
	}

	#guard(fn: () => void): void {
		try {
			fn();
		}
		catch (e) {
			this.#o.log?.("mqtt: " + String(e));
		}
	}

	#connect(): void {
		if (this.#closed)
			return;
		const s = this.#o.settings;
		const events = this;
		try {
			this.#client = new this.#o.mqtt.io({
				host: s.host,
				port: s.port,
				id: s.clientId,
				user: s.user || undefined,
				password: s.password || undefined,
				keepAlive: s.keepAlive * 1000,
				clean: true,
				will: { topic: this.#base + "/availability", message: encodeText("offline").buffer as ArrayBuffer, QoS: 0, retain: true },
				secure: s.tls ? { ca: s.ca || undefined } : undefined,
				// callbacks of a connection that has been replaced are ignored
				onControl(message) {
					if (this === events.#client && message.operation === events.#o.mqtt.io.CONNACK)
						events.#guard(() => events.#online());
				},
				onReadable(count, options) {
					const data = this.read(count);
					if (this === events.#client)
						events.#guard(() => events.#command(options.topic, data ? decodeText(new Uint8Array(data), 0, data.byteLength) : ""));
				},
				onClose() {
					if (this === events.#client)
						events.#guard(() => events.#lost("closed"));
				},
				onError(error) {
					if (this === events.#client)
						events.#guard(() => events.#lost(String(error ?? "error")));
				},
			});
		}
		catch (e) {
			this.#lost(String(e));
		}
	}

	#lost(why: string): void {
		const was = this.#connected;
		this.#connected = false;
		const client = this.#client;
		this.#client = undefined;
		try {
			client?.close();
		}
		catch {
			// already closed
		}
		if (this.#closed || this.#timer !== undefined)
			return;
		if (was)
			this.#failures = 0;
		const delay = BACKOFF[Math.min(this.#failures++, BACKOFF.length - 1)];
		this.#o.log?.(`mqtt: ${was ? "connection lost" : "cannot connect"} (${why}); again in ${delay} s`);
		this.#timer = this.#o.clock.set(() => {
			this.#timer = undefined;
			this.#connect();
		}, delay * 1000);
	}

	#online(): void {
		this.#connected = true;
		this.#failures = 0;
		const client = this.#client!;
		this.#o.log?.("mqtt: connected to " + this.#o.settings.host + ":" + this.#o.settings.port);
		client.write(null, { operation: this.#o.mqtt.io.SUBSCRIBE, items: [{ topic: this.#base + "/command/#", QoS: 0 }] });
		this.#send({ topic: this.#base + "/availability", payload: "online", retain: true });
		if (this.#o.settings.discovery)
			this.#discovery();
		this.#state();
		const queued = this.#queue;
		this.#queue = [];
		for (const p of queued)
			this.#send(p);
		this.#send({ topic: this.#base + "/stats", payload: JSON.stringify({ dropped: this.#dropped }), retain: true });
	}

	/** The current state, retained: relays, inputs, accounts, DND. */
	#state(): void {
		const app = this.#o.app;
		for (const r of app.station.relayStates())
			this.#publish("relay/" + r.id, r.active ? "OPEN" : "CLOSED", true);
		for (const i of app.station.inputStates())
			this.#publish("input/" + i.id, onOff(i.active), true);
		for (const r of app.ua.registrations)
			this.#publish("account/" + r.status.id, onOff(r.status.registered), true);
		const dnd = app.station.config.dnd;
		this.#publish("dnd/1", onOff(dnd["1"].enabled), true);
		this.#publish("dnd/2", onOff(dnd["2"].enabled), true);
		this.#publish("dnd/ip", onOff(dnd.ip.enabled), true);
	}

	#send(p: Publish): void {
		this.#client!.write(encodeText(p.payload).buffer as ArrayBuffer, { topic: p.topic, QoS: 0, retain: p.retain });
	}

	#publish(subtopic: string, payload: string, retain: boolean): void {
		const p = { topic: this.#base + "/" + subtopic, payload, retain };
		if (this.#connected && this.#client) {
			try {
				this.#send(p);
				return;
			}
			catch (e) {
				this.#lost(String(e));
			}
		}
		this.#queue.push(p);
		if (this.#queue.length > (this.#o.queue ?? 32)) {
			this.#queue.shift();
			this.#dropped++;
		}
	}

	#event(e: Parameters<Parameters<StationApp["on"]>[0]>[0]): void {
		switch (e.type) {
			case "ringing":
				this.#publish("event/ring", JSON.stringify({ event_type: "ring", remote: e.call.remote, direction: e.call.direction }), false);
				return;
			case "dialing":
				this.#publish("call", JSON.stringify({ state: "dialing", direction: "outgoing", remote: e.destinations.join(", ") }), true);
				return;
			case "call": {
				const c = e.call;
				let state: string;
				if (e.state === "calling" || e.state === "ringing")
					state = c.direction === "incoming" || e.state === "ringing" ? "ringing" : "dialing";
				else if (e.state === "answered")
					state = "connected";
				else
					state = "ended";
				const body: Record<string, unknown> = { state, direction: c.direction, remote: c.remote, account: c.account ?? null };
				if (state === "ended") {
					body.reason = c.endReason || String(c.status || "");
					body.duration = c.answeredAt ? Math.round((c.endedAt - c.answeredAt) / 1000) : 0;
				}
				if (c.direction === "outgoing" && e.state === "ringing")
					this.#publish("event/ring", JSON.stringify({ event_type: "ring", remote: c.remote, direction: "outgoing" }), false);
				this.#publish("call", JSON.stringify(body), true);
				return;
			}
			case "door-opened":
				this.#publish("event/door", JSON.stringify({ event_type: "opened", relay: e.relay, by: e.by }), false);
				this.#publish("relay/" + e.relay, "OPEN", true);
				return;
			case "alarm":
				this.#publish("event/alarm", JSON.stringify({ event_type: e.alarm, input: e.input, state: onOff(e.active) }), false);
				this.#publish("alarm/" + e.alarm, onOff(e.active), true);
				return;
			case "door-closed":
				this.#publish("relay/" + e.relay, "CLOSED", true);
				return;
			case "input":
				this.#publish("input/" + e.input, onOff(e.active), true);
				return;
			case "registration":
				this.#publish("account/" + e.status.id, onOff(e.status.registered), true);
				return;
			case "dnd":
				this.#publish("dnd/" + e.account, onOff(e.enabled), true);
				return;
		}
	}

	#answer(command: string, ok: boolean, detail: string): void {
		this.#publish(ok ? "result" : "error", JSON.stringify(ok ? { command, ok: true, result: detail } : { command, ok: false, error: detail }), false);
	}

	/** A command received on <base>/command/...; the payload is plain text. */
	#command(topic: string, payload: string): void {
		const prefix = this.#base + "/command/";
		const app = this.#o.app;
		const name = topic.startsWith(prefix) ? topic.slice(prefix.length) : "";
		const text = payload.trim();
		const shown = name.length > 40 ? name.slice(0, 40) + "..." : name;
		if (name === "open") {
			const id = text === "" ? 1 : Number(text);
			const known = app.station.relayStates().map((r) => r.id);
			if (!Number.isInteger(id) || known.indexOf(id) < 0)
				return this.#answer("open", false, "payload must be a relay id: " + known.join(", "));
			app.station.openRelay(id, "mqtt");
			return this.#answer("open", true, "relay " + id + " released");
		}
		if (name === "call" || name === "call/1" || name === "call/2") {
			if (text.length < 1 || text.length > 128)
				return this.#answer("call", false, "payload must be a SIP number, URI or IP address of 1-128 characters");
			const account = name === "call" ? undefined : name.slice(5);
			const call = app.ua.call(text, account ? { account } : {});
			return call ? this.#answer("call", true, "calling " + text) : this.#answer("call", false, "cannot call " + text + ": no registered account for it, or too many calls");
		}
		if (name === "hangup") {
			const calls = app.ua.calls;
			for (const c of calls)
				c.hangup();
			return this.#answer("hangup", true, calls.length + " call(s) ended");
		}
		if (name === "dnd/1" || name === "dnd/2" || name === "dnd/ip") {
			const upper = text.toUpperCase();
			if (upper !== "ON" && upper !== "OFF")
				return this.#answer(name, false, "payload must be ON or OFF");
			app.station.setDnd(name.slice(4) as "1" | "2" | "ip", upper === "ON");
			return this.#answer(name, true, "DND " + upper);
		}
		this.#answer(shown, false, "unknown command (open, call, call/1, call/2, hangup, dnd/1, dnd/2, dnd/ip)");
	}

	/** Home Assistant MQTT discovery: the station as a device with its entities. */
	#discovery(): void {
		const s = this.#o.settings;
		const app = this.#o.app;
		const base = this.#base;
		const node = nodeId(this.#o.name);
		const device = { identifiers: [node], name: this.#o.name, manufacturer: "portier", model: "SIP door station", sw_version: this.#o.version ?? "" };
		const common = { availability_topic: base + "/availability", payload_available: "online", payload_not_available: "offline", device };
		const entity = (component: string, object: string, fields: Record<string, unknown>) => {
			const topic = s.discoveryPrefix + "/" + component + "/" + node + "/" + object + "/config";
			this.#client!.write(encodeText(JSON.stringify({ ...fields, unique_id: node + "_" + object, object_id: node + "_" + object, ...common })).buffer as ArrayBuffer, { topic, QoS: 0, retain: true });
		};
		entity("event", "doorbell", { name: "Doorbell", state_topic: base + "/event/ring", event_types: ["ring"], device_class: "doorbell" });
		entity("sensor", "call", { name: "Call", state_topic: base + "/call", value_template: "{{ value_json.state }}", json_attributes_topic: base + "/call", icon: "mdi:phone" });
		for (const r of app.station.relayStates())
			entity("lock", "relay" + r.id, { name: "Door " + r.id, command_topic: base + "/command/open", payload_unlock: String(r.id), payload_lock: "LOCK", state_topic: base + "/relay/" + r.id, state_locked: "CLOSED", state_unlocked: "OPEN" });
		for (const id of ["1", "2", "ip"])
			entity("switch", "dnd_" + id, { name: id === "ip" ? "Do not disturb (IP calls)" : "Do not disturb (account " + id + ")", command_topic: base + "/command/dnd/" + id, state_topic: base + "/dnd/" + id, payload_on: "ON", payload_off: "OFF", icon: "mdi:bell-off" });
		for (const r of app.ua.registrations)
			entity("binary_sensor", "account" + r.status.id, { name: "Account " + r.status.id + " registered", state_topic: base + "/account/" + r.status.id, payload_on: "ON", payload_off: "OFF", device_class: "connectivity" });
		for (const i of app.station.inputStates())
			entity("binary_sensor", "input" + i.id, { name: "Input " + i.id + " (" + i.kind + ")", state_topic: base + "/input/" + i.id, payload_on: "ON", payload_off: "OFF", device_class: i.kind === "sensor" ? "door" : undefined });
	}
}

/** A node id Home Assistant accepts: [a-zA-Z0-9_-]. */
export function nodeId(name: string): string {
	let out = "";
	for (let i = 0; i < name.length && out.length < 64; i++) {
		const c = name.charCodeAt(i);
		out += (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 ? name[i] : "_";
	}
	return out || "portier";
}
