/*
 * The status page's recent log: the last `limit` lines, each cut at `width`
 * characters, so that what the log holds is bounded (20 lines of at most 160
 * characters: a few KB of a panel's heap, however long it runs and whatever a
 * peer puts in the names and reasons that are logged).
 *
 * Door and call events are marked as such and outlive ordinary lines: when
 * the log is full, the oldest ordinary line goes first, so a burst of other
 * lines (a scanner's refusals, however rate-limited) cannot push the last
 * door and call events off the page. At most `events` of them are kept this
 * way; beyond that the oldest event goes.
 */

export interface RecentLogOptions {
	limit?: number;
	width?: number;
	/** Door and call events kept ahead of other lines (default 8). */
	events?: number;
}

export class RecentLog {
	#lines: string[] = [];
	#event: boolean[] = [];
	#limit: number;
	#width: number;
	#events: number;

	constructor(options: RecentLogOptions = {}) {
		this.#limit = options.limit ?? 20;
		this.#width = options.width ?? 160;
		this.#events = Math.min(options.events ?? 8, this.#limit);
	}

	/** Add a line; `event` marks a door or call event. */
	add(line: string, event = false): void {
		this.#lines.push(line.length > this.#width ? line.slice(0, this.#width - 1) + "…" : line);
		this.#event.push(event);
		if (this.#lines.length <= this.#limit)
			return;
		let events = 0;
		for (const e of this.#event) {
			if (e)
				events++;
		}
		// the oldest ordinary line, unless events are over their share: then the oldest event
		const drop = this.#event.indexOf(events > this.#events);
		const at = drop >= 0 ? drop : 0;
		this.#lines.splice(at, 1);
		this.#event.splice(at, 1);
	}

	/** Oldest first; a copy. */
	lines(): string[] {
		return this.#lines.slice();
	}
}
