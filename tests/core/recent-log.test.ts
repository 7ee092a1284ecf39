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
