/*
 * The door station's call and door settings (SPEC §2-3), with the defaults of
 * the vendor manuals. The configuration schema (config/schema) holds their
 * defaults and ranges, validates and stores them; the station only reads them.
 */
import { STATION_SCHEMA } from "../config/schema.js";
import { defaultsOf } from "../config/values.js";

export interface RelayConfig {
	/** 1-based relay number. */
	id: number;

	/** Seconds the door stays released (1-60). */
	holdTime: number;
	/** DTMF code that opens it during a call (4-8 keys, "1234#"); empty: none (the factory setting). */
	dtmfCode: string;
}

export interface RelayInfo {
	/** What the page and the history call it ("": "Relay N"). */
	name: string;
	lock: "NO" | "NC";
}

export interface AutoAnswerConfig {
	enabled: boolean;
	/** Seconds of ringing before the answer (0: at once). */
	delay: number;
	mode: "audio" | "video";
}

export interface DndConfig {
	enabled: boolean;
	/** The answer to calls while on: 486, 480 or 603. */
	returnCode: number;
}

export interface ScheduleWindow {
	/** Days the window applies to: 0 Sunday ... 6 Saturday. */
	days: number[];
	/** Minutes after midnight, local time; end is exclusive (start > end wraps past midnight). */
	start: number;
	end: number;
}

/** A call schedule template (up to 10): the numbers an input calls inside its windows. */
export interface ScheduleTemplate {
	name: string;
	/** Up to 16 SIP numbers or IP addresses, called at once (the first to answer wins). */
	numbers: string[];
	windows: ScheduleWindow[];
}

export interface InputConfig {
	id: number;
	/** call: a call button; exit: an exit button releasing `relay`; sensor: a door contact (events only). */
	kind: "call" | "exit" | "sensor" | "tamper";
	/** The level that means pressed / open. */
	activeLevel: 0 | 1;
	/** ms a level must hold before it counts. */
	debounce: number;
	/** An exit button: the relay it releases (0: none). */
	relay: number;
	/** A call input: the schedule template assigned to it (its name; empty: none). */
	template: string;
}

export interface StationConfig {
	/** Numbers the call button calls (SIP numbers, URIs or IP addresses). */
	contacts: string[];
	/** How the call button calls its contacts. */
	callMode: "single" | "group" | "sequence";
	/** Group and sequence calls, when one callee refuses: call the next / keep the others ringing, or stop. */
	whenRefused: "next" | "stop";
	/** Sequence call: seconds each callee gets to answer. */
	sequenceTimeout: number;
	autoAnswerSip: AutoAnswerConfig;
	autoAnswerIp: AutoAnswerConfig;
	/** DND per account id ("1", "2"), and for direct IP calls ("ip"). */
	dnd: { "1": DndConfig; "2": DndConfig; ip: DndConfig };
	/** Feature codes dialled to an account's server when DND is switched on and off there. */
	dndOnCode: string;
	dndOffCode: string;
	/** Seconds after which any call ends (0: no limit). */
	maxCallTime: number;
	/** Seconds an unanswered incoming call may ring (0: no limit). */
	dialInTime: number;
	/** Seconds an outgoing call may ring unanswered (0: no limit). */
	dialOutTime: number;
	/** End the call this many seconds after the door was opened during it (-1: never). */
	hangUpAfterOpen: number;
	/** Wrong DTMF codes accepted per call before further codes are ignored. */
	maxWrongCodes: number;
	/** Pressing the call button during a call ends it, except in its first `holdTime` seconds. */
	pushToHangUp: { enabled: boolean; holdTime: number };
	relays: RelayConfig[];
	/** Who may release a relay by DTMF: trusted callers only (default), or anyone in a call. */
	dtmfFrom: "trusted" | "anyone";
	/**
	 * "Prevent SIP hacking": accept calls only from whitelisted callers (a user
	 * name, a number or an IP address), and through a registered account only
	 * from that account's server. Everything else is refused without ringing.
	 */
	preventSipHacking: boolean;
	whitelist: string[];
	inputs: InputConfig[];
	schedules: ScheduleTemplate[];
	/**
	 * A scheduled input pressed before the clock is set (a panel after power-on,
	 * until SNTP answers): "contacts" calls the contacts as an input without a
	 * template does, "template" rings the template's numbers as inside a window,
	 * "outside" as outside every window (the first contact).
	 */
	scheduleFallback?: "contacts" | "template" | "outside";
	/** What pressing the call button does besides calling (SPEC §2 push button action). */
	pushButton: {
		/** GET this URL (http://...) on each press; empty: none. */
		httpUrl: string;
		/** Release this relay on each press (0: none) ... */
		relay: number;
		/** ... until the call ends ("hangup") or is answered ("connected"). */
		reset: "hangup" | "connected";
	};
	/** Seconds a door sensor may stay active (door open) before the door-held-open alarm (0: off). */
	doorAlarm?: number;
	/** Each relay's name and lock type (NO: the output is on to open, fail-secure; NC: on while locked, off to open, fail-safe). */
	relayNames?: { "1": RelayInfo; "2": RelayInfo; "3": RelayInfo; "4": RelayInfo };
}

/** The factory defaults: the schema's (SPEC §2-3, the vendor manuals' values), frozen. */
export const STATION_DEFAULTS: StationConfig = deepFreeze(defaultsOf(STATION_SCHEMA)) as StationConfig;

function deepFreeze<T>(value: T): T {
	if (value && typeof value === "object") {
		for (const key of Object.keys(value))
			deepFreeze((value as Record<string, unknown>)[key]);
		Object.freeze(value);
	}
	return value;
}
