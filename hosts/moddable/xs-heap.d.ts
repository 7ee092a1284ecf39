// The project's native heap reading (xs-heap.js, xs-heap.c).
/** The XS heap after a full collection: chunks and slots in bytes (as the debugger's instruments count them), the slot size, the space not in use, and the property names interned at run time. */
export default function xsHeap(): { chunks: number; slots: number; slotSize: number; free: number; keys: number };
