/*
 * Time zones as POSIX TZ strings (POSIX.1-2017 XBD §8.3, "TZ"; the same form
 * ends every TZif file, RFC 8536 §3.3), which is what a panel without a zone
 * database can carry: `CET-1CEST,M3.5.0,M10.5.0/3`, `EST5EDT,M3.2.0,M11.1.0`,
 * `<+03>-3`, `AEST-10AEDT,M10.1.0,M4.1.0/3`.
 *
 *   std offset [dst [offset] [,start[/time],end[/time]]]
 *
 * A name is 3 or more letters, or <...> of letters, digits, + and -. An
 * offset is [+-]hh[:mm[:ss]] WEST of Greenwich (CET-1 is UTC+1), hh 0-24.
 * The dst offset defaults to one hour ahead of standard time. Rules: Jn (day
 * 1-365, 29 February never counted), n (day 0-365, counted), Mm.w.d (day d,
 * 0 Sunday, of week w, 5 the last, of month m). A rule's time is local: the
 * start in standard time, the end in daylight time; by RFC 8536 §3.3.1 it may
 * be -167 to 167 hours (default 02:00).
 *
 * Pure and small: parse once (validation of the setting), then convert UTC
 * to local and back with Date.UTC arithmetic only; no Intl (XS has none).
 * A zone with daylight time but no rules is refused: POSIX leaves those rules
 * to the implementation, and a door panel should not guess.
 */

/** One transition rule: kind "J" (1-365, no leap day), "n" (0-365) or "M" (month, week, weekday). */
export interface TzRule {
	kind: "J" | "n" | "M";
	/** J, n: the day; M: unused (0). */
	day: number;
	month: number;
	week: number;
	weekday: number;
	/** Local time of the change, seconds after midnight (may be negative or past 24 h). */
	time: number;
}

export interface TimeZone {
	/** The text it was parsed from. */
	text: string;
	std: string;
	/** Seconds EAST of UTC (local = UTC + offset): the opposite sign of the TZ text. */
	stdOffset: number;
	dst?: { name: string; offset: number; start: TzRule; end: TzRule };
}

/** What a UTC instant is in a zone. */
export interface LocalTime {
	year: number;
	/** 1-12. */
	month: number;
	day: number;
	/** 0 Sunday - 6 Saturday. */
	weekday: number;
	hour: number;
	minute: number;
	second: number;
	/** Seconds east of UTC in effect. */
	offset: number;
	dst: boolean;
	/** The abbreviation in effect ("CEST"; "+03" for <+03>). */
	name: string;
}

const DAY = 86400;

class Reader {
	i = 0;
	constructor(readonly s: string) {}
	peek(): number {
		return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
	}
	eat(c: string): boolean {
		if (this.s[this.i] === c) {
			this.i++;
			return true;
		}
		return false;
	}
	/** Decimal digits (at most `max` of them); -1 when there are none. */
	number(max: number): number {
		let n = 0, count = 0;
		for (let c = this.peek(); c >= 48 && c <= 57 && count < max; c = this.peek()) {
			n = n * 10 + c - 48;
			count++;
			this.i++;
		}
		return count ? n : -1;
	}
}

function isLetter(c: number): boolean {
	return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** A zone abbreviation: 3+ letters, or <3+ of letters, digits, + ->. */
function readName(r: Reader): string | undefined {
	const from = r.i;
	if (r.eat("<")) {
		for (let c = r.peek(); isLetter(c) || (c >= 48 && c <= 57) || c === 43 || c === 45; c = r.peek())
			r.i++;
		const name = r.s.slice(from + 1, r.i);
		return r.eat(">") && name.length >= 3 ? name : undefined;
	}
	while (isLetter(r.peek()))
		r.i++;
	return r.i - from >= 3 ? r.s.slice(from, r.i) : undefined;
}

/** [+-]h[h][:mm[:ss]] as seconds, hours up to maxHours; undefined when malformed. */
function readTime(r: Reader, maxHours: number): number | undefined {
	const sign = r.eat("-") ? -1 : (r.eat("+"), 1);
	const h = r.number(3);
	if (h < 0 || h > maxHours)
		return undefined;
	let seconds = h * 3600;
	if (r.eat(":")) {
		const m = r.number(2);
		if (m < 0 || m > 59)
			return undefined;
		seconds += m * 60;
		if (r.eat(":")) {
			const s = r.number(2);
			if (s < 0 || s > 59)
				return undefined;
			seconds += s;
		}
	}
	return sign * seconds;
}

function readRule(r: Reader): TzRule | undefined {
	const rule: TzRule = { kind: "n", day: 0, month: 0, week: 0, weekday: 0, time: 7200 };
	if (r.eat("M")) {
		rule.kind = "M";
		rule.month = r.number(2);
		if (rule.month < 1 || rule.month > 12 || !r.eat("."))
			return undefined;
		rule.week = r.number(1);
		if (rule.week < 1 || rule.week > 5 || !r.eat("."))
			return undefined;
		rule.weekday = r.number(1);
		if (rule.weekday < 0 || rule.weekday > 6)
			return undefined;
	}
	else if (r.eat("J")) {
		rule.kind = "J";
		rule.day = r.number(3);
		if (rule.day < 1 || rule.day > 365)
			return undefined;
	}
	else {
		rule.day = r.number(3);
		if (rule.day < 0 || rule.day > 365)
			return undefined;
	}
	if (r.eat("/")) {
		const time = readTime(r, 167);
		if (time === undefined)
			return undefined;
		rule.time = time;
	}
	return rule;
}

/** Parse a POSIX TZ string; undefined when it is not one (the caller says what is allowed). */
export function parseTz(text: string): TimeZone | undefined {
	if (typeof text !== "string" || text.length > 64)
		return undefined;
	const r = new Reader(text);
	const std = readName(r);
	if (std === undefined)
		return undefined;
	const west = readTime(r, 24);
	if (west === undefined)
		return undefined;
	const zone: TimeZone = { text, std, stdOffset: -west || 0 };
	if (r.i === text.length)
		return zone;
	const name = readName(r);
	if (name === undefined)
		return undefined;
	let offset = zone.stdOffset + 3600;
	if (r.peek() !== 44 && r.i < text.length) {
		const dstWest = readTime(r, 24);
		if (dstWest === undefined)
			return undefined;
		offset = -dstWest || 0;
	}
	if (!r.eat(","))
		return undefined;	// daylight time without rules: refused (see above)
	const start = readRule(r);
	if (!start || !r.eat(","))
		return undefined;
	const end = readRule(r);
	if (!end || r.i !== text.length)
		return undefined;
	zone.dst = { name, offset, start, end };
	return zone;
}

function isLeap(year: number): boolean {
	return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The UTC seconds at which a rule's local wall time falls in `year`, for a zone `offset` seconds east. */
function transition(rule: TzRule, year: number, offset: number): number {
	const jan1 = Date.UTC(year, 0, 1) / 1000;
	let day: number;	// days after 1 January
	if (rule.kind === "J")
		day = rule.day - 1 + (isLeap(year) && rule.day >= 60 ? 1 : 0);
	else if (rule.kind === "n")
		day = rule.day;
	else {
		const first = Date.UTC(year, rule.month - 1, 1);
		const firstWeekday = new Date(first).getUTCDay();
		let date = 1 + ((rule.weekday - firstWeekday + 7) % 7) + (rule.week - 1) * 7;
		const days = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
		while (date > days)
			date -= 7;	// week 5: the last such weekday of the month
		day = (first / 1000 - jan1) / DAY + date - 1;
	}
	return jan1 + day * DAY + rule.time - offset;
}

/** Seconds east of UTC in effect at a UTC instant (ms), and whether it is daylight time. */
export function offsetAt(zone: TimeZone, utc: number): { offset: number; dst: boolean } {
	const dst = zone.dst;
	if (!dst)
		return { offset: zone.stdOffset, dst: false };
	const t = Math.floor(utc / 1000);
	// the year as standard time counts it; a southern zone's summer spans the new year, handled below
	const year = new Date((t + zone.stdOffset) * 1000).getUTCFullYear();
	const start = transition(dst.start, year, zone.stdOffset);	// start time is in standard time
	const end = transition(dst.end, year, dst.offset);	// end time is in daylight time
	const inDst = start < end ? t >= start && t < end : t >= start || t < end;
	return { offset: inDst ? dst.offset : zone.stdOffset, dst: inDst };
}

/** A UTC instant (ms since 1970) as local time in the zone. */
export function toLocal(zone: TimeZone, utc: number): LocalTime {
	const { offset, dst } = offsetAt(zone, utc);
	const d = new Date(utc + offset * 1000);
	return {
		year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay(),
		hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
		offset, dst, name: dst ? zone.dst!.name : zone.std,
	};
}

/**
 * Local wall time (year, month 1-12, day, hour, minute, second) to UTC ms.
 * A time that occurs twice (the hour the clocks go back) is the first one,
 * in daylight time; a time that does not occur (the hour skipped in spring)
 * is taken with the offset in effect before the change, so it lands just
 * after it, as a clock that was not changed would show it.
 */
export function fromLocal(zone: TimeZone, year: number, month: number, day: number, hour: number, minute: number, second = 0): number {
	const wall = Date.UTC(year, month - 1, day, hour, minute, second);
	const dst = zone.dst;
	if (!dst)
		return wall - zone.stdOffset * 1000;
	const asDst = wall - dst.offset * 1000;
	if (offsetAt(zone, asDst).dst)
		return asDst;
	const asStd = wall - zone.stdOffset * 1000;
	if (!offsetAt(zone, asStd).dst)
		return asStd;
	// in neither: the skipped hour
	return asStd;
}

function two(n: number): string {
	return n < 10 ? "0" + n : String(n);
}

/** "2026-12-02 14:30:05": a log line's or the status page's local time. */
export function formatLocal(t: LocalTime): string {
	return t.year + "-" + two(t.month) + "-" + two(t.day) + " " + two(t.hour) + ":" + two(t.minute) + ":" + two(t.second);
}
