/*
 * The XS heap as the debugger's instruments count it, on every build (a
 * release panel's too, which has no Instrumentation): see xs-heap.c.
 * A full garbage collection runs first, so call it when a figure is asked
 * for (the device page), not on a timer.
 */
export default function xsHeap() {
	const [chunks, slots, slotSize, free, keys, code] = native("xs_portier_heap").call(this);
	return { chunks, slots, slotSize, free, keys, code };
}
