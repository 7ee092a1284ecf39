// The project's native heap reading (xs-heap.js, xs-heap.c).
/** The XS heap after a full collection: chunks and slots in bytes (as the debugger's instruments count them), the slot size, the space not in use, the property names interned at run time, and the function byte code copied into the heap (part of chunks: see xs-heap.c). */
export default function xsHeap(): { chunks: number; slots: number; slotSize: number; free: number; keys: number; code: number };
