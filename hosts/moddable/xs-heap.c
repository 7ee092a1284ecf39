/*
 * xs_portier_heap: the XS heap after a full garbage collection, counted as
 * the debugger's instruments count it ("Chunk used"; "Slot used": slots
 * times the machine's slot size), and the space the machine has not in use
 * (on a panel the heap is created whole at start, so that is the free heap;
 * the simulator grows its heap on demand). Returns [chunks, slots (bytes),
 * slot size, free bytes, keys (property names interned at run time, as the
 * instruments' "Keys used")]: an array, so that no property name is
 * interned.
 */
#include "xsAll.h"
#include "xsmc.h"

void xs_portier_heap(xsMachine *the)
{
	txMachine *machine = (txMachine *)the;
	xsCollectGarbage();
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 5);
	xsmcSetInteger(xsVar(0), (xsIntegerValue)machine->currentChunksSize);
	xsmcSetIndex(xsResult, 0, xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)(machine->currentHeapCount * sizeof(txSlot)));
	xsmcSetIndex(xsResult, 1, xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)sizeof(txSlot));
	xsmcSetIndex(xsResult, 2, xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)((machine->maximumChunksSize - machine->currentChunksSize) + (machine->maximumHeapCount - machine->currentHeapCount) * sizeof(txSlot)));
	xsmcSetIndex(xsResult, 3, xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)(machine->keyIndex - machine->keyOffset - machine->keyholeCount));
	xsmcSetIndex(xsResult, 4, xsVar(0));
}
