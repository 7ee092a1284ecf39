// POSIX TZ strings (modules/time/tz.ts): what is accepted and refused, and
// UTC <-> local across both daylight-saving changes of European, US and
// southern-hemisphere zones (the instants checked against the IANA database
// through Node's Intl in tests/node/time-zones.test.ts).
import { deepEqual, equal, ok } from "../lib/assert.js";
import { formatLocal, fromLocal, offsetAt, parseTz, toLocal } from "../../modules/time/tz.js";
import { ZONES } from "../../modules/time/zones.js";

const CET = parseTz("CET-1CEST,M3.5.0,M10.5.0/3")!;
const US = parseTz("EST5EDT,M3.2.0,M11.1.0")!;
const SYDNEY = parseTz("AEST-10AEDT,M10.1.0,M4.1.0/3")!;

function at(zone: NonNullable<ReturnType<typeof parseTz>>, iso: string): string {
	const t = toLocal(zone, Date.parse(iso));
	return formatLocal(t) + " " + t.name;
}

describe("POSIX TZ strings", () => {
	it("parses the forms: names, <quoted> names, offsets west with minutes, Mm.w.d, Jn, n and rule times", () => {
		deepEqual(parseTz("UTC0"), { text: "UTC0", std: "UTC", stdOffset: 0 });
		equal(parseTz("<+03>-3")!.stdOffset, 3 * 3600);
		equal(parseTz("<+03>-3")!.std, "+03");
		equal(parseTz("IST-5:30")!.stdOffset, 5.5 * 3600);
		equal(parseTz("NST3:30NDT,M3.2.0,M11.1.0")!.stdOffset, -3.5 * 3600);
		const cet = CET.dst!;
		deepEqual([cet.name, cet.offset, cet.start.month, cet.start.week, cet.start.weekday, cet.start.time, cet.end.time], ["CEST", 7200, 3, 5, 0, 7200, 10800]);
		const j = parseTz("XXX3YYY,J60/1:30,300/-1")!.dst!;
		deepEqual([j.start.kind, j.start.day, j.start.time, j.end.kind, j.end.day, j.end.time], ["J", 60, 5400, "n", 300, -3600]);
		equal(parseTz("<-04>4<-03>,M9.1.6/24,M4.1.6/24")!.dst!.start.time, 24 * 3600, "hours past 24 (RFC 8536 §3.3.1)");
		equal(parseTz("AAA3BBB2,M3.2.0,M11.1.0")!.dst!.offset, -2 * 3600, "an explicit daylight offset");
	});

	it("refuses what is not one (and daylight time without rules: no guessing)", () => {
		for (const bad of ["", "CET", "CE-1", "CET-25", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
			"CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J100", "CET-1CEST,366,5", "CET-1CEST,M3.5.0/168,M10.5.0", "<+3>-3", "<+03-3", "CET-1:60",
			"Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3 ", "x".repeat(65)])
			equal(parseTz(bad), undefined, bad);
	});

	it("Europe: CET to CEST on the last Sunday of March at 02:00, back on the last Sunday of October at 03:00", () => {
		equal(at(CET, "2026-03-29T00:59:59Z"), "2026-03-29 01:59:59 CET");
		equal(at(CET, "2026-03-29T01:00:00Z"), "2026-03-29 03:00:00 CEST");
		equal(at(CET, "2026-10-25T00:59:59Z"), "2026-10-25 02:59:59 CEST");
		equal(at(CET, "2026-10-25T01:00:00Z"), "2026-10-25 02:00:00 CET");
		equal(at(CET, "2027-03-28T01:00:00Z"), "2027-03-28 03:00:00 CEST", "the next year's last Sunday");
		equal(offsetAt(CET, Date.parse("2026-07-01T12:00:00Z")).offset, 7200);
	});

	it("US: EST to EDT on the second Sunday of March, back on the first Sunday of November", () => {
		equal(at(US, "2026-03-08T06:59:59Z"), "2026-03-08 01:59:59 EST");
		equal(at(US, "2026-03-08T07:00:00Z"), "2026-03-08 03:00:00 EDT");
		equal(at(US, "2026-11-01T05:59:59Z"), "2026-11-01 01:59:59 EDT");
		equal(at(US, "2026-11-01T06:00:00Z"), "2026-11-01 01:00:00 EST");
	});

	it("southern hemisphere: Sydney's summer spans the new year (ends first Sunday of April 03:00, starts first Sunday of October 02:00)", () => {
		equal(at(SYDNEY, "2026-01-01T00:00:00Z"), "2026-01-01 11:00:00 AEDT");
		equal(at(SYDNEY, "2025-12-31T13:30:00Z"), "2026-01-01 00:30:00 AEDT", "the first minutes of the year");
		equal(at(SYDNEY, "2026-04-04T15:59:59Z"), "2026-04-05 02:59:59 AEDT");
		equal(at(SYDNEY, "2026-04-04T16:00:00Z"), "2026-04-05 02:00:00 AEST");
		equal(at(SYDNEY, "2026-10-03T15:59:59Z"), "2026-10-04 01:59:59 AEST");
		equal(at(SYDNEY, "2026-10-03T16:00:00Z"), "2026-10-04 03:00:00 AEDT");
	});

	it("Jn and n rules count days as POSIX says (29 February: never for Jn, always for n)", () => {
		const jn = parseTz("AAA0BBB,J60/0,J300/0")!;	// J60 is 1 March in every year
		equal(at(jn, "2028-03-01T00:00:00Z"), "2028-03-01 01:00:00 BBB", "leap year: J60 is still 1 March");
		equal(at(jn, "2028-02-29T23:59:59Z"), "2028-02-29 23:59:59 AAA");
		const n = parseTz("AAA0BBB,59/0,300/0")!;	// day 59 counted from 0: 1 March, or 29 February in a leap year
		equal(at(n, "2028-02-29T00:00:00Z"), "2028-02-29 01:00:00 BBB");
		equal(at(n, "2027-02-28T23:59:59Z"), "2027-02-28 23:59:59 AAA");
		equal(at(n, "2027-03-01T00:00:00Z"), "2027-03-01 01:00:00 BBB");
	});

	it("local to UTC: the hour skipped in spring lands after the change; the repeated hour in autumn is the first", () => {
		equal(new Date(fromLocal(CET, 2026, 1, 15, 12, 0)).toISOString(), "2026-01-15T11:00:00.000Z");
		equal(new Date(fromLocal(CET, 2026, 7, 15, 12, 0)).toISOString(), "2026-07-15T10:00:00.000Z");
		equal(new Date(fromLocal(CET, 2026, 3, 29, 2, 30)).toISOString(), "2026-03-29T01:30:00.000Z", "02:30 does not exist: 03:30 CEST");
		equal(new Date(fromLocal(CET, 2026, 10, 25, 2, 30)).toISOString(), "2026-10-25T00:30:00.000Z", "02:30 twice: the CEST one");
		equal(new Date(fromLocal(SYDNEY, 2026, 4, 5, 2, 30)).toISOString(), "2026-04-04T15:30:00.000Z");
		equal(new Date(fromLocal(US, 2026, 11, 1, 1, 30)).toISOString(), "2026-11-01T05:30:00.000Z");
		// round trip every 37 minutes through a year: local -> UTC -> local is the identity outside the repeated hour
		for (let t = Date.parse("2026-01-01T00:00:00Z"); t < Date.parse("2027-01-01T00:00:00Z"); t += 37 * 60000) {
			const l = toLocal(US, t);
			const back = fromLocal(US, l.year, l.month, l.day, l.hour, l.minute, l.second);
			ok(back === t || (l.month === 11 && l.hour === 1), "round trip " + new Date(t).toISOString());
		}
	});

	it("every zone the page offers is a valid TZ string", () => {
		ok(ZONES.length >= 20);
		for (const [name, tz] of ZONES)
			ok(parseTz(tz) !== undefined, name + ": " + tz);
		ok(Object.isFrozen(ZONES) && Object.isFrozen(ZONES[0]), "a frozen table (preloaded into flash)");
	});
});
