// The status page's recent log stays bounded: the last 20 lines, each cut at
// 160 characters.
import { deepEqual, equal } from "../lib/assert.js";
import { RecentLog } from "../../modules/events/recent-log.js";

describe("recent log", () => {
	it("keeps the last lines, oldest first, and hands out a copy", () => {
		const log = new RecentLog({ limit: 3 });
		for (let i = 1; i <= 5; i++)
			log.add("line " + i);
		deepEqual(log.lines(), ["line 3", "line 4", "line 5"]);
		log.lines().push("not kept");
		equal(log.lines().length, 3);
	});

	it("holds 20 lines of at most 160 characters by default", () => {
		const log = new RecentLog();
		for (let i = 0; i < 25; i++)
			log.add(String(i).padStart(3, "0") + " " + "x".repeat(i * 10));
		const lines = log.lines();
		equal(lines.length, 20);
		equal(lines[0].slice(0, 3), "005");
		equal(lines[19].length, 160);
		equal(lines[19].slice(-1), "…");
		equal(lines[10].length, 4 + 150);
	});
});

describe("recent log: door and call events stay visible", () => {
	it("a burst of other lines does not push the last events off", () => {
		const log = new RecentLog({ limit: 5, events: 2 });
		log.add("door 1 opened by dtmf", true);
		log.add("call incoming ended", true);
		for (let i = 0; i < 50; i++)
			log.add("refused " + i);
		deepEqual(log.lines(), ["door 1 opened by dtmf", "call incoming ended", "refused 47", "refused 48", "refused 49"]);
	});

	it("beyond their share the oldest event goes", () => {
		const log = new RecentLog({ limit: 4, events: 2 });
		for (let i = 0; i < 5; i++)
			log.add("event " + i, true);
		log.add("other");
		deepEqual(log.lines(), ["event 2", "event 3", "event 4", "other"], "over their share, events go oldest first");
	});
});

describe("recent log: held as one text", () => {
	it("the first, a middle and the last line go as the rules say; a newline in a line stays one line", () => {
		const log = new RecentLog({ limit: 3, events: 2 });
		log.add("a\nb");
		log.add("event 1", true);
		log.add("c");
		deepEqual(log.lines(), ["a b", "event 1", "c"]);
		log.add("event 2", true);
		deepEqual(log.lines(), ["event 1", "c", "event 2"], "the oldest ordinary line, the first");
		log.add("d");
		deepEqual(log.lines(), ["event 1", "event 2", "d"], "the oldest ordinary line, in the middle");
		log.add("event 3", true);
		deepEqual(log.lines(), ["event 2", "d", "event 3"], "events over their share: the oldest event");
		const full = new RecentLog({ limit: 2, events: 2 });
		full.add("event 1", true);
		full.add("event 2", true);
		full.add("x");
		deepEqual(full.lines(), ["event 1", "event 2"], "the only ordinary line, the last");
		const one = new RecentLog({ limit: 1 });
		one.add("x");
		one.add("y");
		deepEqual(one.lines(), ["y"]);
		deepEqual(new RecentLog().lines(), []);
	});

	it("a run of door events and refusals keeps the same lines as before, for the whole 20-line log", () => {
		const log = new RecentLog();
		const expected: Array<{ line: string; event: boolean }> = [];
		for (let i = 0; i < 200; i++) {
			const event = i % 7 === 0 || i % 11 === 0;
			const line = (event ? "door " : "refused ") + i;
			log.add(line, event);
			// the rule, on a plain list
			expected.push({ line, event });
			if (expected.length > 20) {
				const events = expected.filter((x) => x.event).length;
				const at = expected.findIndex((x) => x.event === events > 8);
				expected.splice(at >= 0 ? at : 0, 1);
			}
			deepEqual(log.lines(), expected.map((x) => x.line), "after line " + i);
		}
	});
});
