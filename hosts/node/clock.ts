// The clock the firmware gets on Node: setTimeout-based, looked up at each
// call so that sinon's fake timers drive it in tests.
import type { Clock } from "../../modules/io/types.js";

/** A repeating timer's handle: Node clears intervals and timeouts with different calls (and sinon insists). */
class Repeating {
	constructor(readonly interval: ReturnType<typeof setInterval>) {}
}

export const nodeClock: Clock = Object.freeze({
	now: () => Date.now(),
	set: (callback: () => void, ms: number) => setTimeout(callback, ms),
	repeat: (callback: () => void, ms: number) => new Repeating(setInterval(callback, ms)),
	clear: (id: unknown) => {
		if (id instanceof Repeating)
			clearInterval(id.interval);
		else
			clearTimeout(id as ReturnType<typeof setTimeout>);
	},
});
