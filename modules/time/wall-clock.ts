/*
 * The station's wall clock: what time it is, in UTC and in the configured
 * zone, and whether that is known.
 *
 * Two kinds of host (DESIGN: time is injected):
 * - a panel (ESP32, the simulator): its clock counts from power-on (Date
 *   starts at 1970). The wall clock is that monotonic count plus the offset
 *   the last SNTP answer measured. The host's clock is never set: every timer
 *   and every duration the station measures (registrations, calls, uptime)
 *   keeps running on the undisturbed count, and only what shows a date
 *   (log lines, the status page, schedules, history) reads the wall clock.
 * - a PC (Node): the operating system keeps its clock right (its own NTP).
 *   The wall clock reads it as it is and nothing here changes it: two
 *   programs correcting one clock would fight. The station runs no SNTP
 *   there unless asked (`npm start -- --sntp`: then the PC is treated as a
 *   panel, its clock only read); an offset given to a system clock is
 *   recorded, not applied.
 */
import type { Clock } from "../io/types.js";
import { type LocalTime, type TimeZone, parseTz, toLocal } from "./tz.js";

/** Before this (2020-01-01) a system clock has not been set. */
const CLOCK_SET = 1577836800000;

export interface WallClockOptions {
	/** The host's clock: timers, and the monotonic count. */
	clock: Clock;
	/** The host's clock already shows real time (a PC): read it as it is. */
	system?: boolean;
	/** The POSIX TZ string (default UTC0). */
	zone?: string;
}

const UTC: TimeZone = Object.freeze({ text: "UTC0", std: "UTC", stdOffset: 0 });

export class WallClock {
	#clock: Clock;
	#system: boolean;
	#offset = 0;
	#synced = false;
	#server = "";
	/** Wall time of the last SNTP answer. */
	#at = 0;
	#zone: TimeZone = UTC;
	/** A Clock whose now() is the wall time (timers are the host's): for what stamps records with dates. */
	readonly clock: Clock;

	constructor(options: WallClockOptions) {
		this.#clock = options.clock;
		this.#system = options.system === true;
		if (options.zone)
			this.setZone(options.zone);
		this.clock = new WallTimeClock(this, options.clock);
	}

	/** ms since 1970 UTC: the real time once synchronised; before, the host's count (1970 + uptime on a panel). */
	now(): number {
		return this.#system ? this.#clock.now() : this.#clock.now() + this.#offset;
	}

	/** Is the time known (SNTP answered, or a PC's clock that is set)? */
	get synchronised(): boolean {
		return this.#system ? this.#clock.now() >= CLOCK_SET : this.#synced;
	}

	/** "SNTP", "system clock" or "not set". */
	get source(): string {
		if (this.#system)
			return this.synchronised ? "system clock" : "not set";
		return this.#synced ? "SNTP" : "not set";
	}

	/** The server of the last SNTP answer ("" when none). */
	get server(): string {
		return this.#server;
	}

	/** The wall time of the last SNTP answer (0 when none). */
	get syncedAt(): number {
		return this.#at;
	}

	get zone(): TimeZone {
		return this.#zone;
	}

	/** Set the zone; false (and nothing changed) when the text is not a POSIX TZ string. */
	setZone(text: string): boolean {
		const zone = parseTz(text);
		if (!zone)
			return false;
		this.#zone = zone;
		return true;
	}

	/**
	 * An SNTP answer: the wall clock is `offset` ms behind the server. A panel
	 * takes it (a step, not a slew: SNTP, RFC 4330 §5, and a door station
	 * needs minutes right, not a smooth clock); a PC's clock is left alone.
	 */
	adjust(offset: number, server: string): void {
		if (!this.#system) {
			this.#offset += offset;
			this.#synced = true;
		}
		this.#server = server;
		this.#at = this.now();
	}

	/** The local time now, or undefined while the time is not known. */
	local(): LocalTime | undefined {
		return this.synchronised ? toLocal(this.#zone, this.now()) : undefined;
	}
}

/**
 * A Clock whose now() is the wall time; its timers are the host's. Methods on
 * the prototype, not closures: each closure costs about 11 XS slots (176
 * bytes on an ESP32), and this one lives as long as the device.
 */
class WallTimeClock implements Clock {
	#wall: WallClock;
	#host: Clock;

	constructor(wall: WallClock, host: Clock) {
		this.#wall = wall;
		this.#host = host;
	}

	now(): number {
		return this.#wall.now();
	}

	set(callback: () => void, ms: number): unknown {
		return this.#host.set(callback, ms);
	}

	repeat(callback: () => void, ms: number): unknown {
		return this.#host.repeat(callback, ms);
	}

	clear(id: unknown): void {
		this.#host.clear(id);
	}
}
