/*
 * The status page's recent log: the last `limit` lines, each cut at `width`
 * characters, so that what the log holds is bounded (20 lines of at most 160
 * characters: a few KB of a panel's heap, however long it runs and whatever a
 * peer puts in the names and reasons that are logged).
 */

export interface RecentLogOptions {
	limit?: number;
	width?: number;
}

export class RecentLog {
	#lines: string[] = [];
	#limit: number;
	#width: number;

	constructor(options: RecentLogOptions = {}) {
		this.#limit = options.limit ?? 20;
		this.#width = options.width ?? 160;
	}

	add(line: string): void {
		this.#lines.push(line.length > this.#width ? line.slice(0, this.#width - 1) + "…" : line);
		if (this.#lines.length > this.#limit)
			this.#lines.shift();
	}

	/** Oldest first; a copy. */
	lines(): string[] {
		return this.#lines.slice();
	}
}
