// A door panel's relays and inputs on ECMA-419 digital pins, against a fake
// embedded:io/digital: relays off at boot (active-high and active-low
// boards), inputs with pull-ups on both edges, levels to the door logic,
// and a soft reboot that hands the same pins to a new station.
import { deepEqual, equal, ok } from "../lib/assert.js";
import { PanelPins } from "../../modules/io/panel-pins.js";
import { FakeDigital } from "../lib/fake-digital.js";


const pin = (gpio: number) => FakeDigital.pins.find((p) => p.options.pin === gpio)!;

describe("panel pins (ECMA-419 digital)", () => {
	it("opens relays as outputs driven off, and switches them by id", () => {
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [16, 17], inputs: [] });
		equal(pin(16).options.mode, "output");
		deepEqual(pin(16).written, [0]);
		deepEqual(pin(17).written, [0]);
		pins.set(1, true);
		pins.set(1, false);
		pins.set(2, true);
		deepEqual(pin(16).written, [0, 1, 0]);
		deepEqual(pin(17).written, [0, 1]);
		deepEqual(pins.levels().relays, [0, 1]);
	});

	it("drives an active-low relay board the other way round, from boot", () => {
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [16], inputs: [], relayActive: 0 });
		deepEqual(pin(16).written, [1]);
		pins.set(1, true);
		deepEqual(pin(16).written, [1, 0]);
	});

	it("ignores a relay the board lacks, and says so", () => {
		const lines: string[] = [];
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [16], inputs: [], log: (l) => lines.push(l) });
		pins.set(3, true);
		deepEqual(pin(16).written, [0]);
		deepEqual(lines, ["pins: no relay 3 on this board"]);
	});

	it("reads inputs with pull-ups on both edges and hands their levels to the door logic", () => {
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [], inputs: [32, 33, 27] });
		const seen: Array<[number, number]> = [];
		pins.attach({ input: (id, level) => seen.push([id, level]) });
		equal(pin(32).options.mode, "input-pull-up");
		equal(pin(32).options.edge, FakeDigital.Rising | FakeDigital.Falling);
		deepEqual(seen, [[1, 1], [2, 1], [3, 1]], "present levels at once");
		pin(33).drive(0);
		pin(33).drive(1);
		pin(27).drive(0);
		deepEqual(seen.slice(3), [[2, 0], [2, 1], [3, 0]]);
		deepEqual(pins.levels().inputs, [1, 1, 0]);
	});

	it("without pull-ups opens plain inputs", () => {
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [], inputs: [34], pull: "none" });
		pins.attach({ input() {} });
		equal(pin(34).options.mode, "input");
	});

	it("after a soft reboot the same pins serve the new station, opened once", () => {
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [], inputs: [32] });
		const first: number[] = [];
		const second: number[] = [];
		pins.attach({ input: (_id, level) => first.push(level) });
		pins.attach({ input: (_id, level) => second.push(level) });
		equal(FakeDigital.pins.length, 1);
		pin(32).drive(0);
		deepEqual(first, [1]);
		deepEqual(second, [1, 0]);
	});

	it("a door logic that throws does not escape the pin's callback", () => {
		const lines: string[] = [];
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [], inputs: [32], log: (l) => lines.push(l) });
		let calls = 0;
		pins.attach({ input: () => { calls++; if (calls > 1) throw new Error("boom"); } });
		pin(32).drive(0);
		equal(calls, 2);
		ok(lines[0].includes("boom"));
	});

	it("closes every pin", () => {
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [16], inputs: [32] });
		pins.attach({ input() {} });
		pins.close();
		ok(FakeDigital.pins.every((p) => p.closed));
	});
});
