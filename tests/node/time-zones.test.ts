// The page's list of common zones (modules/time/zones.ts) against the IANA
// database that Node's Intl carries: every hour of 2025-2028, tz.ts with the
// listed POSIX string gives the same UTC offset as the named zone. A wrong
// string in the list (or a wrong rule in tz.ts) fails here.
import assert from "node:assert/strict";
import { offsetAt, parseTz } from "../../modules/time/tz.js";
import { ZONES } from "../../modules/time/zones.js";

/** Minutes east of UTC of an IANA zone at an instant, from Intl's "GMT+05:30" style name. */
function intlOffset(format: Intl.DateTimeFormat, t: number): number {
	const name = format.formatToParts(new Date(t)).find((p) => p.type === "timeZoneName")!.value;
	const m = /^GMT(?:([+-])(\d{1,2})(?::(\d\d))?)?$/.exec(name);
	assert.ok(m, name);
	return m[1] ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}

describe("the common zones agree with the IANA database (Intl)", () => {
	for (const [label, tz] of ZONES) {
		const iana = label === "UTC" ? "UTC" : label.split(",")[0].trim();
		it(`${iana}: ${tz}`, () => {
			const zone = parseTz(tz)!;
			const format = new Intl.DateTimeFormat("en-US", { timeZone: iana, timeZoneName: "longOffset" });
			const wrong: string[] = [];
			for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2029, 0, 1) && wrong.length < 3; t += 3600 * 1000) {
				const ours = offsetAt(zone, t).offset / 60;
				const theirs = intlOffset(format, t);
				if (ours !== theirs)
					wrong.push(`${new Date(t).toISOString()}: ${ours} min, IANA ${theirs} min`);
			}
			assert.deepEqual(wrong, []);
		});
	}
});
