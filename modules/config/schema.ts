/*
 * One typed schema for every setting of the station (SPEC §1-3, §5): each
 * field's default, range or allowed values, and whether it is a secret. The
 * same table gives the factory defaults, validates every change (the error
 * names the field and what is allowed) and is sent to the configuration page,
 * which builds its forms from it. Constant tables, frozen: preload-safe.
 *
 * Patterns are strings, not RegExp objects, so the tables can be frozen into
 * flash and sent to the page as JSON.
 */
import { ZONES } from "../time/zones.js";

export type SchemaNode = IntNode | BoolNode | ChoiceNode | TextNode | ListNode | ObjectNode;

interface Common {
	label: string;
	/** A sentence for the page. */
	help?: string;
	/** Applies only after a restart (the page says so when it is saved). */
	restart?: boolean;
}

export interface IntNode extends Common {
	kind: "int";
	min: number;
	max: number;
	def: number;
	/** What the range means, e.g. "seconds (0: no limit)". */
	unit?: string;
}

export interface BoolNode extends Common {
	kind: "bool";
	def: boolean;
}

export interface ChoiceNode extends Common {
	kind: "choice";
	values: readonly (string | number)[];
	def: string | number;
	/** The values the page offers (when not all: e.g. no video on an audio-only station); the others stay valid. */
	offer?: readonly (string | number)[];
}

export interface TextNode extends Common {
	kind: "text";
	def: string;
	max: number;
	/** An anchored pattern the value must match (the empty value is checked too). */
	pattern?: string;
	/** What is allowed, in words (the error message). */
	allowed: string;
	/** Write-only: never sent back; an update with null keeps the stored value. */
	secret?: boolean;
	/** Shown as a text area (certificates). */
	multiline?: boolean;
	/** A list of numbers or addresses (each checked by `dialable`). */
	dialable?: boolean;
	/** PEM certificates (checked by decoding them, not by a pattern). */
	pem?: boolean;
	/** A POSIX TZ string (checked by parsing it: time/tz.ts). */
	tz?: boolean;
	/** Common values the page offers beside free entry: [label, value] (time zones). */
	suggest?: ReadonlyArray<readonly [string, string]>;
}

export interface ListNode extends Common {
	kind: "list";
	of: SchemaNode;
	min: number;
	max: number;
	def: readonly unknown[];
	allowed: string;
	/** The field that identifies an item (its secrets follow it when the list is sent back). */
	key?: string;
}

export interface ObjectNode extends Common {
	kind: "object";
	fields: Readonly<Record<string, SchemaNode>>;
}

/* ---------- builders (used only to write the tables below) ---------- */

function int(label: string, min: number, max: number, def: number, unit?: string, help?: string): IntNode {
	return Object.freeze({ kind: "int", label, min, max, def, unit, help });
}

function bool(label: string, def: boolean, help?: string): BoolNode {
	return Object.freeze({ kind: "bool", label, def, help });
}

function choice(label: string, values: readonly (string | number)[], def: string | number, help?: string): ChoiceNode {
	return Object.freeze({ kind: "choice", label, values: Object.freeze(values.slice()), def, help });
}

function text(label: string, o: { def?: string; max: number; pattern?: string; allowed: string; secret?: boolean; multiline?: boolean; dialable?: boolean; pem?: boolean; tz?: boolean; suggest?: ReadonlyArray<readonly [string, string]>; help?: string }): TextNode {
	return Object.freeze({ kind: "text", label, def: o.def ?? "", max: o.max, pattern: o.pattern, allowed: o.allowed, secret: o.secret, multiline: o.multiline, dialable: o.dialable, pem: o.pem, tz: o.tz, suggest: o.suggest, help: o.help });
}

function list(label: string, of: SchemaNode, min: number, max: number, def: readonly unknown[], allowed: string, help?: string, key?: string): ListNode {
	return Object.freeze({ kind: "list", label, of, min, max, def: Object.freeze(def.slice()), allowed, help, key });
}

function object(label: string, fields: Record<string, SchemaNode>, help?: string): ObjectNode {
	return Object.freeze({ kind: "object", label, fields: Object.freeze(fields), help });
}

/** The same node, marked as applying only after a restart. */
function afterRestart<T extends SchemaNode>(node: T): T {
	return Object.freeze({ ...node, restart: true }) as unknown as T;
}

/** The same choice, offering the page only some of its values. */
function offering(node: ChoiceNode, offer: readonly (string | number)[]): ChoiceNode {
	return Object.freeze({ ...node, offer: Object.freeze(offer.slice()) });
}

/* ---------- shared field shapes ---------- */

const HOST = "^[A-Za-z0-9.:\\[\\]_-]*$";
/** A dotted IPv4 address (each part 0-255, no leading zeros), unanchored. */
const IPV4 = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}";

function ipv4(label: string, def = "", help?: string): TextNode {
	return text(label, { max: 15, def, pattern: "^(|" + IPV4 + ")$", allowed: "empty, or an IPv4 address such as 192.168.1.20", help });
}
const HOST_ALLOWED = "an IP address or a domain name (up to 253 characters), or empty";

function number(label: string): TextNode {
	return text(label, { max: 128, allowed: "a SIP number, a SIP URI or an IP address (1-128 characters)", dialable: true });
}

function actionUrl(label: string, placeholders: string): TextNode {
	return text(label, { max: 240, pattern: "^(|https?://[^\\s]+)$", allowed: "empty, or an http:// or https:// URL", help: "Placeholders: " + placeholders });
}

function autoAnswer(label: string, enabled: boolean): ObjectNode {
	return object(label, {
		enabled: bool("Auto answer", enabled),
		delay: int("Delay", 0, 60, 0, "seconds"),
		// the station has no camera: the page offers audio only
		mode: offering(choice("Mode", ["audio", "video"], "audio"), ["audio"]),
	});
}

function dnd(label: string): ObjectNode {
	return object(label, {
		enabled: bool("Do not disturb", false),
		returnCode: choice("Return Code When DND", [480, 486, 603], 486, "The answer to calls while DND is on."),
	});
}

/** Trusted CA certificates for a TLS connection, PEM text (uploaded on the page). */
function caCertificate(): TextNode {
	return text("TLS CA certificate", { max: 8192, pem: true, allowed: "empty, or PEM certificates (up to 8192 characters)", multiline: true });
}

function proxy(label: string): ObjectNode {
	return object(label, {
		server: text("Server", { max: 253, pattern: HOST, allowed: HOST_ALLOWED }),
		port: int("Port", 1, 65535, 5060),
	});
}

function account(id: string, enabled: boolean): ObjectNode {
	return object("Account " + id, {
		enabled: bool("Enabled", enabled),
		label: text("Display Label", { max: 32, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-32 printable characters", help: "Shown on the status page." }),
		displayName: text("Display Name", { max: 64, pattern: "^[^\\x00-\\x1f\"\\\\]*$", allowed: "0-64 characters, no quotes or backslashes" }),
		registerName: text("Register Name", { max: 64, pattern: "^[A-Za-z0-9_.!~*'()&=+$,;?/%-]*$", allowed: "0-64 characters allowed in a SIP user part", help: "The user part of the account's address." }),
		userName: text("User Name", { max: 64, pattern: "^[^\\x00-\\x1f\"\\\\]*$", allowed: "0-64 characters, no quotes or backslashes", help: "The digest user name (empty: the register name)." }),
		password: text("Password", { max: 64, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-64 printable characters", secret: true }),
		server: text("Server IP", { max: 253, pattern: HOST, allowed: HOST_ALLOWED }),
		port: int("Port", 1, 65535, 5060),
		transport: choice("Transport", ["UDP", "TCP", "TLS", "DNS-SRV"], "UDP"),
		expires: int("Registration Period", 30, 65535, 1800, "seconds"),
		outboundProxy: proxy("Outbound Proxy"),
		backupProxy: proxy("Backup Outbound Proxy"),
		keepAlive: int("NAT Keep-Alive", 0, 3600, 30, "seconds (0: none)"),
		ca: caCertificate(),
	});
}

/** A relay's name and lock type, by relay number (kept beside the relay list, so that clients that send the list as before stay valid). */
function relayInfo(id: string): ObjectNode {
	return object("Relay " + id, {
		name: text("Name", { max: 32, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-32 printable characters", help: "Shown on the page and in the history (e.g. Front door)." }),
		lock: choice("Lock Type", ["NO", "NC"], "NO", "NO: fail-secure, powered to open (door strike); NC: fail-safe, powered while locked (magnetic lock): the output is on when idle, off to open."),
	});
}

const RELAY = object("Relay", {
	id: int("Relay", 1, 4, 1),
	holdTime: int("Pulse Time (door open)", 1, 60, 3, "seconds"),
	dtmfCode: text("DTMF Code", { max: 8, pattern: "^(|[0-9*#A-D]{4,8})$", allowed: "empty (none), or 4-8 of 0-9 * # A-D", help: "Keyed during a call, it releases the relay. None until the installer chooses one." }),
});

const INPUT = object("Input", {
	id: int("Input", 1, 8, 1),
	kind: choice("Kind", ["call", "exit", "sensor", "tamper"], "call", "call: call button; exit: exit button (releases its relay); sensor: door contact (door-held-open alarm); tamper: tamper switch (alarm)."),
	activeLevel: choice("Active Level", [0, 1], 0),
	debounce: int("Debounce", 0, 2000, 50, "ms"),
	relay: int("Relay", 0, 4, 0, "(0: none)", "The relay an exit button releases."),
	template: text("Schedule Template", { max: 32, allowed: "the name of a schedule template, or empty" }),
});

const WINDOW = object("Window", {
	days: list("Days", int("Day", 0, 6, 1), 1, 7, [1, 2, 3, 4, 5], "days 0 (Sunday) to 6 (Saturday)"),
	start: int("Start", 0, 1439, 480, "minutes after midnight"),
	end: int("End", 0, 1440, 1080, "minutes after midnight"),
});

const TEMPLATE = object("Template", {
	name: text("Name", { max: 32, pattern: "^[^\\x00-\\x1f]+$", allowed: "1-32 characters, unique" }),
	numbers: list("Numbers", number("Number"), 1, 16, [], "1-16 numbers"),
	windows: list("Windows", WINDOW, 0, 8, [], "at most 8 windows"),
});

const PAGING_GROUP = object("Group", {
	address: text("Address", { max: 15, pattern: "^(22[4-9]|23[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$", allowed: "a multicast address 224.0.0.0-239.255.255.255", def: "239.1.1.1" }),
	port: int("Port", 1024, 65535, 5004),
	priority: int("Priority", 1, 10, 1, "(1 highest)"),
});

export const STATION_SCHEMA: ObjectNode = object("Door station", {
	contacts: list("Contacts", number("Number"), 0, 16, [], "a list of at most 16 numbers", "The numbers the call button calls."),
	callMode: choice("Call Mode", ["single", "group", "sequence"], "single"),
	whenRefused: choice("When Refused", ["next", "stop"], "next"),
	sequenceTimeout: int("Sequence Call Timeout", 1, 600, 20, "seconds"),
	autoAnswerSip: autoAnswer("Auto Answer (SIP calls)", false),
	autoAnswerIp: autoAnswer("Auto Answer (direct IP calls)", false),
	dnd: object("Do Not Disturb (DND)", { "1": dnd("Account 1"), "2": dnd("Account 2"), ip: dnd("Direct IP calls") }),
	dndOnCode: text("DND On Code", { max: 8, pattern: "^[0-9*#]*$", allowed: "0-8 of 0-9 * #", def: "78" }),
	dndOffCode: text("DND Off Code", { max: 8, pattern: "^[0-9*#]*$", allowed: "0-8 of 0-9 * #", def: "79" }),
	maxCallTime: int("Max Call Time", 0, 14400, 300, "seconds (0: no limit)"),
	dialInTime: int("Dial In Time", 0, 600, 60, "seconds (0: no limit)"),
	dialOutTime: int("Dial Out Time", 0, 600, 60, "seconds (0: no limit)"),
	hangUpAfterOpen: int("Hang Up After Open", -1, 600, -1, "seconds (-1: never)"),
	maxWrongCodes: int("Wrong Codes per Call", 1, 20, 3),
	pushToHangUp: object("Push to Hang Up", { enabled: bool("Enabled", false), holdTime: int("Hold time", 0, 60, 3, "seconds") }),
	relays: list("Relays", RELAY, 1, 4, [{ id: 1, holdTime: 3, dtmfCode: "" }], "1-4 relays"),
	relayNames: object("Relay Names and Lock Types", { "1": relayInfo("1"), "2": relayInfo("2"), "3": relayInfo("3"), "4": relayInfo("4") }),
	doorAlarm: int("Door Held Open Alarm", 0, 3600, 0, "seconds (0: off)", "When a door sensor input stays active (door open) this long, an alarm: history, MQTT event/alarm, the Alarm action URL."),
	dtmfFrom: choice("DTMF Door Release From", ["trusted", "anyone"], "trusted", "trusted: calls through an account's server, from a unit of the built-in server, or from an address on the whitelist. Door codes keyed by anyone else are ignored."),
	preventSipHacking: bool("Prevent SIP Hacking", false, "Accept calls only from the whitelist, and through an account only from its server."),
	whitelist: list("Whitelist", text("Entry", { max: 80, pattern: "^[^\\s@]{1,64}@\\d{1,3}(\\.\\d{1,3}){3}$", allowed: "a number, a user name, an IP address, user@IP or a network such as 192.168.1.0/24", dialable: true }), 0, 100, [], "at most 100 numbers, user names, IP addresses or networks", "The allowed callers: direct IP calls from these addresses are trusted (auto-answer, door codes); 0.0.0.0/0 trusts every address."),
	inputs: list("Inputs", INPUT, 0, 8, [
		{ id: 1, kind: "call", activeLevel: 0, debounce: 50, relay: 0, template: "" },
		{ id: 2, kind: "exit", activeLevel: 0, debounce: 50, relay: 1, template: "" },
		{ id: 3, kind: "sensor", activeLevel: 1, debounce: 200, relay: 0, template: "" },
	], "at most 8 inputs"),
	schedules: list("Call Schedules", TEMPLATE, 0, 10, [], "at most 10 templates"),
	scheduleFallback: choice("Before the Clock Is Set", ["contacts", "template", "outside"], "contacts", "Schedules run on local time. Until the time is known (a panel after power-on, before SNTP answers), a scheduled input calls: contacts, the contacts as without a template; template, the template's numbers; outside, the first contact, as outside every window."),
	pushButton: object("Push Button Action", {
		httpUrl: text("HTTP URL", { max: 240, pattern: "^(|https?://[^\\s]+)$", allowed: "empty, or an http:// or https:// URL" }),
		relay: int("Relay", 0, 4, 0, "(0: none)"),
		reset: choice("Relay reset", ["hangup", "connected"], "hangup"),
	}),
});

export const DEVICE_SCHEMA: ObjectNode = object("portier", {
	accounts: object("Accounts", { "1": account("1", false), "2": account("2", false) }),
	sip: object("SIP", {
		port: afterRestart(int("Direct IP Port", 1, 65535, 5060)),
		sessionTimer: object("Session Timer", {
			enabled: bool("Active", false),
			expires: int("Session Expire", 90, 7200, 1800, "seconds"),
			refresher: choice("Session Refresher", ["uac", "uas"], "uac"),
		}),
	}),
	station: STATION_SCHEMA,
	mqtt: object("MQTT", {
		enabled: bool("Enabled", false),
		host: text("Broker", { max: 253, pattern: HOST, allowed: HOST_ALLOWED }),
		port: int("Port", 1, 65535, 1883),
		tls: bool("TLS", false),
		user: text("User name", { max: 64, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-64 printable characters" }),
		password: text("Password", { max: 64, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-64 printable characters", secret: true }),
		clientId: text("Client id", { max: 64, pattern: "^[A-Za-z0-9_-]+$", allowed: "1-64 of A-Z a-z 0-9 _ -", def: "portier" }),
		baseTopic: text("Base topic", { max: 64, pattern: "^[^#+\\s]+$", allowed: "1-64 characters, no spaces, # or +", def: "portier" }),
		keepAlive: int("Keep-alive", 0, 3600, 60, "seconds (0: none)"),
		ca: caCertificate(),
		discovery: bool("Home Assistant discovery", true),
		discoveryPrefix: text("Discovery prefix", { max: 64, pattern: "^[^#+\\s]+$", allowed: "1-64 characters, no spaces, # or +", def: "homeassistant" }),
	}),
	actionUrls: object("Action URLs", {
		ring: actionUrl("Ringing", "{remote}, {direction}"),
		connected: actionUrl("Call connected", "{remote}, {direction}, {account}"),
		ended: actionUrl("Call ended", "{remote}, {direction}, {reason}"),
		doorOpened: actionUrl("Door opened", "{relay}, {by}"),
		input: actionUrl("Input changed", "{input}, {state}"),
		registration: actionUrl("Registration changed", "{account}, {state}"),
		alarm: actionUrl("Alarm", "{alarm} (door-held-open, tamper), {input}, {state} (on, off)"),
	}, "An HTTP GET to the URL when it happens; placeholders are replaced."),
	server: object("Built-in SIP server", {
		enabled: bool("Enabled", false, "Indoor units and phones register to the station itself."),
		realm: text("Realm", { max: 64, pattern: "^[A-Za-z0-9.-]+$", allowed: "1-64 of A-Z a-z 0-9 . -", def: "portier" }),
		limit: int("Subscriber places", 1, 50, 8, "(concurrent registrations)"),
		algorithm: choice("Digest algorithm", ["MD5", "SHA-256"], "MD5", "SHA-256 (RFC 8760) where every unit supports it."),
		expires: int("Expire seconds", 60, 3600, 360, "seconds"),
		prefix: text("Extension prefix", { max: 1, pattern: "^[1-9]?$", allowed: "empty, or one digit 1-9", help: "The station is extension 0 and units 1-50; with a prefix 8 the station is 8000 and units 8001-8050." }),
		managed: bool("Managed mode", true, "Only the subscribers below may join (with their MAC address when one is set)."),
		joinPassword: text("Join password", { max: 64, pattern: "^(|[^\\x00-\\x1f]{8,64})$", allowed: "empty, or 8-64 printable characters", secret: true, help: "Unmanaged mode: any other device joins with this password and is given the next free extension." }),
		ringMode: choice("Ring mode", ["all", "extensions", "host"], "all", "A call to the station's registered number rings the station and the units (all), the units only (extensions), or the station only (host)."),
		button: choice("Call button rings", ["both", "units", "contacts"], "both", "The registered units, the contacts, or both at once; the first to answer wins."),
		fallback: int("PBX outage fallback", 0, 30, 4, "seconds (0: off)", "When the contacts' server does not answer within this time, the call button rings the registered units instead."),
		subscribers: list("Subscribers", object("Subscriber", {
			user: text("User name (extension)", { max: 32, pattern: "^[A-Za-z0-9_.-]+$", allowed: "1-32 of A-Z a-z 0-9 _ . -" }),
			password: text("Password", { max: 64, pattern: "^(|[^\\x00-\\x1f]{8,64})$", allowed: "8-64 printable characters (empty only with an IP address)", secret: true }),
			name: text("Name", { max: 32, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-32 printable characters" }),
			mac: text("MAC address", { max: 17, pattern: "^(|[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{12})$", allowed: "empty, or a MAC address such as 0c:38:3e:3d:af:10" }),
			expires: int("Expire seconds", 0, 3600, 0, "seconds (0: the server's)", "The registration period this subscriber is granted at most."),
			address: text("IP address", { max: 15, pattern: "^(|(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})$", allowed: "empty, or an IPv4 address", help: "Authentication by IP address: from this address no password is asked; from any other the password is (or, without one, the device is refused)." }),
		}), 0, 50, [], "at most 50 subscribers", undefined, "user"),
		groups: list("Groups", object("Group", {
			number: text("Group number", { max: 8, pattern: "^[0-9]{1,8}$", allowed: "1-8 digits, unique, not an extension" }),
			name: text("Name", { max: 32, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-32 printable characters" }),
			members: list("Members", text("Extension", { max: 32, pattern: "^[A-Za-z0-9_.-]+$", allowed: "an extension (1-32 of A-Z a-z 0-9 _ . -)" }), 1, 16, [], "1-16 extensions"),
		}), 0, 8, [], "at most 8 groups", "Dialling a group number rings all its members; the first to answer wins."),
	}),
	audio: object("Audio", {
		volume: int("Speaker Volume", 0, 100, 100, "% (100: as received)"),
		micGain: int("Microphone Gain", 0, 400, 100, "% (100: as picked up)", "Above 100 % the microphone is amplified (loud samples are clipped)."),
		codecs: choice("Codec Preference", ["PCMU,PCMA", "PCMA,PCMU", "PCMU", "PCMA"], "PCMU,PCMA", "The G.711 codecs offered, first preferred: PCMU (\u00b5-law, North America, Japan), PCMA (A-law, Europe)."),
	}),
	syslog: object("Remote syslog", {
		enabled: bool("Enabled", false, "Every log line also goes to the log server (RFC 5424 over UDP)."),
		server: text("Server", { max: 15, pattern: "^(|(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})$", allowed: "an IPv4 address such as 192.168.1.5, or empty" }),
		port: int("Port", 1, 65535, 514),
	}),
	time: object("Time", {
		servers: list("SNTP Servers", text("Server", { max: 259, pattern: "^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$", allowed: "a domain name or an IPv4 address, optionally with :port (1-65535)" }), 0, 3, ["pool.ntp.org"], "at most 3 servers (none: the clock is not set by SNTP)", "Asked in turn until one answers (SNTP, RFC 4330). A panel's clock starts at power-on unset; a PC keeps its own system time."),
		interval: int("Poll Interval", 64, 86400, 3600, "seconds", "How often the time is asked again after a good answer; failures are retried after 16 s, doubling up to this."),
		zone: text("Time Zone", { max: 64, tz: true, suggest: ZONES, def: "UTC0", allowed: "a POSIX TZ string such as CET-1CEST,M3.5.0,M10.5.0/3, EST5EDT,M3.2.0,M11.1.0 or <+03>-3 (up to 64 characters)", help: "Local time for the log, the status page and call schedules, with its daylight-saving rules (POSIX TZ: std offset [dst [offset],start[/time],end[/time]], offsets west of UTC)." }),
	}),
	network: afterRestart(object("Network", {
		name: text("Device Name", { max: 32, def: "portier", pattern: "^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$", allowed: "1-32 of A-Z a-z 0-9 -, not starting or ending with -", help: "The station's name on the network: its page is at http://<name>.local/ (mDNS), and the DHCP server is told it." }),
		announce: bool("Announce (mDNS/DNS-SD)", true, "Answer for <name>.local and announce the page (_http._tcp) and, with the built-in server on, SIP (_sip._udp, _sip._tcp), so an installer or an indoor unit finds the station without its address (RFC 6762, RFC 6763)."),
		addressing: choice("IP Address", ["dhcp", "static"], "dhcp", "DHCP, or the static address below. A wrong static address is undone at the panel: hold the exit button while powering on until the LED blinks (10 s), and DHCP is back."),
		address: ipv4("Static IP Address"),
		mask: ipv4("Subnet Mask", "255.255.255.0"),
		gateway: ipv4("Gateway", "", "Empty: no route beyond the subnet."),
		dns: list("DNS Servers", ipv4("Server"), 0, 2, [], "at most 2 IPv4 addresses", "With a static address, the name servers; with DHCP, empty uses the DHCP server's."),
		wifi: object("Wi-Fi (Wi-Fi panels)", {
			ssid: text("Network Name (SSID)", { max: 32, pattern: "^[^\\x00-\\x1f]*$", allowed: "0-32 printable characters", help: "Empty on a Wi-Fi panel: at start it opens its setup access point (portier-setup-XXXX), whose page is at http://192.168.4.1/." }),
			password: text("Password", { max: 63, pattern: "^(|[^\\x00-\\x1f]{8,63})$", allowed: "empty (an open network), or 8-63 printable characters (WPA2)", secret: true }),
		}),
	})),
	paging: afterRestart(object("Multicast paging", {
		groups: list("Groups", PAGING_GROUP, 0, 10, [], "at most 10 groups"),
		barge: int("Paging barge", 0, 10, 0, "groups that outrank a SIP call (0: none)"),
		priorityActive: bool("Paging priority active", true),
	})),
});

/** The schema's version: raised when a stored configuration needs a migration to be read. */
export const CONFIG_VERSION = 2;
