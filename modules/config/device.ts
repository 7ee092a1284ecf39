/*
 * The whole configuration of a station (DEVICE_SCHEMA): its type, the checks
 * between fields, and how it maps onto what the user agent and the paging
 * listener take.
 */
import type { MqttSettings } from "../events/mqtt.js";
import type { ActionUrlSettings } from "../events/action-urls.js";
import type { PagingGroup } from "../media/paging.js";
import type { AccountConfig } from "../sip/registration.js";
import type { SessionTimerConfig } from "../sip/ua.js";
import type { StationConfig } from "../station/config.js";
import { validateStationConfig } from "../station/validate.js";
import type { TimeSettings } from "../time/station-time.js";
import { splitServer } from "../time/sntp.js";
import { type NetworkSettings, networkErrors } from "./network.js";
import { DEVICE_SCHEMA } from "./schema.js";
import { type FieldError, defaultsOf, validate } from "./values.js";

export interface AccountSettings {
	enabled: boolean;
	label: string;
	displayName: string;
	registerName: string;
	userName: string;
	password: string;
	server: string;
	port: number;
	transport: "UDP" | "TCP" | "TLS" | "DNS-SRV";
	expires: number;
	outboundProxy: { server: string; port: number };
	backupProxy: { server: string; port: number };
	keepAlive: number;
	ca: string;
}

/** The built-in SIP server (SPEC §4). */
export interface ServerSettings {
	enabled: boolean;
	realm: string;
	limit: number;
	algorithm: "MD5" | "SHA-256";
	expires: number;
	prefix: string;
	managed: boolean;
	joinPassword: string;
	ringMode: "all" | "extensions" | "host";
	button: "both" | "units" | "contacts";
	/** Seconds without an answer from the contacts' server before the units ring (0: off). */
	fallback: number;
	/** expires 0: the server's; address: authentication by IP address (then the password may be empty). */
	subscribers: Array<{ user: string; password: string; name: string; mac: string; expires: number; address: string }>;
	groups: Array<{ number: string; name: string; members: string[] }>;
}

export interface DeviceConfig {
	accounts: { "1": AccountSettings; "2": AccountSettings };
	sip: { port: number; sessionTimer: { enabled: boolean; expires: number; refresher: "uac" | "uas" } };
	station: StationConfig;
	mqtt: MqttSettings;
	actionUrls: ActionUrlSettings;
	server: ServerSettings;
	paging: { groups: PagingGroup[]; barge: number; priorityActive: boolean };
	audio: { volume: number; micGain: number; codecs: "PCMU,PCMA" | "PCMA,PCMU" | "PCMU" | "PCMA" };
	syslog: { enabled: boolean; server: string; port: number };
	time: TimeSettings;
	network: NetworkSettings;
}

export function deviceDefaults(): DeviceConfig {
	return defaultsOf(DEVICE_SCHEMA) as DeviceConfig;
}

/** Every error of a whole configuration: field checks, then the rules between fields. */
export function validateDevice(c: DeviceConfig): FieldError[] {
	const errors: FieldError[] = [];
	validate(DEVICE_SCHEMA, c, "", errors);
	if (errors.length)
		return errors;
	for (const id of ["1", "2"] as const) {
		const a = c.accounts[id];
		if (!a.enabled)
			continue;
		if (!a.server)
			errors.push({ field: `accounts.${id}.server`, message: "needed when the account is enabled: " + "an IP address or a domain name" });
		if (!a.registerName)
			errors.push({ field: `accounts.${id}.registerName`, message: "needed when the account is enabled: 1-64 characters allowed in a SIP user part" });
	}
	const users = c.server.subscribers.map((s) => s.user);
	const host = c.server.prefix ? c.server.prefix + "000" : "0";
	users.forEach((u, i) => {
		if (users.indexOf(u) !== i || u === host)
			errors.push({ field: `server.subscribers[${i}].user`, message: `1-32 of A-Z a-z 0-9 _ . -, each once, not the station's extension ${host}` });
	});
	c.server.subscribers.forEach((s, i) => {
		if (!s.password && !s.address)
			errors.push({ field: `server.subscribers[${i}].password`, message: "8-64 printable characters (empty only with an IP address)" });
		if (s.expires !== 0 && s.expires < 60)
			errors.push({ field: `server.subscribers[${i}].expires`, message: "0 (the server's) or 60-3600 seconds" });
	});
	const groups = c.server.groups.map((g) => g.number);
	groups.forEach((n, i) => {
		if (groups.indexOf(n) !== i || users.indexOf(n) >= 0 || n === host)
			errors.push({ field: `server.groups[${i}].number`, message: `1-8 digits, unique, not an extension or the station's ${host}` });
	});
	c.time.servers.forEach((server, i) => {
		if (!splitServer(server))
			errors.push({ field: `time.servers[${i}]`, message: "a domain name or an IPv4 address, optionally with :port (1-65535)" });
	});
	for (const e of networkErrors(c.network))
		errors.push(e);
	if (c.mqtt.enabled && !c.mqtt.host)
		errors.push({ field: "mqtt.host", message: "needed when MQTT is enabled: an IP address or a domain name" });
	for (const e of validateStationConfig(c.station, "station."))
		errors.push(e);	// not spread: every argument would take a slot of the XS stack
	return errors;
}

/** The user agent's accounts (enabled or not: the status shows both). */
export function accountsOf(c: DeviceConfig): AccountConfig[] {
	return (["1", "2"] as const).map((id) => {
		const a = c.accounts[id];
		return {
			id,
			enabled: a.enabled && a.server !== "" && a.registerName !== "",
			displayName: a.displayName || undefined,
			user: a.registerName,
			authUser: a.userName || undefined,
			password: a.password,
			server: a.server,
			port: a.port,
			transport: a.transport,
			expires: a.expires,
			outboundProxy: a.outboundProxy.server ? { host: a.outboundProxy.server, port: a.outboundProxy.port } : undefined,
			backupProxy: a.backupProxy.server ? { host: a.backupProxy.server, port: a.backupProxy.port } : undefined,
			ca: a.ca || undefined,
			keepAlive: a.keepAlive,
		};
	});
}

export function sessionTimerOf(c: DeviceConfig): SessionTimerConfig {
	const t = c.sip.sessionTimer;
	return { enabled: t.enabled, expires: t.expires, minSE: 90, refresher: t.refresher };
}
