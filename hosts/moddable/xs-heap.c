/*
 * xs_portier_heap: the XS heap after a full garbage collection, counted as
 * the debugger's instruments count it ("Chunk used"; "Slot used": slots
 * times the machine's slot size), and the space the machine has not in use
 * (on a panel the heap is created whole at start, so that is the free heap;
 * the simulator grows its heap on demand). Returns [chunks, slots (bytes),
 * slot size, free bytes, keys (property names interned at run time, as the
 * instruments' "Keys used"), code (bytes of the chunks: function byte code
 * copied into the heap)]: an array, so that no property name is interned.
 *
 * Code: a function expression evaluated at run time in a module the
 * manifest's preload list names gets a copy of its byte code in a chunk
 * (XS_CODE_KIND); in modules preloaded through an import, its code stays in
 * flash (XS_CODE_X_KIND). See hosts/moddable/preload.ts.
 */
#include "xsAll.h"
#include "xsmc.h"

/* The chunks that hold function byte code, in bytes (their headers counted, as the chunks' total counts them). */
static txSize codeInHeap(txMachine *machine)
{
	txSize total = 0;
	txSlot *block = machine->firstHeap;
	while (block) {
		txSlot *slot = block + 1;
		txSlot *limit = block->value.reference;
		for (; slot < limit; slot++) {
			if ((slot->kind == XS_CODE_KIND) && slot->value.code.address)
				total += ((txChunk *)(slot->value.code.address - sizeof(txChunk)))->size;
		}
		block = block->next;
	}
	return total;
}

void xs_portier_heap(xsMachine *the)
{
	txMachine *machine = (txMachine *)the;
	xsCollectGarbage();
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 6);
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
	xsmcSetInteger(xsVar(0), (xsIntegerValue)codeInHeap(machine));
	xsmcSetIndex(xsResult, 5, xsVar(0));
}
