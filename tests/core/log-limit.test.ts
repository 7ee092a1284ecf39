// Lines an attacker can cause are written once and then counted, so a flood
// costs a few lines and the log stays bounded.
import { deepEqual, equal } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { LogLimit } from "../../modules/events/log-limit.js";

function setup(max?: number) {
	const clock = new ManualClock();
	const lines: string[] = [];
	const limit = new LogLimit({ clock, log: (l) => lines.push(l), interval: 10000, max });
	return { clock, lines, limit };
}

describe("log limit", () => {
	it("writes the first line of a kind at once and counts the repeats", () => {
		const { clock, lines, limit } = setup();
		for (let i = 0; i < 500; i++)
			limit.note("refused 10.0.0.9", "sip: INVITE from 10.0.0.9 refused (403)");
		deepEqual(lines, ["sip: INVITE from 10.0.0.9 refused (403)"]);
		clock.advance(9999);
		equal(lines.length, 1);
		clock.advance(1);
		deepEqual(lines, ["sip: INVITE from 10.0.0.9 refused (403)", "sip: INVITE from 10.0.0.9 refused (403) (499 more in 10 s)"]);
		equal(limit.size, 0);
		equal(clock.pending, 0);
		// the next one is written at once again
		limit.note("refused 10.0.0.9", "again");
		equal(lines[2], "again");
	});

	it("writes nothing more when a kind was not repeated", () => {
		const { clock, lines, limit } = setup();
		limit.note("a", "one");
		clock.advance(10000);
		deepEqual(lines, ["one"]);
	});

	it("counts at most max kinds; the rest share one count", () => {
		const { clock, lines, limit } = setup(4);
		for (let i = 0; i < 1000; i++)
			limit.note("source " + i, "from " + i);
		equal(limit.size, 5);
		equal(clock.pending, 5);
		equal(lines.length, 5);
		equal(lines[4], "(more of other kinds) from 4");
		clock.advance(10000);
		equal(lines[5], "(more of other kinds) from 999 (995 more in 10 s)");
		equal(limit.size, 0);
	});

	it("survives a log sink that throws", () => {
		const clock = new ManualClock();
		const limit = new LogLimit({ clock, log: () => { throw new Error("full"); } });
		limit.note("a", "x");
		limit.note("a", "x");
		clock.advance(60000);
		equal(limit.size, 0);
	});
});
