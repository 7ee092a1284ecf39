/*
 * Common time zones, name -> POSIX TZ string, for the page's list (free entry
 * of any TZ string stays possible). The strings are the last line of each
 * zone's TZif file in the IANA database (tzdata 2025), which is what that
 * zone's rules are today (RFC 8536 §3.3). A frozen constant: preloaded into
 * flash on a panel.
 */
export const ZONES: ReadonlyArray<readonly [string, string]> = Object.freeze([
	Object.freeze(["UTC", "UTC0"] as const),
	Object.freeze(["Europe/London", "GMT0BST,M3.5.0/1,M10.5.0"] as const),
	Object.freeze(["Europe/Dublin", "IST-1GMT0,M10.5.0,M3.5.0/1"] as const),
	Object.freeze(["Europe/Lisbon", "WET0WEST,M3.5.0/1,M10.5.0"] as const),
	Object.freeze(["Europe/Berlin, Paris, Rome, Madrid, Vienna, Zurich", "CET-1CEST,M3.5.0,M10.5.0/3"] as const),
	Object.freeze(["Europe/Helsinki, Athens, Kyiv, Bucharest", "EET-2EEST,M3.5.0/3,M10.5.0/4"] as const),
	Object.freeze(["Europe/Istanbul", "<+03>-3"] as const),
	Object.freeze(["Europe/Moscow", "MSK-3"] as const),
	Object.freeze(["Asia/Dubai", "<+04>-4"] as const),
	Object.freeze(["Asia/Karachi", "PKT-5"] as const),
	Object.freeze(["Asia/Kolkata", "IST-5:30"] as const),
	Object.freeze(["Asia/Bangkok, Jakarta", "<+07>-7"] as const),
	Object.freeze(["Asia/Shanghai", "CST-8"] as const),
	Object.freeze(["Asia/Singapore", "<+08>-8"] as const),
	Object.freeze(["Asia/Tokyo", "JST-9"] as const),
	Object.freeze(["Australia/Perth", "AWST-8"] as const),
	Object.freeze(["Australia/Adelaide", "ACST-9:30ACDT,M10.1.0,M4.1.0/3"] as const),
	Object.freeze(["Australia/Brisbane", "AEST-10"] as const),
	Object.freeze(["Australia/Sydney, Melbourne", "AEST-10AEDT,M10.1.0,M4.1.0/3"] as const),
	Object.freeze(["Pacific/Auckland", "NZST-12NZDT,M9.5.0,M4.1.0/3"] as const),
	Object.freeze(["America/St_Johns", "NST3:30NDT,M3.2.0,M11.1.0"] as const),
	Object.freeze(["America/Halifax", "AST4ADT,M3.2.0,M11.1.0"] as const),
	Object.freeze(["America/New_York", "EST5EDT,M3.2.0,M11.1.0"] as const),
	Object.freeze(["America/Chicago", "CST6CDT,M3.2.0,M11.1.0"] as const),
	Object.freeze(["America/Denver", "MST7MDT,M3.2.0,M11.1.0"] as const),
	Object.freeze(["America/Phoenix", "MST7"] as const),
	Object.freeze(["America/Los_Angeles", "PST8PDT,M3.2.0,M11.1.0"] as const),
	Object.freeze(["America/Anchorage", "AKST9AKDT,M3.2.0,M11.1.0"] as const),
	Object.freeze(["Pacific/Honolulu", "HST10"] as const),
	Object.freeze(["America/Mexico_City", "CST6"] as const),
	Object.freeze(["America/Sao_Paulo", "<-03>3"] as const),
	Object.freeze(["America/Santiago", "<-04>4<-03>,M9.1.6/24,M4.1.6/24"] as const),
	Object.freeze(["Africa/Johannesburg", "SAST-2"] as const),
	Object.freeze(["Africa/Lagos", "WAT-1"] as const),
	Object.freeze(["Africa/Nairobi", "EAT-3"] as const),
	Object.freeze(["Africa/Cairo", "EET-2EEST,M4.5.5/0,M10.5.4/24"] as const),
]);
