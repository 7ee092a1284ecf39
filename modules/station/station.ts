/*
 * The door logic on top of the user agent (SPEC §2-3): what the call button
 * does (single, group or sequence call), how incoming calls are treated (DND,
 * auto-answer, Dial In Time), door codes by DTMF opening relays for their hold
 * time (with a limit on wrong codes), Max Call Time, Dial Out Time, hanging up
 * after the door opened, and push-to-hang-up. It sees calls and keys, never
 * SIP messages; relays are driven through the host.
 */
import type { Clock, Log } from "../io/types.js";
import { LogLimit } from "../events/log-limit.js";
import type { Call } from "../sip/ua.js";
import type { DndConfig, InputConfig, RelayConfig, ScheduleTemplate, StationConfig } from "./config.js";

/** An input's debounced state, and its door-held-open alarm. */
interface InputState {
	level: number;
	active: boolean;
	timer: unknown;
	alarmTimer?: unknown;
	alarm?: boolean;
}

/** What the station needs of the user agent. */
export interface Dialer {
	call(destination: string, options?: { account?: string }): Call | undefined;
}

/** The built-in server's part in the call button (SPEC §4). */
export interface UnitsConfig {
	/** The extensions of the units registered now. */
	registered(): string[];
	/** The call button rings the units, the contacts, or both at once. */
	button: "both" | "units" | "contacts";
	/** Seconds without a response from the contacts' server before the units ring instead (0: off). */
	fallback: number;
}

/** Door relays, as the host wires them (a digital output per relay). */
export interface RelayDriver {
	set(id: number, active: boolean): void;
}

export type DoorOpener = "dtmf" | "api" | "input" | "mqtt" | "button";

export type StationEvent =
	| { type: "ringing"; call: Call }
	| { type: "door-opened"; relay: number; by: DoorOpener }
	| { type: "door-closed"; relay: number }
	| { type: "wrong-code"; call: Call; count: number }
	| { type: "dialing"; destinations: string[] }
	| { type: "input"; input: number; active: boolean }
	/** A door sensor active longer than doorAlarm seconds (door held open), or a tamper input; off when it ends. */
	| { type: "alarm"; alarm: "door-held-open" | "tamper"; input: number; active: boolean }
	| { type: "dnd"; account: "1" | "2" | "ip"; enabled: boolean };

export interface StationOptions {
	dialer: Dialer;
	/** GET a URL (the push button's HTTP action); the host's HTTP client. */
	httpGet?: (url: string) => void;
	clock: Clock;
	relays: RelayDriver;
	config: StationConfig;
	onEvent?(event: StationEvent): void;
	log?: Log;
	/**
	 * The local time for call schedules (the configured zone's: the device's
	 * wall clock), or undefined while the clock is not set: then
	 * scheduleFallback decides. Without it, the host's own local time (a PC's
	 * zone, tests).
	 */
	localTime?: LocalClock;
}

/** Local time: weekday (0 Sunday), hour and minute; undefined while the clock is not set. */
export interface LocalClock {
	local(): { weekday: number; hour: number; minute: number } | undefined;
}

interface CallContext {
	timers: unknown[];
	digits: string;
	wrongCodes: number;
	/** Outgoing calls placed together by one button press. */
	attempt: Attempt | undefined;
	/** A DND feature-code call: hung up once answered. */
	featureCode?: boolean;
	/** A call to a unit of the built-in server (a refusal stops nothing). */
	unit?: boolean;
	/** Keys from an untrusted caller were ignored (logged once per call). */
	untrustedKeys?: boolean;
}

interface Attempt {
	mode: "single" | "group" | "sequence";
	contacts: string[];
	next: number;
	calls: Call[];
	done: boolean;
	/** The push button's relay, held until the reset condition. */
	heldRelay: number;
	/** The units ring (with the contacts, or in their place after the fallback). */
	unitsRung: boolean;
	/** The fallback to the units is armed (call button, contacts only). */
	fallback: boolean;
}

/** The DND setting of an account ("1", "2") or of direct IP calls ("ip"). */
function dndOf(c: StationConfig, key: string): DndConfig | undefined {
	return key === "1" ? c.dnd["1"] : key === "2" ? c.dnd["2"] : key === "ip" ? c.dnd.ip : undefined;
}

export class Station {
	#o: StationOptions;
	/** Lines a stranger can cause (calls not answered, keys ignored): written once, then counted. */
	#logLimit: LogLimit | undefined;
	#config: StationConfig;
	#calls = new Map<Call, CallContext>();
	#relayTimers = new Map<number, unknown>();
	#relayState = new Map<number, boolean>();
	#attempt: Attempt | undefined;
	#inputs = new Map<number, InputState>();
	/** The level last driven on each relay's output (absent: off, as the host starts it). */
	#outputs = new Map<number, boolean>();
	/** The built-in server, when it runs. */
	units: UnitsConfig | undefined;

	constructor(options: StationOptions) {
		this.#o = options;
		this.#config = options.config;
		const log = options.log;
		this.#logLimit = log ? new LogLimit({ clock: options.clock, log }) : undefined;
	}

	/** Stop: counted log lines are written now, and no timer of the station's outlives it. */
	close(): void {
		this.#logLimit?.close();
	}

	get config(): StationConfig {
		return this.#config;
	}
	set config(config: StationConfig) {
		this.#config = config;
	}
	/** Relays currently released. */
	/** Each configured input and whether it is active now (pressed, door open). */
	inputStates(): Array<{ id: number; kind: string; active: boolean }> {
		return this.#config.inputs.map((i) => ({ id: i.id, kind: i.kind, active: this.#inputs.get(i.id)?.active === true }));
	}

	relayStates(): Array<{ id: number; active: boolean }> {
		return this.#config.relays.map((r) => ({ id: r.id, active: this.#relayState.get(r.id) === true }));
	}
	get activeCalls(): Call[] {
		return Array.from(this.#calls.keys());
	}

	/** Let a call go: it was bridged to a unit (the door logic no longer times or keys it). */
	release(call: Call): void {
		const context = this.#calls.get(call);
		if (!context)
			return;
		for (const t of context.timers)
			this.#o.clock.clear(t);
		this.#calls.delete(call);
	}

	/* ---------- incoming calls ---------- */

	/** The user agent's onIncomingCall. */
	incomingCall(call: Call): void {
		const c = this.#config;
		const dnd = dndOf(c, call.account ?? "ip");
		if (dnd?.enabled) {
			call.reject(dnd.returnCode);
			return;
		}
		const context = this.#context(call);
		call.ring();
		this.#emit({ type: "ringing", call });
		// auto-answer opens the microphone: never for a caller the station does not trust
		const auto = call.account === undefined ? c.autoAnswerIp : c.autoAnswerSip;
		if (auto.enabled && call.trusted) {
			// delay 0 answers once the INVITE has been handled, in the same receive: answering
			// from here, at the bottom of the receive path with the media and every listener on
			// top, overflowed the 512-slot XS stack of a panel (measured in the simulator), and
			// waiting for a timer's turn cost the caller a millisecond on Node
			if (auto.delay > 0)
				context.timers.push(this.#o.clock.set(() => this.#guard(() => call.answer()), auto.delay * 1000));
			else
				call.answerSoon();
		}
		else if (auto.enabled)
			this.#logLimit?.note("not answered " + call.signalAddress, "station: call from " + call.signalAddress + " not auto-answered: not on the whitelist");
		if (c.dialInTime > 0)
			context.timers.push(this.#o.clock.set(() => this.#guard(() => {
				if (call.state === "calling" || call.state === "ringing")
					call.reject(480);
			}), c.dialInTime * 1000));
	}

	/** The user agent's onCallState. */
	callState(call: Call): void {
		const context = this.#calls.get(call);
		if (!context)
			return;
		if (call.state === "answered" && context.featureCode) {
			call.hangup();
			return;
		}
		if (call.state === "answered") {
			if (this.#config.maxCallTime > 0)
				context.timers.push(this.#o.clock.set(() => this.#guard(() => call.hangup()), this.#config.maxCallTime * 1000));
			if (context.attempt)
				this.#answeredAttempt(context.attempt, call);
		}
		else if (call.state === "ended") {
			for (const t of context.timers)
				this.#o.clock.clear(t);
			this.#calls.delete(call);
			const attempt = context.attempt;
			if (attempt && call.answeredAt === 0)
				this.#failedAttempt(attempt, call, context.unit === true);
			// the push button's relay is reset when the last call of its press has ended
			if (attempt?.heldRelay && attempt.calls.every((c) => c.state === "ended") && (attempt.done || attempt.next >= attempt.contacts.length))
				this.#releaseHeld(attempt);
		}
	}

	/** The user agent's onDtmf: collect keys and open the relay whose code they end with. */
	dtmf(call: Call, key: string): void {
		const context = this.#calls.get(call);
		if (!context || call.state !== "answered" || context.wrongCodes >= this.#config.maxWrongCodes)
			return;
		if (!call.trusted && this.#config.dtmfFrom !== "anyone") {
			if (!context.untrustedKeys) {
				context.untrustedKeys = true;
				this.#logLimit?.note("keys " + call.signalAddress, "station: keys from " + (call.signalAddress || call.remote) + " ignored: an untrusted caller cannot open a door");
			}
			return;
		}
		context.digits = (context.digits + key).slice(-16);
		let partial = false;
		for (const relay of this.#config.relays) {
			const code = relay.dtmfCode;
			if (!code)
				continue;
			if (context.digits.endsWith(code)) {
				context.digits = "";
				this.openRelay(relay.id, "dtmf");
				this.#afterOpen(call, context);
				return;
			}
			// the keys so far may still become this code
			for (let n = Math.min(code.length - 1, context.digits.length); n > 0; n--) {
				if (code.startsWith(context.digits.slice(-n))) {
					partial = true;
					break;
				}
			}
		}
		if (!partial) {
			context.digits = "";
			context.wrongCodes++;
			this.#emit({ type: "wrong-code", call, count: context.wrongCodes });
		}
	}

	/**
	 * Switch DND for an account ("1", "2") or for direct IP calls ("ip"). For an
	 * account the DND On/Off feature code is also dialled to its server, so the
	 * PBX knows; that call ends as soon as it is answered, or after 10 s.
	 */
	setDnd(account: "1" | "2" | "ip", enabled: boolean): void {
		const c = this.#config;
		const dnd = { ...c.dnd };
		dnd[account] = { enabled, returnCode: dndOf(c, account)?.returnCode ?? 486 };
		this.#config = { ...c, dnd };
		this.#emit({ type: "dnd", account, enabled });
		if (account === "ip")
			return;
		const code = enabled ? c.dndOnCode : c.dndOffCode;
		if (!code)
			return;
		const call = this.#o.dialer.call(code, { account });
		if (!call)
			return;
		const context = this.#context(call);
		context.featureCode = true;
		context.timers.push(this.#o.clock.set(() => this.#guard(() => call.hangup()), 10000));
	}

	/* ---------- doors ---------- */

	/** Release a relay for its hold time; the call ends after the door opened when configured. */
	openRelay(id: number, by: DoorOpener): boolean {
		const relay = this.#config.relays.find((r) => r.id === id);
		if (!relay)
			return false;
		this.#drive(relay, true);
		this.#emit({ type: "door-opened", relay: id, by });
		const old = this.#relayTimers.get(id);
		if (old !== undefined)
			this.#o.clock.clear(old);
		this.#relayTimers.set(id, this.#o.clock.set(() => this.#guard(() => {
			this.#relayTimers.delete(id);
			this.#drive(relay, false);
			this.#emit({ type: "door-closed", relay: id });
		}), relay.holdTime * 1000));
		if (by !== "dtmf")
			for (const [call, context] of this.#calls) {
				if (call.state === "answered")
					this.#afterOpen(call, context);
			}
		return true;
	}

	/**
	 * Drive the relays whose idle level is not the output's present one: an NC
	 * (fail-safe) lock is powered while locked. At start and when a lock type
	 * changed; NO relays are left as the host set them (off).
	 */
	idleRelays(): void {
		for (const relay of this.#config.relays) {
			if (this.#relayState.get(relay.id) !== true && (this.#outputs.get(relay.id) === true) !== (this.#lockOf(relay.id) === "NC"))
				this.#drive(relay, false);
		}
	}

	#lockOf(id: number): "NO" | "NC" {
		const names = this.#config.relayNames;
		const info = !names ? undefined : id === 1 ? names["1"] : id === 2 ? names["2"] : id === 3 ? names["3"] : id === 4 ? names["4"] : undefined;
		return info?.lock === "NC" ? "NC" : "NO";
	}

	#drive(relay: RelayConfig, active: boolean): void {
		this.#relayState.set(relay.id, active);
		try {
			// NC (fail-safe) locks: powered while locked, unpowered to open
			const level = this.#lockOf(relay.id) === "NC" ? !active : active;
			this.#outputs.set(relay.id, level);
			this.#o.relays.set(relay.id, level);
		}
		catch (e) {
			this.#o.log?.("station: relay " + relay.id + ": " + String(e));
		}
	}

	#afterOpen(call: Call, context: CallContext): void {
		const after = this.#config.hangUpAfterOpen;
		if (after >= 0)
			context.timers.push(this.#o.clock.set(() => this.#guard(() => call.hangup()), after * 1000));
	}

	/* ---------- inputs ---------- */

	/** A raw level from an input pin; it counts once it held for the input's debounce time. */
	input(id: number, level: number): void {
		const input = this.#config.inputs.find((i) => i.id === id);
		if (!input)
			return;
		let state = this.#inputs.get(id);
		if (!state) {
			state = { level: input.activeLevel ? 0 : 1, active: false, timer: undefined, alarmTimer: undefined, alarm: false };
			this.#inputs.set(id, state);
		}
		if (state.timer !== undefined)
			this.#o.clock.clear(state.timer);
		state.level = level ? 1 : 0;
		const s = state;
		s.timer = this.#o.clock.set(() => this.#guard(() => {
			s.timer = undefined;
			const active = s.level === input.activeLevel;
			if (active === s.active)
				return;
			s.active = active;
			this.#emit({ type: "input", input: id, active });
			this.#alarmInput(input, s, active);
			if (active)
				this.pressInput(id);
		}), input.debounce);
	}

	/** A door sensor held active past doorAlarm seconds, or a tamper input: an alarm event, and its end. */
	#alarmInput(input: InputConfig, s: InputState, active: boolean): void {
		if (input.kind === "tamper") {
			this.#emit({ type: "alarm", alarm: "tamper", input: input.id, active });
			return;
		}
		if (input.kind !== "sensor")
			return;
		if (s.alarmTimer !== undefined) {
			this.#o.clock.clear(s.alarmTimer);
			s.alarmTimer = undefined;
		}
		if (!active) {
			if (s.alarm) {
				s.alarm = false;
				this.#emit({ type: "alarm", alarm: "door-held-open", input: input.id, active: false });
			}
			return;
		}
		const seconds = this.#config.doorAlarm ?? 0;
		if (seconds > 0)
			s.alarmTimer = this.#o.clock.set(() => this.#guard(() => {
				s.alarmTimer = undefined;
				if (!s.active || s.alarm)
					return;
				s.alarm = true;
				this.#o.log?.("station: door held open (input " + input.id + ", " + seconds + " s)");
				this.#emit({ type: "alarm", alarm: "door-held-open", input: input.id, active: true });
			}), seconds * 1000);
	}

	/** What pressing an input does: a call button calls, an exit button opens its relay. */
	pressInput(id: number): boolean {
		const input = this.#config.inputs.find((i) => i.id === id);
		if (!input)
			return false;
		if (input.kind === "exit") {
			if (input.relay)
				this.openRelay(input.relay, "input");
			return true;
		}
		if (input.kind !== "call")
			return true;
		const template = input.template ? this.#config.schedules.find((t) => t.name === input.template) : undefined;
		if (!template) {
			this.press();
			return true;
		}
		// With a template, group and sequence calls are off for this input: inside a window the
		// template's numbers ring together, outside it the first contact is called.
		if (this.#pushToHangUp())
			return true;
		let inside: boolean;
		if (this.#o.localTime) {
			const local = this.#o.localTime.local();
			if (!local) {
				// the clock is not set yet (no SNTP answer since power-on): the configured choice
				const fallback = this.#config.scheduleFallback ?? "contacts";
				this.#o.log?.("station: input " + id + ": time not set, schedule \"" + template.name + "\" not applied (" + fallback + ")");
				if (fallback === "contacts") {
					this.press();
					return true;
				}
				inside = fallback === "template";
			}
			else
				inside = inWindowAt(template, local.weekday, local.hour * 60 + local.minute);
		}
		else
			inside = inWindow(template, new Date(this.#o.clock.now()));
		if (inside)
			this.callContacts(template.numbers, "group", true);
		else if (this.#config.contacts.length)
			this.callContacts(this.#config.contacts.slice(0, 1), "single", true);
		return true;
	}

	/* ---------- the call button ---------- */

	/**
	 * The call button: end the call (push to hang up), or call the contacts
	 * and/or the units registered to the built-in server.
	 */
	press(): void {
		const c = this.#config;
		if (this.#pushToHangUp())
			return;
		const units = this.units;
		const registered = units ? units.registered() : [];
		if (!registered.length || !units) {
			if (c.contacts.length)
				this.callContacts(c.contacts, c.callMode, true);
			return;
		}
		if (units.button === "units" || !c.contacts.length)
			this.callContacts([], "group", true, "with");
		else
			this.callContacts(c.contacts, c.callMode, true, units.button === "both" ? "with" : "fallback");
	}

	/** During a call the button ends it (push to hang up), except within the hold time; true when a call was going on. */
	#pushToHangUp(): boolean {
		const c = this.#config;
		const active = this.activeCalls.filter((call) => call.state !== "ended");
		if (!active.length)
			return false;
		if (c.pushToHangUp.enabled) {
			const now = this.#o.clock.now();
			for (const call of active) {
				if (now - call.startedAt >= c.pushToHangUp.holdTime * 1000)
					call.hangup();
			}
		}
		return true;
	}

	/**
	 * Call numbers: one, all at once (first answer wins), or one after
	 * another. With `units`, the built-in server's units ring too: at once
	 * ("with"), or when the contacts' server does not respond ("fallback").
	 */
	callContacts(contacts: string[], mode: "single" | "group" | "sequence", button = false, units?: "with" | "fallback"): void {
		const attempt: Attempt = { mode, contacts: contacts.slice(0, 16), next: 0, calls: [], done: false, heldRelay: 0, unitsRung: false, fallback: units === "fallback" };
		if (button)
			this.#pushButtonAction(attempt);
		this.#attempt = attempt;
		this.#emit({ type: "dialing", destinations: units === "with" ? attempt.contacts.concat(this.units?.registered() ?? []) : attempt.contacts });
		if (units === "with")
			this.#ringUnits(attempt);
		if (mode === "group")
			for (const contact of attempt.contacts)
				this.#dial(attempt, contact);
		else
			this.#dialNext(attempt);
		if (attempt.fallback) {
			const after = this.units?.fallback ?? 0;
			if (!attempt.calls.length)
				this.#ringUnits(attempt);	// no contact could be called (no account registered)
			else if (after > 0)
				this.#o.clock.set(() => this.#guard(() => {
					// the door keeps working through a PBX outage: nothing heard from its server, the units ring
					if (!attempt.calls.some((call) => call.heard) && attempt.calls.some((call) => call.state !== "ended"))
						this.#ringUnits(attempt);
				}), after * 1000);
		}
	}

	/** Ring every registered unit, once per attempt. */
	#ringUnits(attempt: Attempt): void {
		if (attempt.unitsRung || attempt.calls.some((c) => c.answeredAt > 0))
			return;
		attempt.unitsRung = true;
		const registered = this.units?.registered() ?? [];
		if (registered.length)
			this.#o.log?.("station: ringing the units " + registered.join(", "));
		for (const unit of registered)
			this.#dial(attempt, unit, true);
	}

	#dialNext(attempt: Attempt): void {
		while (attempt.next < attempt.contacts.length) {
			const contact = attempt.contacts[attempt.next++];
			if (this.#dial(attempt, contact))
				return;
			if (attempt.mode === "single")
				break;
		}
		attempt.done = true;
	}

	#dial(attempt: Attempt, destination: string, unit = false): Call | undefined {
		const call = this.#o.dialer.call(destination);
		if (!call) {
			this.#o.log?.("station: cannot call " + destination);
			return undefined;
		}
		attempt.calls.push(call);
		const context = this.#context(call);
		context.attempt = attempt;
		context.unit = unit;
		const c = this.#config;
		const limit = attempt.mode === "sequence" && !unit ? c.sequenceTimeout : c.dialOutTime;
		if (limit > 0)
			context.timers.push(this.#o.clock.set(() => this.#guard(() => {
				if (call.state === "calling" || call.state === "ringing")
					call.hangup();	// CANCEL; its end moves a sequence on
			}), limit * 1000));
		return call;
	}

	/** The push button action: an HTTP GET and/or a relay held until hang-up or answer. */
	#pushButtonAction(attempt: Attempt): void {
		const p = this.#config.pushButton;
		if (p.httpUrl && this.#o.httpGet) {
			try {
				this.#o.httpGet(p.httpUrl);
			}
			catch (e) {
				this.#o.log?.("station: push button URL: " + String(e));
			}
		}
		const relay = this.#config.relays.find((r) => r.id === p.relay);
		if (relay) {
			this.#drive(relay, true);
			this.#emit({ type: "door-opened", relay: relay.id, by: "button" });
			attempt.heldRelay = relay.id;
		}
	}

	#releaseHeld(attempt: Attempt): void {
		const relay = this.#config.relays.find((r) => r.id === attempt.heldRelay);
		attempt.heldRelay = 0;
		if (relay && !this.#relayTimers.has(relay.id)) {
			this.#drive(relay, false);
			this.#emit({ type: "door-closed", relay: relay.id });
		}
	}

	/** The first to answer wins: the others are cancelled. */
	#answeredAttempt(attempt: Attempt, winner: Call): void {
		if (attempt.heldRelay && this.#config.pushButton.reset === "connected")
			this.#releaseHeld(attempt);
		attempt.done = true;
		for (const call of attempt.calls) {
			if (call !== winner && (call.state === "calling" || call.state === "ringing"))
				call.hangup();
		}
	}

	/** An attempt's call ended unanswered: a refusal or a time-out. */
	#failedAttempt(attempt: Attempt, call: Call, unit: boolean): void {
		// the contacts' server is unreachable or failing: the units ring instead
		if (attempt.fallback && !unit && (call.status === 408 || call.status >= 500) && !attempt.calls.some((c) => c.heard && c.state !== "ended"))
			this.#ringUnits(attempt);
		if (attempt.done || unit)
			return;	// a unit that refuses stops nothing: the others ring on
		const refused = call.status >= 400 && call.status !== 408 && call.status !== 487;
		if (attempt.mode === "sequence") {
			if (refused && this.#config.whenRefused === "stop") {
				attempt.done = true;
				return;
			}
			this.#dialNext(attempt);
			return;
		}
		if (attempt.mode === "group" && refused && this.#config.whenRefused === "stop") {
			attempt.done = true;
			for (const other of attempt.calls) {
				if (other !== call && (other.state === "calling" || other.state === "ringing"))
					other.hangup();
			}
		}
	}

	#context(call: Call): CallContext {
		let context = this.#calls.get(call);
		if (!context) {
			context = { timers: [], digits: "", wrongCodes: 0, attempt: undefined };
			this.#calls.set(call, context);
		}
		return context;
	}

	#emit(event: StationEvent): void {
		try {
			this.#o.onEvent?.(event);
		}
		catch (e) {
			this.#o.log?.("station: event handler: " + String(e));
		}
	}

	#guard(fn: () => void): void {
		try {
			fn();
		}
		catch (e) {
			this.#o.log?.("station: " + String(e));
		}
	}
}

/** Is this Date, in the host's local time, inside one of the template's windows? */
export function inWindow(template: ScheduleTemplate, date: Date): boolean {
	return inWindowAt(template, date.getDay(), date.getHours() * 60 + date.getMinutes());
}

/** Is this local weekday (0 Sunday) and minute after midnight inside one of the template's windows? */
export function inWindowAt(template: ScheduleTemplate, day: number, minute: number): boolean {
	for (const w of template.windows) {
		if (w.start <= w.end) {
			if (w.days.indexOf(day) >= 0 && minute >= w.start && minute < w.end)
				return true;
		}
		else {
			// past midnight: the evening part belongs to the day, the morning part to the next one
			if (w.days.indexOf(day) >= 0 && minute >= w.start)
				return true;
			if (w.days.indexOf((day + 6) % 7) >= 0 && minute < w.end)
				return true;
		}
	}
	return false;
}
