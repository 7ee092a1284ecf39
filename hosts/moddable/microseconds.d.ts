// The project's native monotonic clock (microseconds.js, microseconds.c).
/** Microseconds on a monotonic clock: differences only. */
export default function microseconds(): number;
