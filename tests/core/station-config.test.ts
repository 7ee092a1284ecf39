import { deepEqual, equal, ok } from "../lib/assert.js";
import { STATION_DEFAULTS, type StationConfig } from "../../modules/station/config.js";
import { isDialable, validateStationConfig } from "../../modules/station/validate.js";

function errorsOf(change: Partial<StationConfig>): string[] {
	return validateStationConfig({ ...STATION_DEFAULTS, ...change }).map((e) => e.field + ": " + e.message);
}

describe("station settings validation", () => {
	it("the factory defaults are valid", () => {
		deepEqual(validateStationConfig(STATION_DEFAULTS), []);
	});

	it("a door code has 4-8 keys or is empty: one key alone is refused", () => {
		for (const code of ["#", "1", "12#", "123456789"])
			deepEqual(errorsOf({ relays: [{ id: 1, holdTime: 3, dtmfCode: code }] }), ["relays[0].dtmfCode: empty (none), or 4-8 of 0-9 * # A-D"], code);
		for (const code of ["", "1234", "####", "12345678", "A1B2#"])
			deepEqual(errorsOf({ relays: [{ id: 1, holdTime: 3, dtmfCode: code }] }), [], code);
	});

	it("names the field and the allowed range", () => {
		deepEqual(errorsOf({ maxCallTime: 99999 }), ["maxCallTime: 0-14400 seconds (0: no limit)"]);
		deepEqual(errorsOf({ callMode: "random" as never }), ["callMode: one of single, group, sequence"]);
		deepEqual(errorsOf({ relays: [{ id: 1, holdTime: 0, dtmfCode: "1234" }] }), ["relays[0].holdTime: 1-60 seconds"]);
		deepEqual(errorsOf({ relays: [{ id: 1, holdTime: 3, dtmfCode: "12x4" }] }), ["relays[0].dtmfCode: empty (none), or 4-8 of 0-9 * # A-D"]);
		deepEqual(errorsOf({ relays: [{ id: 1, holdTime: 3, dtmfCode: "1234" }, { id: 1, holdTime: 3, dtmfCode: "" }] }), ["relays[1].id: 1-4, each once"]);
		deepEqual(errorsOf({ dnd: { ...STATION_DEFAULTS.dnd, "1": { enabled: true, returnCode: 200 } } }), ["dnd.1.returnCode: one of 480, 486, 603"]);
		deepEqual(errorsOf({ maxCallTme: 5 } as never), ["maxCallTme: unknown field (allowed: " + Object.keys(STATION_DEFAULTS).join(", ") + ")"]);
	});

	it("refuses unknown numbers and bad schedules", () => {
		deepEqual(errorsOf({ contacts: ["1001", "not a number!", ""] }), [
			"contacts[1]: a SIP number, a SIP URI or an IP address (1-128 characters)",
			"contacts[2]: a SIP number, a SIP URI or an IP address (1-128 characters)",
		]);
		const bad = errorsOf({ schedules: [{ name: "day", numbers: [], windows: [{ days: [7], start: 600, end: 1440 }] }] });
		deepEqual(bad, [
			"schedules[0].numbers: 1-16 numbers",
			"schedules[0].windows[0].days: days 0 (Sunday) to 6 (Saturday)",
		]);
		deepEqual(errorsOf({ schedules: [{ name: "day", numbers: ["1001"], windows: [{ days: [1], start: 600, end: 600 }] }] }), [
			"schedules[0].windows[0]: start and end in minutes 0-1440, not equal",
		]);
		const inputs = [{ id: 1, kind: "call" as const, activeLevel: 0 as const, debounce: 50, relay: 0, template: "missing" }];
		deepEqual(errorsOf({ inputs }), ["inputs[0].template: the name of a schedule template"]);
		deepEqual(errorsOf({ inputs: [{ ...inputs[0], template: "", kind: "exit", relay: 2 }] }), ["inputs[0].relay: 0 (none) or one of the relays 1"]);
		deepEqual(errorsOf({ whitelist: ["1001", "door@192.168.1.5", "10.0.0.9", "192.168.1.0/24", "bad entry"] }), ["whitelist[4]: a number, a user name, an IP address, user@IP or a network such as 192.168.1.0/24"]);
		equal(errorsOf({ schedules: Array.from({ length: 11 }, (_, i) => ({ name: "t" + i, numbers: ["1"], windows: [] })) })[0], "schedules: at most 10 templates");
	});

	it("knows what can be dialled", () => {
		for (const d of ["1001", "192*168*35*123", "192.168.1.5:5070", "sip:door@example.com", "*78"])
			ok(isDialable(d), d);
		for (const d of ["", "a b", "sip:a b", "x".repeat(129), 5])
			ok(!isDialable(d), String(d));
	});
});
