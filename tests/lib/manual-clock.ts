/*
 * A clock for the firmware's injected Clock that moves only when a test says
 * so: timers fire in order as advance() passes their time. Plain code, so the
 * same tests run under Node and inside XS.
 */
export class ManualClock {
	time = 0;
	now(): number {
		return this.time;
	}
	#timers: Array<{ at: number; cb: () => void; id: number }> = [];
	#id = 0;
	set(cb: () => void, ms: number): unknown {
		this.#timers.push({ at: this.time + ms, cb, id: ++this.#id });
		return this.#id;
	}
	repeat(cb: () => void, ms: number): unknown {
		const id = ++this.#id;
		const tick = () => {
			this.#timers.push({ at: this.time + ms, cb: tick, id });
			cb();
		};
		this.#timers.push({ at: this.time + ms, cb: tick, id });
		return id;
	}
	/** Timers waiting to fire. */
	get pending(): number {
		return this.#timers.length;
	}
	clear(id: unknown): void {
		this.#timers = this.#timers.filter((t) => t.id !== id);
	}
	advance(ms: number): void {
		const end = this.time + ms;
		for (;;) {
			this.#timers.sort((a, b) => a.at - b.at);
			const next = this.#timers[0];
			if (!next || next.at > end)
				break;
			this.#timers.shift();
			this.time = next.at;
			next.cb();
		}
		this.time = end;
	}
}
