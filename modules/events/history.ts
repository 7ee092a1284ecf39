/*
 * The door and call history: who rang, who answered, how long, the door
 * opened by what, refused callers, alarms. One short JSON record per event,
 * kept in a Journal (a bounded ring in flash, written in batches: see
 * journal.ts), read newest first by the page and exported as CSV there.
 * MQTT and action URLs are fed by the same station events, unchanged.
 *
 * Record fields (all short, so a flash page holds about 30 records):
 *   t      ms since 1970 (or since start when the clock is not set)
 *   ev     "call" | "door" | "refused" | "alarm"
 *   call:  dir "in" | "out"; from (incoming: who rang) or to (outgoing: who
 *          was called); by (who answered: "station" for an incoming call the
 *          station answered, the callee of an outgoing one; "" unanswered);
 *          account; dur (seconds talked); result ("answered", "missed",
 *          "rejected NNN", "busy", "failed"); reason (the end reason)
 *   door:  relay, name, by ("dtmf", "api", "mqtt", "input", "button"),
 *          from (the caller who keyed the code)
 *   refused: from (user@address), status
 *   alarm: alarm ("door-held-open", "tamper"), input, on (true/false)
 *
 * A caller refused again and again (a scanner) is recorded once a minute per
 * address, and at most 10 refusals a minute in all, so a flood neither fills
 * the ring nor wears the flash.
 */
import type { Clock } from "../io/types.js";
import type { StationApp } from "../station/app.js";
import type { Journal } from "./journal.js";

type AppEvent = Parameters<Parameters<StationApp["on"]>[0]>[0];

/** A refused caller is recorded at most once per address in this (ms). */
const REFUSED_EVERY = 60000;
/** Refusals recorded per minute in all. */
const REFUSED_PER_MINUTE = 10;
/** Addresses whose last refusal is remembered. */
const REFUSED_TRACKED = 32;

/** A peer's text, short enough that a record stays whole in the journal. */
function cut(text: string): string {
	return text.length > 80 ? text.slice(0, 80) : text;
}

/**
 * A party as people read it: `"Name" <sip:user@host;params>;tag=x` becomes
 * `Name <user@host>`, `<sip:user@host>` becomes `user@host`.
 */
function party(remote: string): string {
	let name = "";
	let uri = remote;
	const open = remote.indexOf("<");
	const close = open >= 0 ? remote.indexOf(">", open) : -1;
	if (open >= 0 && close > open) {
		name = remote.slice(0, open).trim();
		if (name.length >= 2 && name.charCodeAt(0) === 0x22 && name.charCodeAt(name.length - 1) === 0x22)
			name = name.slice(1, -1);
		uri = remote.slice(open + 1, close);
	}
	if (uri.startsWith("sip:"))
		uri = uri.slice(4);
	else if (uri.startsWith("sips:"))
		uri = uri.slice(5);
	const semicolon = uri.indexOf(";");
	if (semicolon >= 0)
		uri = uri.slice(0, semicolon);
	return cut(name ? name + " <" + uri + ">" : uri);
}

export interface HistoryOptions {
	app: StationApp;
	journal: Journal;
	clock: Clock;
	/** A relay's name ("" when none). */
	relayName?: (id: number) => string;
	log?: (line: string) => void;
}

export class History {
	#o: HistoryOptions;
	#listener: (e: AppEvent) => void;
	#refused = new Map<string, number>();
	#minute = 0;
	#refusedThisMinute = 0;
	/** The call button's attempt: its destinations, and whether a callee answered. */
	#attempt: { t: number; to: string; answered: boolean } | undefined;

	constructor(options: HistoryOptions) {
		this.#o = options;
		this.#listener = (e) => {
			try {
				this.#event(e);
			}
			catch (error) {
				options.log?.("history: " + String(error));
			}
		};
		options.app.on(this.#listener);
		options.app.onRefused = (remote, address, status) => {
			try {
				this.#refusedCall(remote, address, status);
			}
			catch (error) {
				options.log?.("history: " + String(error));
			}
		};
	}

	get journal(): Journal {
		return this.#o.journal;
	}

	close(): void {
		this.#o.app.off(this.#listener);
		this.#o.app.onRefused = undefined;
		this.#o.journal.close();
	}

	#add(record: Record<string, unknown>): void {
		this.#o.journal.add(JSON.stringify(record));
	}

	/** A caller refused before anything rang: once a minute per address, at most 10 a minute in all. */
	#refusedCall(remote: string, address: string, status: number): void {
		const now = this.#o.clock.now();
		const minute = Math.floor(now / 60000);
		if (minute !== this.#minute) {
			this.#minute = minute;
			this.#refusedThisMinute = 0;
		}
		const last = this.#refused.get(address);
		if ((last !== undefined && now - last < REFUSED_EVERY) || this.#refusedThisMinute >= REFUSED_PER_MINUTE)
			return;
		this.#refusedThisMinute++;
		this.#refused.delete(address);
		this.#refused.set(address, now);
		if (this.#refused.size > REFUSED_TRACKED) {
			const oldest = this.#refused.keys().next();
			if (!oldest.done)
				this.#refused.delete(oldest.value);
		}
		this.#add({ t: now, ev: "refused", from: cut(remote), status });
	}

	#event(e: AppEvent): void {
		const now = this.#o.clock.now();
		switch (e.type) {
			case "dialing":
				this.#attempt = { t: now, to: e.destinations.join(" "), answered: false };
				return;
			case "call": {
				const c = e.call;
				if (e.state === "answered" && c.direction === "outgoing" && this.#attempt)
					this.#attempt.answered = true;
				if (e.state !== "ended")
					return;
				const answered = c.answeredAt > 0;
				const dur = answered ? Math.max(0, Math.round(((c.endedAt || now) - c.answeredAt) / 1000)) : 0;
				const incoming = c.direction === "incoming";
				const result = answered ? "answered" : c.status >= 400 ? (incoming ? "refused " + c.status : c.status === 486 || c.status === 600 ? "busy" : "rejected " + c.status) : c.endReason === "timeout" || c.endReason === "remote" || c.endReason === "local" ? "missed" : "failed";
				if (incoming) {
					this.#add({ t: c.startedAt, ev: "call", dir: "in", from: party(c.remote), by: answered ? "station" : "", account: c.account ?? "ip", dur, result, reason: cut(c.endReason) });
					return;
				}
				// outgoing: each answered call; the unanswered ones once, when the whole attempt went unanswered
				if (answered) {
					this.#add({ t: c.startedAt, ev: "call", dir: "out", to: party(c.remote), by: party(c.remote), account: c.account ?? "ip", dur, result, reason: cut(c.endReason) });
					return;
				}
				const attempt = this.#attempt;
				const others = this.#o.app.ua.calls.some((x) => x !== c && x.direction === "outgoing" && x.state !== "ended");
				if (attempt && (attempt.answered || others))
					return;
				this.#add({ t: attempt ? attempt.t : c.startedAt, ev: "call", dir: "out", to: attempt ? cut(attempt.to) : party(c.remote), by: "", account: c.account ?? "ip", dur: 0, result, reason: cut(c.endReason) });
				this.#attempt = undefined;
				return;
			}
			case "door-opened": {
				let from = "";
				if (e.by === "dtmf") {
					const talking = this.#o.app.ua.calls.find((x) => x.state === "answered");
					from = talking ? party(talking.remote) : "";
				}
				this.#add({ t: now, ev: "door", relay: e.relay, name: this.#o.relayName?.(e.relay) ?? "", by: e.by, from });
				return;
			}
			case "alarm":
				this.#add({ t: now, ev: "alarm", alarm: e.alarm, input: e.input, on: e.active });
				return;
		}
	}
}
