/*
 * Checking the station settings before they are used or stored: the schema's
 * field checks, then the rules between fields (ids used once, relays and
 * templates that exist). Every error names the field and what is allowed, so
 * an API can answer 400 with it and leave the stored configuration as it was
 * (SPEC §5).
 */
import type { StationConfig } from "./config.js";
import { STATION_SCHEMA } from "../config/schema.js";
import { type FieldError, isDialable, validate } from "../config/values.js";

export { type FieldError, isDialable };

/** Check station settings; `prefix` names where they sit in a larger configuration ("station."). */
export function validateStationConfig(c: StationConfig, prefix = ""): FieldError[] {
	const errors: FieldError[] = [];
	validate(STATION_SCHEMA, c, prefix.replace(/\.$/, ""), errors);
	if (errors.length)
		return errors;
	const check = (ok: boolean, field: string, message: string) => {
		if (!ok)
			errors.push({ field: prefix + field, message });
	};
	const relayIds = c.relays.map((r) => r.id);
	c.relays.forEach((r, i) => check(relayIds.indexOf(r.id) === i, `relays[${i}].id`, "1-4, each once"));
	const relays = "one of the relays " + relayIds.join(", ");
	const templates = c.schedules.map((t) => t.name);
	c.schedules.forEach((t, i) => {
		check(templates.indexOf(t.name) === i, `schedules[${i}].name`, "1-32 characters, unique");
		t.windows.forEach((w, j) => check(w.start !== w.end, `schedules[${i}].windows[${j}]`, "start and end in minutes 0-1440, not equal"));
	});
	const inputIds = c.inputs.map((input) => input.id);
	c.inputs.forEach((input, i) => {
		check(inputIds.indexOf(input.id) === i, `inputs[${i}].id`, "1-8, each once");
		check(input.relay === 0 || relayIds.indexOf(input.relay) >= 0, `inputs[${i}].relay`, "0 (none) or " + relays);
		check(input.template === "" || (input.kind === "call" && templates.indexOf(input.template) >= 0), `inputs[${i}].template`, "the name of a schedule template");
	});
	check(c.pushButton.relay === 0 || relayIds.indexOf(c.pushButton.relay) >= 0, "pushButton.relay", "0 (none) or " + relays);
	return errors;
}
