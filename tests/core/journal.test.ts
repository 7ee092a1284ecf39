// The history's ring in flash: bounded, written in batches (not once per
// record), read newest first, and a power cut loses at most what was waiting.
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { Journal } from "../../modules/events/journal.js";

/** Preference-shaped storage in memory; counts writes; can be "cut" (a copy of what was written). */
class MemoryStorage {
	values = new Map<string, string | number | boolean | ArrayBuffer>();
	sets = 0;
	get(domain: string, key: string) {
		return this.values.get(domain + "/" + key);
	}
	set(domain: string, key: string, value: string | number | boolean | ArrayBuffer) {
		if (key.length > 15 || (typeof value === "string" && value.length > 4000))
			throw new RangeError("NVS limits: key " + key.length + ", value " + String(value).length);
		this.sets++;
		this.values.set(domain + "/" + key, value);
	}
	delete(domain: string, key: string) {
		this.values.delete(domain + "/" + key);
	}
	/** What survives a power cut now: what was written. */
	copy(): MemoryStorage {
		const m = new MemoryStorage();
		for (const [k, v] of this.values)
			m.values.set(k, v);
		return m;
	}
}

function journal(storage: MemoryStorage, clock: ManualClock) {
	return new Journal({ storage, clock, domain: "hist", pages: 4, perPage: 10, batch: 5, delay: 60000 });
}

describe("journal (history ring in flash)", () => {
	it("writes a page once per batch, not per record, and reads newest first", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		for (let i = 0; i < 4; i++)
			j.add("r" + i);
		equal(storage.sets, 0, "nothing written before the batch is full");
		deepEqual(j.read(0, 10), ["r3", "r2", "r1", "r0"], "unwritten records are read too");
		j.add("r4");
		equal(storage.sets, 0, "a full batch is not written from inside add (a packet is being handled)");
		clock.advance(0);
		equal(storage.sets, 1, "one page write for five records, on the next turn");
		j.add("r5");
		clock.advance(59999);
		equal(storage.sets, 1);
		clock.advance(1);
		equal(storage.sets, 2, "a lone record is written after the delay");
		equal(clock.pending, 0);
	});

	it("is bounded: the oldest page goes; at most capacity records are kept", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		for (let i = 0; i < 100; i++)
			j.add("r" + i);
		j.flush();
		const all = j.read(0, 1000);
		ok(all.length <= j.capacity && all.length >= j.capacity - 10, "kept " + all.length);
		equal(all[0], "r99");
		equal(all[all.length - 1], "r" + (100 - all.length));
		deepEqual(j.read(5, 3), ["r94", "r93", "r92"]);
		ok(storage.sets <= 100 / 5 + 10, "page writes: " + storage.sets);
		let keys = 0;
		for (const k of storage.values.keys())
			keys += k.startsWith("hist/") ? 1 : 0;
		equal(keys, 4, "four keys, whatever was added");
	});

	it("survives a power cut: the written records come back, only the waiting ones are lost; a torn page is skipped", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		for (let i = 0; i < 23; i++) {
			j.add("r" + i);
			clock.advance(0);	// a turn of the event loop between records
		}
		// r0-r19 were written in batches of five; r20-r22 wait
		const after = journal(storage.copy(), new ManualClock());
		deepEqual(after.read(0, 3), ["r19", "r18", "r17"]);
		equal(after.read(0, 100).length, 20);
		// records go on after the restart, in order
		after.add("s0");
		deepEqual(after.read(0, 2), ["s0", "r19"]);
		// a page that does not add up (a slot written by another firmware, a flipped bit) is skipped, the rest stays
		const broken = storage.copy();
		const key = "hist/p0";
		broken.values.set(key, String(broken.values.get(key)).replace("r3", "rX"));
		const survivor = journal(broken, new ManualClock());
		deepEqual(survivor.read(0, 100), ["r19", "r18", "r17", "r16", "r15", "r14", "r13", "r12", "r11", "r10"]);
	});

	it("writes nothing from inside add, a full page included; a turn later both pages are in flash", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		for (let i = 0; i < 13; i++)
			j.add("r" + i);
		equal(storage.sets, 0, "records added in one turn (one packet's events) wait for the next turn");
		deepEqual(j.read(0, 13), ["r12", "r11", "r10", "r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"], "the full page is read from RAM meanwhile");
		clock.advance(0);
		equal(storage.sets, 2, "the full page and the new one");
		const after = journal(storage.copy(), new ManualClock());
		equal(after.read(0, 100).length, 13);
		// more than two pages in one turn: the oldest full one is written, nothing is lost
		for (let i = 13; i < 35; i++)
			j.add("r" + i);
		equal(storage.sets, 3, "only the page that would otherwise be overtaken");
		clock.advance(0);
		deepEqual(journal(storage.copy(), new ManualClock()).read(0, 3), ["r34", "r33", "r32"]);
		equal(journal(storage.copy(), new ManualClock()).read(0, 100).length, 35);
	});

	it("flush writes what waits (before a reboot); newlines and non-ASCII text stay one record", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		j.add("a\nb");
		j.add("Tür");
		j.flush();
		equal(clock.pending, 0);
		const again = journal(storage.copy(), clock);
		deepEqual(again.read(0, 10), ["T\\u00fcr", "a\\u000ab"]);
	});
});

describe("journal: RAM holds only the records waiting for their write", () => {
	it("a written record is read back from flash, never from a copy in RAM", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		for (let i = 0; i < 7; i++) {
			j.add("r" + i);
			clock.advance(0);	// a turn of the event loop between records
		}
		equal(j.waiting, 2, "r5 and r6 wait; r0-r4 are in flash");
		// flash loses the page behind the journal's back: what was written is gone from read() too
		storage.values.delete("hist/p0");
		deepEqual(j.read(0, 10), ["r6", "r5"], "only the waiting records come from RAM");
		j.flush();
		equal(j.waiting, 0);
		storage.values.clear();
		deepEqual(j.read(0, 10), [], "nothing is held once written");
	});

	it("appends each batch to the newest page in flash: one page holds records of several batches, in order", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		for (let i = 0; i < 8; i++) {
			j.add("r" + i);
			clock.advance(0);
		}
		clock.advance(60000);
		equal(storage.sets, 2, "r0-r4 at the batch, r5-r7 after the delay, into the same page");
		ok(String(storage.values.get("hist/p0")).startsWith("0:8:"), String(storage.values.get("hist/p0")));
		deepEqual(j.read(0, 10), ["r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"]);
		for (let i = 8; i < 12; i++) {
			j.add("r" + i);
			clock.advance(0);
		}
		j.flush();
		ok(String(storage.values.get("hist/p0")).startsWith("0:10:"), "the page is full at ten records");
		ok(String(storage.values.get("hist/p1")).startsWith("1:2:"), "the next page has the rest");
		deepEqual(journal(storage.copy(), new ManualClock()).read(0, 20), ["r11", "r10", "r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"]);
	});

	it("a full page waiting for the next turn is read back with the new one, then both come from flash", () => {
		const clock = new ManualClock();
		const storage = new MemoryStorage();
		const j = journal(storage, clock);
		for (let i = 0; i < 8; i++) {
			j.add("r" + i);
			clock.advance(0);
		}
		// r0-r4 in flash, r5-r7 wait; five more in one turn finish page 0 and start page 1
		for (let i = 8; i < 13; i++)
			j.add("r" + i);
		equal(j.waiting, 8);
		storage.values.delete("hist/p0");
		deepEqual(j.read(0, 20), ["r12", "r11", "r10", "r9", "r8", "r7", "r6", "r5"], "page 0's written records come from flash only");
		clock.advance(0);
		equal(j.waiting, 0);
		deepEqual(j.read(0, 20), ["r12", "r11", "r10", "r9", "r8", "r7", "r6", "r5"]);
		ok(String(storage.values.get("hist/p0")).startsWith("0:5:"), String(storage.values.get("hist/p0")));
	});

	it("a storage that refuses writes costs no RAM: the waiting records are dropped and logged", () => {
		const clock = new ManualClock();
		const lines: string[] = [];
		const failing = {
			get: () => undefined,
			set: () => {
				throw new Error("NVS full");
			},
			delete: () => {},
		};
		const j = new Journal({ storage: failing, clock, domain: "hist", pages: 4, perPage: 10, batch: 5, delay: 60000, log: (l) => lines.push(l) });
		for (let i = 0; i < 1000; i++) {
			j.add("r" + i);
			clock.advance(0);
		}
		equal(j.waiting, 0);
		deepEqual(j.read(0, 10), []);
		equal(lines.length, 200);
		ok(lines[0].includes("NVS full"), lines[0]);
	});
});
