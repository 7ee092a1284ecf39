/*
 * Checking the station settings before they are used or stored: every error
 * names the field and what is allowed, so an API can answer 400 with it and
 * leave the stored configuration as it was (SPEC §5).
 */
import type { StationConfig } from "./config.js";
import { directIp } from "../sip/ua.js";

export interface FieldError {
	field: string;
	message: string;
}

function isInt(v: unknown, min: number, max: number): boolean {
	return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/** A destination a station can call: a SIP number or user, a SIP URI, or an IP address (keypad form too). */
export function isDialable(v: unknown): boolean {
	if (typeof v !== "string" || v.length === 0 || v.length > 128)
		return false;
	if (directIp(v))
		return true;
	if (v.startsWith("sip:") || v.startsWith("sips:"))
		return /^sips?:[^\s<>"]+$/.test(v);
	return /^[A-Za-z0-9_.!~*'()&=+$,;?/%#-]+$/.test(v);
}

export function validateStationConfig(c: StationConfig): FieldError[] {
	const errors: FieldError[] = [];
	const check = (ok: boolean, field: string, message: string) => {
		if (!ok)
			errors.push({ field, message });
	};
	check(Array.isArray(c.contacts) && c.contacts.length <= 16, "contacts", "a list of at most 16 numbers");
	(c.contacts ?? []).forEach((n, i) => check(isDialable(n), `contacts[${i}]`, "a SIP number, a SIP URI or an IP address (1-128 characters)"));
	check(["single", "group", "sequence"].indexOf(c.callMode) >= 0, "callMode", "one of single, group, sequence");
	check(c.whenRefused === "next" || c.whenRefused === "stop", "whenRefused", "next or stop");
	check(isInt(c.sequenceTimeout, 1, 600), "sequenceTimeout", "1-600 seconds");
	for (const [name, a] of [["autoAnswerSip", c.autoAnswerSip], ["autoAnswerIp", c.autoAnswerIp]] as const) {
		check(typeof a?.enabled === "boolean", `${name}.enabled`, "true or false");
		check(isInt(a?.delay, 0, 60), `${name}.delay`, "0-60 seconds");
		check(a?.mode === "audio" || a?.mode === "video", `${name}.mode`, "audio or video");
	}
	for (const [key, d] of Object.entries(c.dnd ?? {})) {
		check(key === "1" || key === "2" || key === "ip", `dnd.${key}`, "dnd is set per account: 1, 2 or ip");
		check([480, 486, 603].indexOf(d.returnCode) >= 0, `dnd.${key}.returnCode`, "one of 480, 486, 603");
	}
	check(typeof c.dndOnCode === "string" && /^[0-9*#]{0,8}$/.test(c.dndOnCode), "dndOnCode", "0-8 of 0-9 * #");
	check(typeof c.dndOffCode === "string" && /^[0-9*#]{0,8}$/.test(c.dndOffCode), "dndOffCode", "0-8 of 0-9 * #");
	check(isInt(c.maxCallTime, 0, 14400), "maxCallTime", "0-14400 seconds (0: no limit)");
	check(isInt(c.dialInTime, 0, 600), "dialInTime", "0-600 seconds (0: no limit)");
	check(isInt(c.dialOutTime, 0, 600), "dialOutTime", "0-600 seconds (0: no limit)");
	check(isInt(c.hangUpAfterOpen, -1, 600), "hangUpAfterOpen", "-1 (never) or 0-600 seconds");
	check(isInt(c.maxWrongCodes, 1, 20), "maxWrongCodes", "1-20");
	check(isInt(c.pushToHangUp?.holdTime, 0, 60), "pushToHangUp.holdTime", "0-60 seconds");
	const relayIds: number[] = [];
	check(Array.isArray(c.relays) && c.relays.length >= 1 && c.relays.length <= 4, "relays", "1-4 relays");
	(c.relays ?? []).forEach((r, i) => {
		check(isInt(r.id, 1, 4) && relayIds.indexOf(r.id) < 0, `relays[${i}].id`, "1-4, each once");
		relayIds.push(r.id);
		check(isInt(r.holdTime, 1, 60), `relays[${i}].holdTime`, "1-60 seconds");
		check(typeof r.dtmfCode === "string" && /^[0-9*#A-D]{0,8}$/.test(r.dtmfCode), `relays[${i}].dtmfCode`, "0-8 of 0-9 * # A-D");
	});
	const templates = (c.schedules ?? []).map((t) => t.name);
	check(Array.isArray(c.schedules) && c.schedules.length <= 10, "schedules", "at most 10 templates");
	(c.schedules ?? []).forEach((t, i) => {
		check(typeof t.name === "string" && /^[^\x00-\x1f]{1,32}$/.test(t.name) && templates.indexOf(t.name) === i, `schedules[${i}].name`, "1-32 characters, unique");
		check(Array.isArray(t.numbers) && t.numbers.length >= 1 && t.numbers.length <= 16, `schedules[${i}].numbers`, "1-16 numbers");
		(t.numbers ?? []).forEach((n, j) => check(isDialable(n), `schedules[${i}].numbers[${j}]`, "a SIP number, a SIP URI or an IP address"));
		(t.windows ?? []).forEach((w, j) => {
			check(Array.isArray(w.days) && w.days.length > 0 && w.days.every((d) => isInt(d, 0, 6)), `schedules[${i}].windows[${j}].days`, "days 0 (Sunday) to 6 (Saturday)");
			check(isInt(w.start, 0, 1439) && isInt(w.end, 0, 1440) && w.start !== w.end, `schedules[${i}].windows[${j}]`, "start and end in minutes 0-1440, not equal");
		});
	});
	(c.inputs ?? []).forEach((input, i) => {
		check(isInt(input.id, 1, 8), `inputs[${i}].id`, "1-8");
		check(["call", "exit", "sensor"].indexOf(input.kind) >= 0, `inputs[${i}].kind`, "call, exit or sensor");
		check(input.activeLevel === 0 || input.activeLevel === 1, `inputs[${i}].activeLevel`, "0 or 1");
		check(isInt(input.debounce, 0, 2000), `inputs[${i}].debounce`, "0-2000 ms");
		if (input.kind === "exit")
			check(relayIds.indexOf(input.relay ?? -1) >= 0, `inputs[${i}].relay`, "one of the relays " + relayIds.join(", "));
		if (input.template !== undefined)
			check(templates.indexOf(input.template) >= 0, `inputs[${i}].template`, "the name of a schedule template");
	});
	check(c.pushButton?.httpUrl === "" || /^https?:\/\/[^\s]{1,240}$/.test(c.pushButton?.httpUrl ?? ""), "pushButton.httpUrl", "empty, or an http:// or https:// URL");
	check(c.pushButton?.relay === 0 || relayIds.indexOf(c.pushButton?.relay) >= 0, "pushButton.relay", "0 (none) or one of the relays " + relayIds.join(", "));
	check(c.pushButton?.reset === "hangup" || c.pushButton?.reset === "connected", "pushButton.reset", "hangup or connected");
	check(Array.isArray(c.whitelist) && c.whitelist.length <= 100 && c.whitelist.every((w) => isDialable(w) || /^[^\s]{1,64}@\d{1,3}(\.\d{1,3}){3}$/.test(w)), "whitelist", "at most 100 numbers, user names or IP addresses");
	return errors;
}
