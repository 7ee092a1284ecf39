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
 *
 * The lines are held as one string (newline-separated; a newline in a line
 * becomes a space) and the event marks as the bits of one number: 20 strings
 * and two arrays cost about 1.8 KB more of an XS heap (measured in the
 * simulator) for the same text.
 */

export interface RecentLogOptions {
	/** Lines kept (at most 30). */
	limit?: number;
	width?: number;
	/** Door and call events kept ahead of other lines (default 8). */
	events?: number;
}

/** The most lines: one bit each in `#marks`. */
const MAX_LINES = 30;

export class RecentLog {
	/** The lines, oldest first, joined by "\n" ("" when there is none). */
	#text = "";
	#count = 0;
	/** Bit i set: line i is a door or call event. */
	#marks = 0;
	#limit: number;
	#width: number;
	#events: number;

	constructor(options: RecentLogOptions = {}) {
		this.#limit = Math.max(1, Math.min(options.limit ?? 20, MAX_LINES));
		this.#width = options.width ?? 160;
		this.#events = Math.min(options.events ?? 8, this.#limit);
	}

	/** Add a line; `event` marks a door or call event. */
	add(line: string, event = false): void {
		let text = line.length > this.#width ? line.slice(0, this.#width - 1) + "…" : line;
		if (text.indexOf("\n") >= 0)
			text = text.split("\n").join(" ");
		if (event)
			this.#marks |= 1 << this.#count;
		this.#text = this.#count ? this.#text + "\n" + text : text;
		this.#count++;
		if (this.#count <= this.#limit)
			return;
		let events = 0;
		for (let i = 0; i < this.#count; i++)
			events += (this.#marks >>> i) & 1;
		// the oldest ordinary line, unless events are over their share: then the oldest event
		const dropEvent = events > this.#events ? 1 : 0;
		let at = 0;
		while (at < this.#count && ((this.#marks >>> at) & 1) !== dropEvent)
			at++;
		if (at === this.#count)
			at = 0;
		this.#remove(at);
	}

	/** Oldest first; a copy. */
	lines(): string[] {
		return this.#count ? this.#text.split("\n") : [];
	}

	#remove(at: number): void {
		let start = 0;
		for (let i = 0; i < at; i++)
			start = this.#text.indexOf("\n", start) + 1;
		const end = this.#text.indexOf("\n", start);
		if (end < 0)
			this.#text = start ? this.#text.slice(0, start - 1) : "";
		else
			this.#text = this.#text.slice(0, start) + this.#text.slice(end + 1);
		const low = this.#marks & ((1 << at) - 1);
		this.#marks = low | ((this.#marks >>> (at + 1)) << at);
		this.#count--;
	}
}
