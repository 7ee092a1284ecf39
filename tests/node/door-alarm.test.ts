// Relay lock types (NO / NC), the door-held-open alarm from a door sensor
// and tamper inputs: the station on fake timers, and the alarm's action URL.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { Station, type StationEvent } from "../../modules/station/station.js";
import { STATION_DEFAULTS, type StationConfig } from "../../modules/station/config.js";
import { ActionUrls } from "../../modules/events/action-urls.js";
import type { StationApp } from "../../modules/station/app.js";

function setup(config: Partial<StationConfig>) {
	const outputs: string[] = [];
	const events: StationEvent[] = [];
	const station = new Station({
		dialer: { call: () => undefined } as never, clock: nodeClock,
		relays: { set: (id, level) => outputs.push(`${id}:${level ? "on" : "off"}`) },
		config: { ...STATION_DEFAULTS, ...config },
		onEvent: (e) => events.push(e),
	});
	return { station, outputs, events };
}

describe("relay lock types, door-held-open alarm, tamper", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 1_700_000_000_000 }); });
	afterEach(() => clock.restore());

	it("an NC (fail-safe) lock is powered while idle and unpowered for its pulse time; NO is the reverse", () => {
		const names = { ...STATION_DEFAULTS.relayNames!, "2": { name: "Gate", lock: "NC" as const } };
		const { station, outputs } = setup({ relays: [{ id: 1, holdTime: 3, dtmfCode: "" }, { id: 2, holdTime: 5, dtmfCode: "" }], relayNames: names });
		station.idleRelays();
		assert.deepEqual(outputs, ["2:on"], "only the NC lock is driven at start (NO relays stay off, as the host starts them)");
		station.idleRelays();
		assert.deepEqual(outputs, ["2:on"], "and only once");
		outputs.length = 0;
		station.openRelay(2, "api");
		station.openRelay(1, "api");
		assert.deepEqual(outputs, ["2:off", "1:on"]);
		clock.tick(3000);
		assert.deepEqual(outputs, ["2:off", "1:on", "1:off"]);
		clock.tick(2000);
		assert.deepEqual(outputs, ["2:off", "1:on", "1:off", "2:on"], "the maglock is powered again after its pulse");
		assert.deepEqual(station.relayStates(), [{ id: 1, active: false }, { id: 2, active: false }]);
	});

	it("a door sensor active longer than doorAlarm seconds raises the door-held-open alarm, and closing the door ends it", () => {
		const { station, events } = setup({ doorAlarm: 30 });
		const alarms = () => events.filter((e) => e.type === "alarm");
		station.input(3, 1);	// the default input 3: a door sensor, active high, 200 ms debounce
		clock.tick(200 + 29000);
		assert.deepEqual(alarms(), [], "not yet");
		clock.tick(1000);
		assert.deepEqual(alarms(), [{ type: "alarm", alarm: "door-held-open", input: 3, active: true }]);
		station.input(3, 0);
		clock.tick(200);
		assert.deepEqual(alarms().slice(1), [{ type: "alarm", alarm: "door-held-open", input: 3, active: false }]);
		// a door closed in time raises nothing
		station.input(3, 1);
		clock.tick(10000);
		station.input(3, 0);
		clock.tick(60000);
		assert.equal(alarms().length, 2);
	});

	it("doorAlarm 0 (the default) raises no alarm; a tamper input raises one at once and clears it", () => {
		const off = setup({});
		off.station.input(3, 1);
		clock.tick(3_600_000);
		assert.deepEqual(off.events.filter((e) => e.type === "alarm"), []);
		const inputs = [...STATION_DEFAULTS.inputs, { id: 4, kind: "tamper" as const, activeLevel: 0 as const, debounce: 50, relay: 0, template: "" }];
		const { station, events } = setup({ inputs });
		station.input(4, 0);
		clock.tick(50);
		station.input(4, 1);
		clock.tick(50);
		assert.deepEqual(events.filter((e) => e.type === "alarm"), [
			{ type: "alarm", alarm: "tamper", input: 4, active: true },
			{ type: "alarm", alarm: "tamper", input: 4, active: false },
		]);
	});

	it("the Alarm action URL is called with {alarm}, {input} and {state}", () => {
		const listeners: Array<(e: unknown) => void> = [];
		const app = { on: (l: (e: unknown) => void) => listeners.push(l), off: () => undefined } as unknown as StationApp;
		const urls: string[] = [];
		const settings = { ring: "", connected: "", ended: "", doorOpened: "", input: "", registration: "", alarm: "http://192.0.2.5/alarm?a={alarm}&i={input}&s={state}" };
		new ActionUrls({ app, settings, httpGet: (u) => urls.push(u) });
		listeners[0]({ type: "alarm", alarm: "door-held-open", input: 3, active: true });
		assert.deepEqual(urls, ["http://192.0.2.5/alarm?a=door-held-open&i=3&s=on"]);
	});
});
