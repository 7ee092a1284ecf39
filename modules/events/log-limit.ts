/*
 * Log lines that an attacker can cause (refused calls, floods, failed logins)
 * are written once, then counted: the first line of a kind goes out at once,
 * repeats within the interval are only counted, and when the interval ends
 * one line says how many there were. A scanner sending thousands of packets
 * then costs a few lines, and the recent log keeps what matters.
 *
 * Bounded: at most `max` kinds are counted at once (one timer each); beyond
 * that, new kinds share one "other" count.
 */
import type { Clock, Log } from "../io/types.js";

export interface LogLimitOptions {
	clock: Clock;
	log: Log;
	/** ms during which repeats of a kind are counted, not written (default 60 s). */
	interval?: number;
	/** Kinds counted at once (default 16). */
	max?: number;
}

interface Kind {
	line: string;
	repeats: number;
	timer: unknown;
}

const OTHER = "\u0000other";

export class LogLimit {
	#o: LogLimitOptions;
	#kinds = new Map<string, Kind>();
	#interval: number;
	#max: number;

	constructor(options: LogLimitOptions) {
		this.#o = options;
		this.#interval = options.interval ?? 60000;
		this.#max = options.max ?? 16;
	}

	/** How many kinds are being counted now. */
	get size(): number {
		return this.#kinds.size;
	}

	/** Log `line`, a line of the kind `key` (e.g. "refused 1.2.3.4"): at once, or counted. */
	note(key: string, line: string): void {
		let kind = this.#kinds.get(key);
		if (!kind && this.#kinds.size >= this.#max) {
			key = OTHER;
			kind = this.#kinds.get(key);
			line = "(more of other kinds) " + line;
		}
		if (kind) {
			kind.repeats++;
			kind.line = line;
			return;
		}
		this.#write(line);
		const fresh: Kind = { line, repeats: 0, timer: undefined };
		this.#kinds.set(key, fresh);
		fresh.timer = this.#o.clock.set(() => this.#expire(key, fresh), this.#interval);
	}

	#expire(key: string, kind: Kind): void {
		if (this.#kinds.get(key) !== kind)
			return;
		this.#kinds.delete(key);
		if (kind.repeats > 0)
			this.#write(kind.line + " (" + kind.repeats + " more in " + Math.round(this.#interval / 1000) + " s)");
	}

	#write(line: string): void {
		try {
			this.#o.log(line);
		}
		catch {
			// a log sink that fails must not take the caller down
		}
	}

	/** Stop counting (shutdown): pending counts are written now. */
	close(): void {
		for (const [key, kind] of Array.from(this.#kinds)) {
			this.#o.clock.clear(kind.timer);
			this.#expire(key, kind);
		}
	}
}
