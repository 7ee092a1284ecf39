// The clock the firmware gets on Node: setTimeout-based, looked up at each
// call so that sinon's fake timers drive it in tests. A callback for 0 ms
// runs on setImmediate: right after the I/O at hand, where setTimeout's
// 0 ms is at least 1 ms (the auto-answer with delay 0 waited 1.45 ms for it).
import type { Clock } from "../../modules/io/types.js";

/** A repeating timer's handle: Node clears intervals and timeouts with different calls (and sinon insists). */
class Repeating {
	constructor(readonly interval: ReturnType<typeof setInterval>) {}
}

/** The handle of a callback for the next turn. */
class Immediate {
	constructor(readonly immediate: ReturnType<typeof setImmediate>) {}
}

export const nodeClock: Clock = Object.freeze({
	now: () => Date.now(),
	set: (callback: () => void, ms: number) => ms > 0 ? setTimeout(callback, ms) : new Immediate(setImmediate(callback)),
	repeat: (callback: () => void, ms: number) => new Repeating(setInterval(callback, ms)),
	clear: (id: unknown) => {
		if (id instanceof Repeating)
			clearInterval(id.interval);
		else if (id instanceof Immediate)
			clearImmediate(id.immediate);
		else
			clearTimeout(id as ReturnType<typeof setTimeout>);
	},
});
