// Per-source and shared budgets for new requests from untrusted addresses.
import { equal } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { SourceLimit } from "../../modules/sip/source-limit.js";

function taken(limit: SourceLimit, address: string, count: number): number {
	let n = 0;
	for (let i = 0; i < count; i++) {
		if (limit.take(address))
			n++;
	}
	return n;
}

describe("source limit", () => {
	it("one address gets its burst, then its rate; another address is not starved", () => {
		const clock = new ManualClock();
		const limit = new SourceLimit({ clock, rate: 10, burst: 20, totalRate: 1000, totalBurst: 1000 });
		equal(taken(limit, "10.0.0.1", 500), 20);
		clock.advance(1000);
		equal(taken(limit, "10.0.0.1", 500), 10);
		equal(taken(limit, "10.0.0.2", 5), 5, "the quiet address still gets through");
		clock.advance(100);
		equal(taken(limit, "10.0.0.1", 5), 1);
	});

	it("the shared budget caps many addresses together, and a refused address keeps its token", () => {
		const clock = new ManualClock();
		const limit = new SourceLimit({ clock, rate: 10, burst: 20, totalRate: 50, totalBurst: 100 });
		let n = 0;
		for (let a = 0; a < 50; a++)
			n += taken(limit, "10.1.0." + a, 20);
		equal(n, 100);
		clock.advance(1000);
		equal(taken(limit, "10.9.9.9", 100), 20, "refilled 50, but one address still gets at most its burst");
	});

	it("tracks at most `sources` addresses", () => {
		const clock = new ManualClock();
		const limit = new SourceLimit({ clock, sources: 16 });
		for (let a = 0; a < 10000; a++)
			limit.take("10." + (a >> 16) + "." + ((a >> 8) & 255) + "." + (a & 255));
		equal(limit.size, 16);
	});
});
