/*
 * A monotonic clock in microseconds (microseconds.c): for timing the
 * station's paths inside the engine, not for keeping time.
 */
export default function microseconds() {
	return native("xs_portier_microseconds").call(this);
}
