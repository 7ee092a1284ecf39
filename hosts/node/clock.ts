// The clock the firmware gets on Node: setTimeout-based, looked up at each
// call so that sinon's fake timers drive it in tests.
import type { Clock } from "../../modules/io/types.js";

export const nodeClock: Clock = Object.freeze({
	now: () => Date.now(),
	set: (callback: () => void, ms: number) => setTimeout(callback, ms),
	clear: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>),
});
