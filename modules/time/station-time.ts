/*
 * The station's time, wired from its settings (SPEC §8 "Time"): the wall
 * clock (wall-clock.ts), the SNTP client that sets it on a panel (sntp.ts)
 * and the time zone (tz.ts), with what the status page shows and what a log
 * line is stamped with.
 */
import type { Clock, Log, UDPClass } from "../io/types.js";
import type { DnsClient } from "../sip/resolver.js";
import { SntpClient, type SntpOptions, type SntpSample } from "./sntp.js";
import { formatLocal, toLocal } from "./tz.js";
import { WallClock } from "./wall-clock.js";

/** The "time" settings (config/schema.ts). */
export interface TimeSettings {
	/** SNTP servers, name or address with an optional ":port"; empty: no SNTP. */
	servers: string[];
	/** Seconds between polls. */
	interval: number;
	/** POSIX TZ string. */
	zone: string;
}

export interface StationTimeOptions {
	clock: Clock;
	udp: UDPClass;
	/** Resolves server names (A records); without it only addresses work. */
	dns?: DnsClient;
	/** 16 hex digits (SNTP transmit timestamps). */
	random?: () => string;
	/** The host's clock counts from power-on and SNTP sets the wall clock (a panel); false: a PC's clock, read as it is. */
	sntp: boolean;
	/** Told the wall time after each SNTP answer, for what reads the host's system time itself (a panel's TLS stack). */
	setSystemTime?: (ms: number) => void;
	settings: TimeSettings;
	log?: Log;
}

/** The status page's time (GET /api/status, "time"). */
export interface TimeStatus {
	synchronised: boolean;
	/** "SNTP", "system clock" or "not set". */
	source: string;
	/** The server of the last SNTP answer, and when it came (ms since 1970). */
	server: string | null;
	syncedAt: number | null;
	/** UTC ms since 1970, when known. */
	now: number | null;
	/** "2026-12-02 14:30:05" in the zone, when known. */
	local: string | null;
	/** The TZ string, the abbreviation in effect, minutes east of UTC, daylight time. */
	zone: string;
	abbreviation: string;
	utcOffset: number;
	dst: boolean;
	/** The SNTP client, when it runs: its last error and the seconds until it asks again. */
	sntp: { servers: string[]; error: string; retry: number; denied: string[] } | null;
}

/** Steps smaller than this are not logged (every poll corrects a little drift). */
const QUIET_STEP = 1000;

export class StationTime {
	readonly wall: WallClock;
	#o: StationTimeOptions;
	#settings: TimeSettings;
	#client: SntpClient | undefined;
	#running = false;

	constructor(options: StationTimeOptions) {
		this.#o = options;
		this.#settings = options.settings;
		this.wall = new WallClock({ clock: options.clock, system: !options.sntp, zone: options.settings.zone });
	}

	start(): void {
		this.#running = true;
		this.#startClient();
	}

	stop(): void {
		this.#running = false;
		this.#client?.stop();
		this.#client = undefined;
	}

	/** New settings: the zone at once; SNTP asks again when its servers or interval changed. */
	apply(settings: TimeSettings): void {
		const previous = this.#settings;
		this.#settings = settings;
		if (!this.wall.setZone(settings.zone))
			this.#o.log?.("time: zone \"" + settings.zone + "\" not understood, " + this.wall.zone.text + " kept");
		if (previous.interval !== settings.interval || previous.servers.join(" ") !== settings.servers.join(" "))
			this.#startClient();
	}

	/** A log line's time: local date and time once the time is known, else seconds since start ("+162 s"). */
	stamp(started: number): string {
		const local = this.wall.local();
		return local ? formatLocal(local) : "+" + Math.round((this.#o.clock.now() - started) / 1000) + " s";
	}

	status(): TimeStatus {
		const wall = this.wall;
		const now = wall.now();
		const known = wall.synchronised;
		const local = toLocal(wall.zone, now);
		const client = this.#client?.status;
		return {
			synchronised: known, source: wall.source,
			server: wall.server || null, syncedAt: wall.syncedAt || null,
			now: known ? now : null, local: known ? formatLocal(local) : null,
			zone: wall.zone.text, abbreviation: local.name, utcOffset: Math.round(local.offset / 60), dst: local.dst,
			sntp: client ? { servers: this.#settings.servers.slice(), error: client.error, retry: client.retry, denied: client.denied } : null,
		};
	}

	#startClient(): void {
		this.#client?.stop();
		this.#client = undefined;
		const s = this.#settings;
		// a PC's clock is kept by its system: no SNTP from here (wall-clock.ts)
		if (!this.#running || !this.#o.sntp || !s.servers.length)
			return;
		this.#client = new SntpClient(new ClientOptions(this, this.#o, s));
		this.#client.start();
	}

	/** An SNTP answer (from the client): the wall clock takes the offset. */
	answered(offset: number, sample: SntpSample): void {
		const first = !this.wall.synchronised;
		this.wall.adjust(offset, sample.server);
		try {
			this.#o.setSystemTime?.(this.wall.now());
		}
		catch (e) {
			this.#o.log?.("time: cannot set the system time: " + String(e));
		}
		if (first || Math.abs(offset) >= QUIET_STEP) {
			const local = toLocal(this.wall.zone, this.wall.now());
			this.#o.log?.("time: " + (first ? "synchronised" : "stepped " + Math.round(offset) + " ms") + " with " + sample.server + " (stratum " + sample.stratum + ", delay " + Math.round(sample.delay) + " ms): " + formatLocal(local) + " " + local.name);
		}
	}
}

/**
 * The SNTP client's options, its callbacks as methods: no closures (each
 * costs about 11 XS slots, 176 bytes on an ESP32, for as long as the client runs).
 */
class ClientOptions implements SntpOptions {
	udp: UDPClass;
	clock: Clock;
	dns: DnsClient | undefined;
	random: (() => string) | undefined;
	servers: readonly string[];
	interval: number;
	log: Log | undefined;
	#time: StationTime;

	constructor(time: StationTime, o: StationTimeOptions, s: TimeSettings) {
		this.udp = o.udp;
		this.clock = o.clock;
		this.dns = o.dns;
		this.random = o.random;
		this.servers = s.servers.slice();
		this.interval = s.interval;
		this.log = o.log;
		this.#time = time;
	}

	now(): number {
		return this.#time.wall.now();
	}

	onTime(offset: number, sample: SntpSample): void {
		this.#time.answered(offset, sample);
	}
}
