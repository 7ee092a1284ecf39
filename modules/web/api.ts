/*
 * The JSON API of the station and its page (DESIGN: "Contract that tools and
 * tests rely on"), independent of the HTTP server it runs on: a request in,
 * an answer out, never an exception.
 *
 * Everything but the page, the health check and the login needs an
 * administrator session (cookie); every change also needs the session's CSRF
 * token in `x-csrf-token`, and a request whose Origin is another site is
 * refused outright (SPEC §5).
 */
import type { Settings, UpdateResult } from "../config/settings.js";
import { DEVICE_SCHEMA } from "../config/schema.js";
import type { FieldError } from "../config/values.js";
import { copyJson, redact } from "../config/values.js";
import type { StationApp } from "../station/app.js";
import { LogLimit } from "../events/log-limit.js";
import { AdminAuth, type LoginFailure, type Session } from "./auth.js";
import type { BodySink, WebAnswer, WebRequest } from "./server.js";
import { Updater, type UpdaterOptions } from "../update/upgrade.js";
import type { TimeStatus } from "../time/station-time.js";

export interface ApiOptions {
	app: StationApp;
	settings: Settings;
	auth: AdminAuth;
	/** The configuration page: its HTML, and the same gzipped when the host has it. */
	page?: { html: Uint8Array; gzip?: Uint8Array };
	/**
	 * Restart the station (on the device: the whole firmware). Called after the
	 * answer is sent; `firmware`: to run a firmware just installed (a panel's
	 * hard restart, `update.restart`, where the host has one).
	 */
	reboot?: (firmware?: boolean) => void;
	/** Recent log lines for the status page (bounded). */
	recentLog?: () => string[];
	/** Log and history records waiting for their write to flash (held in RAM until then). */
	journalsWaiting?: () => number;
	/** Uptime in seconds. */
	uptime?: () => number;
	log?: (line: string) => void;
	/** Counts the log lines a client can cause (failed logins, lock-outs); made on first use when absent. */
	logLimit?: LogLimit;
	version?: string;
	/** What the host can tell about itself (the device page). */
	info?: () => HostInfo;
	/** The door and call history, newest first (skip, count). */
	history?: { read(skip: number, count: number): string[]; readonly capacity: number; clear(): void };
	/** The station's time: wall clock, zone, SNTP (status "time"). */
	time?: () => TimeStatus;
	/**
	 * Firmware upgrades (POST /api/firmware): the update device and the
	 * checks' crypto; `restart` boots the new firmware (a panel's hard
	 * restart, which `reboot(true)` runs). Absent: the host takes no upgrade.
	 */
	update?: Omit<UpdaterOptions, "clock" | "log"> & { restart?: () => void };
	/** Made at the first upload (nothing of it exists before). */
	updater?: Updater;
}

/** What a host knows about itself; each field only when it can tell. */
export interface HostInfo {
	model?: string;
	mac?: string;
	ip?: string;
	/** Free heap in bytes. */
	freeHeap?: number;
	/** Heap in use in bytes (on the Moddable SDK: the XS heap, chunks and slots, after a full collection). */
	heapUsed?: number;
	/** Where the clock's time comes from: "SNTP", "system clock", "not set". */
	timeSource?: string;
	/** The name mDNS answers for ("portier.local"), when it does. */
	mdns?: string;
}

/**
 * The schema as JSON, made once when the module is loaded: on a panel that is
 * at build time (the module is preloaded), so the text sits in flash. Made
 * per request, the copy and the stringify recursed through the whole table
 * on top of the web server's call chain and overflowed the 512-slot XS stack
 * (measured in the simulator once the schema had grown).
 */
const SCHEMA_JSON = JSON.stringify(copyJson(DEVICE_SCHEMA));

function json(status: number, body: unknown, headers?: Array<[string, string]>): WebAnswer {
	return { status, body: JSON.stringify(body), headers };
}

function error(status: number, message: string, errors?: FieldError[]): WebAnswer {
	return json(status, errors ? { error: message, errors } : { error: message });
}

/** The answer to a configuration change: 400 with every field error, 500 when storage failed, else the new configuration. */
function savedAnswer(o: ApiOptions, result: UpdateResult): WebAnswer {
	if (result.errors.length)
		return error(400, result.errors.map((e) => e.field + ": " + e.message).join("; "), result.errors);
	if (result.failure)
		return error(500, "cannot save: " + result.failure);
	return json(200, redact(DEVICE_SCHEMA, o.settings.config));
}

function parseObject(body: string): Record<string, unknown> | WebAnswer {
	if (!body.trim())
		return {};
	try {
		const value = JSON.parse(body) as unknown;
		if (!value || typeof value !== "object" || Array.isArray(value))
			return error(400, "body must be a JSON object");
		return value as Record<string, unknown>;
	}
	catch {
		return error(400, "body is not JSON");
	}
}

function isAnswer(v: unknown): v is WebAnswer {
	return typeof v === "object" && v !== null && "status" in v && "body" in v && typeof (v as WebAnswer).status === "number";
}

/** The largest login or first-start body read (characters). */
const MAX_LOGIN_BODY = 1024;
const LOGIN_FIELDS = Object.freeze(["password"]);
const SETUP_FIELDS = Object.freeze(["password", "doorCode"]);

function skipSpace(text: string, i: number): number {
	for (; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)
			break;
	}
	return i;
}

/** The end (after the closing quote) of the JSON string at i, or -1. */
function stringEnd(text: string, i: number): number {
	if (text.charCodeAt(i) !== 0x22)
		return -1;
	for (let j = i + 1; j < text.length; j++) {
		const c = text.charCodeAt(j);
		if (c === 0x22)
			return j + 1;
		if (c === 0x5c)
			j++;
		else if (c < 0x20)
			return -1;
	}
	return -1;
}

/** The JSON string at text[start, end), decoded (the engine checks its escapes). */
function jsonString(text: string, start: number, end: number): string | undefined {
	try {
		const value = JSON.parse(text.slice(start, end)) as unknown;
		return typeof value === "string" ? value : undefined;
	}
	catch {
		return undefined;
	}
}

/**
 * The fields of a login or first-start body: a flat JSON object whose values
 * are strings and whose names are among `names`, each at most once. It is
 * read without building an object from it: no property name of an
 * unauthenticated request reaches the engine's key table. Undefined for
 * anything else (another name, a number, a nested object, too long).
 */
function stringFields(body: string, names: readonly string[]): Map<string, string> | undefined {
	if (body.length > MAX_LOGIN_BODY)
		return undefined;
	const fields = new Map<string, string>();
	let i = skipSpace(body, 0);
	if (body.charCodeAt(i) !== 0x7b)
		return undefined;
	i = skipSpace(body, i + 1);
	if (body.charCodeAt(i) !== 0x7d) {
		for (;;) {
			const nameEnd = stringEnd(body, i);
			const name = nameEnd < 0 ? undefined : jsonString(body, i, nameEnd);
			if (name === undefined || names.indexOf(name) < 0 || fields.has(name))
				return undefined;
			i = skipSpace(body, nameEnd);
			if (body.charCodeAt(i) !== 0x3a)
				return undefined;
			i = skipSpace(body, i + 1);
			const valueEnd = stringEnd(body, i);
			const value = valueEnd < 0 ? undefined : jsonString(body, i, valueEnd);
			if (value === undefined)
				return undefined;
			fields.set(name, value);
			i = skipSpace(body, valueEnd);
			if (body.charCodeAt(i) !== 0x2c)
				break;
			i = skipSpace(body, i + 1);
		}
		if (body.charCodeAt(i) !== 0x7d)
			return undefined;
	}
	return skipSpace(body, i + 1) === body.length ? fields : undefined;
}

/** The rule of a door code (DTMF) that releases relay 1. */
const DOOR_CODE_RULE = "4-8 of 0-9 * # A-D";

/**
 * A door code as the first start takes it: none (""), or 4-8 of 0-9 * # A-D
 * (a single "#" would open the door to anyone who calls). Checked here, before
 * anything is set, whatever the configuration's own rule is.
 */
function doorCodeOk(code: string): boolean {
	if (code === "")
		return true;
	if (code.length < 4 || code.length > 8)
		return false;
	for (let i = 0; i < code.length; i++) {
		const c = code.charCodeAt(i);
		if (!((c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x23 || (c >= 0x41 && c <= 0x44)))
			return false;
	}
	return true;
}

/** Note a line a client can cause: written once, then counted (events/log-limit). */
function note(o: ApiOptions, key: string, line: string): void {
	const log = o.log;
	if (!log)
		return;
	o.logLimit ??= new LogLimit({ clock: o.app.clock, log });
	o.logLimit.note(key, line);
}

/** A client's address for the log. */
function from(request: WebRequest): string {
	return request.remote ? request.remote.slice(0, 64) : "an unknown address";
}

/** A browser's request from another site: refused before anything else (CSRF, SPEC §5). */
function crossSite(request: WebRequest): boolean {
	if (request.headers.get("sec-fetch-site") === "cross-site")
		return true;
	const origin = request.headers.get("origin");
	if (origin === undefined)
		return false;
	const host = request.headers.get("host") ?? "";
	return origin !== "http://" + host && origin !== "https://" + host;
}

const COOKIE = "portier_session";

function sessionCookie(session: Session | undefined): [string, string] {
	return ["set-cookie", session ? `${COOKIE}=${session.token}; Path=/; HttpOnly; SameSite=Strict` : `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`];
}

/** Where an upload goes: the one route whose body is streamed. */
const FIRMWARE_PATH = "/api/firmware";

/**
 * A request whose body is streamed (web/server.ts: `stream`): a firmware
 * upload, POST /api/firmware with the image as the body
 * (application/octet-stream). It is authenticated as every change is (the
 * session cookie, the CSRF token, not cross-site), all from the headers,
 * before a byte of the body is taken; the body then goes to the update device
 * as it arrives (modules/update). Undefined for every other request.
 */
export function streamRequest(o: ApiOptions, request: WebRequest, length: number): BodySink | WebAnswer | undefined {
	if (request.path !== FIRMWARE_PATH)
		return undefined;
	try {
		return upload(o, request, length);
	}
	catch (e) {
		o.log?.("api: " + String(e));
		return error(500, "internal error");
	}
}

function upload(o: ApiOptions, request: WebRequest, length: number): BodySink | WebAnswer {
	if (request.method !== "POST")
		return error(405, "use POST");
	if (crossSite(request))
		return error(403, "cross-site request refused");
	const session = o.auth.session(request.headers.get("cookie"));
	if (!session)
		return error(401, o.auth.hasPassword ? "log in first" : "set the administrator password first");
	if (request.headers.get("x-csrf-token") !== session.csrf)
		return error(403, "missing or wrong CSRF token");
	const update = o.update;
	if (!update)
		return error(501, "this host takes no firmware upgrade");
	if (!(length >= 0))
		return error(411, "send the image with a Content-Length");
	o.updater ??= new Updater({ ...update, clock: o.app.clock, log: o.log });
	const upgrade = o.updater.begin(length);
	if (typeof upgrade === "string")
		return error(o.updater.busy ? 409 : 400, upgrade);
	note(o, "upgrade", "web: firmware upload of " + length + " bytes from " + from(request));
	// the updater goes with its upgrade: nothing of it stays in the heap
	const done = () => {
		if (!o.updater?.busy)
			o.updater = undefined;
	};
	return {
		write: (bytes) => upgrade.write(bytes),
		abort: (reason) => {
			upgrade.abort(reason);
			done();
		},
		end: () => {
			if (upgrade.received !== length)
				upgrade.abort(`the upload ended after ${upgrade.received} of ${length} bytes`);
			const result = upgrade.end();
			done();
			if (!result.ok)
				return error(400, result.error);
			// the answer leaves first; then the panel boots the new firmware
			const reboot = o.reboot;
			if (reboot)
				o.app.clock.set(() => reboot(true), 500);
			const info = result.info;
			return json(200, { upgraded: true, project: info.project, version: info.version, size: info.imageSize, sha256: info.sha256, rebooting: reboot !== undefined });
		},
	};
}

/** Answer one request. Never throws. */
export function handleRequest(o: ApiOptions, request: WebRequest): WebAnswer {
	try {
		return route(o, request);
	}
	catch (e) {
		o.log?.("api: " + String(e));
		return error(500, "internal error");
	}
}

function route(o: ApiOptions, request: WebRequest): WebAnswer {
	const { method, path } = request;
	if (path === "/" || path === "/index.html") {
		if (method !== "GET" && method !== "HEAD")
			return error(405, "use GET or HEAD");
		if (!o.page)
			return error(404, "no page on this host");
		const gzip = o.page.gzip && (request.headers.get("accept-encoding") ?? "").indexOf("gzip") >= 0;
		return { status: 200, type: "text/html; charset=utf-8", body: gzip ? o.page.gzip! : o.page.html, headers: gzip ? [["content-encoding", "gzip"], ["vary", "accept-encoding"]] : [["vary", "accept-encoding"]] };
	}
	if (path === "/api/health")
		return method === "GET" || method === "HEAD" ? json(200, { ok: true, version: o.version ?? "" }) : error(405, "use GET or HEAD");
	if (path.slice(0, 5) !== "/api/")
		return error(404, "not found");
	if (method !== "GET" && method !== "HEAD" && crossSite(request))
		return error(403, "cross-site request refused");
	const auth = o.auth;
	const session = auth.session(request.headers.get("cookie"));
	if (path === "/api/session")
		return sessionRoute(o, request, session);
	if (path === "/api/session/setup") {
		if (method !== "POST")
			return error(405, "use POST");
		if (auth.hasPassword)
			return error(409, "the administrator password is already set: log in");
		return setup(o, request);
	}
	if (!session)
		return error(401, auth.hasPassword ? "log in first" : "set the administrator password first");
	if (method !== "GET" && request.headers.get("x-csrf-token") !== session.csrf)
		return error(403, "missing or wrong CSRF token");
	return protectedRoute(o, request);
}

/**
 * The first start: the administrator password and, optionally, the door code
 * of relay 1 ("" or absent: no door code). The door code is checked first and
 * saved before the password is set, so that a refused one sets nothing.
 */
function setup(o: ApiOptions, request: WebRequest): WebAnswer {
	const fields = stringFields(request.body, SETUP_FIELDS);
	if (!fields)
		return error(400, "body must be {\"password\": \"...\", \"doorCode\": \"...\"} (the door code is optional)");
	const password = fields.get("password");
	const doorCode = fields.get("doorCode");
	const refused = error(400, "doorCode: " + DOOR_CODE_RULE, [{ field: "doorCode", message: DOOR_CODE_RULE }]);
	if (doorCode !== undefined && !doorCodeOk(doorCode))
		return refused;
	const bad = AdminAuth.check(password);
	if (bad || password === undefined)
		return error(400, bad ?? "password must be 8-64 characters");
	if (doorCode !== undefined) {
		const relays = o.settings.config.station.relays;
		let index = relays.findIndex((r) => r.id === 1);
		if (index < 0)
			index = 0;
		if (relays.length && relays[index].dtmfCode !== doorCode) {
			const result = o.settings.update({ station: { relays: relays.map((r, i) => (i === index ? { ...r, dtmfCode: doorCode } : r)) } });
			if (result.errors.length)
				return refused;
			if (result.failure)
				return error(500, "cannot save the door code: " + result.failure);
		}
	}
	o.auth.setPassword(password);
	const opened = o.auth.open();
	note(o, "password", "web: administrator password set from " + from(request) + (doorCode ? "; relay 1 has a door code" : "; no door code"));
	return json(200, { authenticated: true, csrf: opened.csrf }, [sessionCookie(opened)]);
}

/**
 * The answer to a password the login's limits refused (a login, or the current
 * password of a change), and its log line, written once and then counted.
 */
function refusal(o: ApiOptions, request: WebRequest, result: LoginFailure, change: boolean): WebAnswer {
	const address = from(request);
	// the ceiling comes on at most once a minute: its line is written as it is
	if (result.slows)
		o.log?.("web: many failed logins: every address is slowed to one login a second");
	const retry: Array<[string, string]> = [["retry-after", String(result.retryAfter)]];
	switch (result.error) {
		case "no-password":
			return error(409, "set the administrator password first");
		case "busy":
			note(o, "login busy", "web: login from " + address + " waited (logins slowed)");
			return { ...error(429, "too many failed logins overall: try again in " + result.retryAfter + " s"), headers: retry };
		case "locked":
			if (result.locks)
				note(o, "login locked " + address, "web: logins from " + address + " locked for " + result.retryAfter + " s after repeated wrong passwords");
			else
				note(o, "login refused " + address, "web: login from " + address + " refused: locked");
			return { ...error(429, "too many failed logins: try again in " + result.retryAfter + " s"), headers: retry };
	}
	if (change) {
		note(o, "login wrong " + address, "web: wrong current password (password change) from " + address);
		return error(403, "current password is wrong");
	}
	note(o, "login wrong " + address, "web: wrong administrator password from " + address);
	return error(401, "wrong password");
}

function sessionRoute(o: ApiOptions, request: WebRequest, session: Session | undefined): WebAnswer {
	const auth = o.auth;
	if (request.method === "GET")
		return json(200, { authenticated: session !== undefined, setup: !auth.hasPassword, csrf: session?.csrf ?? null });
	if (request.method === "POST") {
		const password = stringFields(request.body, LOGIN_FIELDS)?.get("password");
		if (password === undefined)
			return error(400, "body must be {\"password\": \"...\"}");
		const result = auth.login(password, request.remote);
		if ("session" in result) {
			o.log?.("web: administrator logged in from " + from(request));
			return json(200, { authenticated: true, csrf: result.session.csrf }, [sessionCookie(result.session)]);
		}
		return refusal(o, request, result, false);
	}
	if (request.method === "DELETE") {
		if (session) {
			if (request.headers.get("x-csrf-token") !== session.csrf)
				return error(403, "missing or wrong CSRF token");
			auth.close(session);
		}
		return json(200, { authenticated: false }, [sessionCookie(undefined)]);
	}
	return error(405, "use GET, POST or DELETE");
}

/** The method each route takes (a switch, not a table built at load). */
function methodOf(route: string): string | undefined {
	switch (route) {
		case "status": case "schema": case "config/export": case "history": return "GET";
		case "config": return "GET PUT";
		case "relays/open": case "inputs/press": case "call": case "hangup": case "dnd": case "devices/remove": case "devices/reboot":
		case "password": case "config/import": case "config/reset": case "reboot": return "POST";
	}
	return undefined;
}

function protectedRoute(o: ApiOptions, request: WebRequest): WebAnswer {
	const app = o.app;
	const parts = request.path.split("/").filter((p) => p.length > 0);
	const route = parts.length === 2 ? parts[1] : parts.length === 3 && parts[1] === "config" ? "config/" + parts[2] : parts.length === 4 ? parts[1] + "/" + parts[3] : "";
	const allowed = methodOf(route);
	if (!allowed)
		return error(404, "not found");
	if (allowed.split(" ").indexOf(request.method) < 0)
		return error(405, "use " + allowed.split(" ").join(" or "));
	switch (route) {
		case "status":
			return json(200, status(o));
		case "history":
			return json(200, history(o, request.query));
		case "schema":
			return { status: 200, body: SCHEMA_JSON };
		case "config/export":
			return json(200, redact(DEVICE_SCHEMA, o.settings.config), [["content-disposition", "attachment; filename=\"portier-config.json\""]]);
		case "password": {
			const fields = parseObject(request.body);
			if (isAnswer(fields))
				return fields;
			if (typeof fields.current !== "string")
				return error(403, "current password is wrong");
			// the current password is guessed under the login's limits
			const checked = o.auth.attempt(fields.current, request.remote);
			if (checked !== true)
				return refusal(o, request, checked, true);
			const bad = AdminAuth.check(fields.password);
			if (bad)
				return error(400, bad);
			o.auth.setPassword(fields.password as string);
			const fresh = o.auth.open();
			note(o, "password", "web: administrator password changed from " + from(request));
			return json(200, { changed: true, csrf: fresh.csrf }, [sessionCookie(fresh)]);
		}
		case "config/reset": {
			const result = o.settings.reset();
			return result.failure ? error(500, "cannot reset: " + result.failure) : json(200, redact(DEVICE_SCHEMA, o.settings.config));
		}
		case "reboot":
			if (!o.reboot)
				return error(501, "this host cannot reboot");
			// settings are saved when they change: nothing is pending
			o.log?.("web: reboot requested");
			setRebootAfterAnswer(o);
			return json(200, { rebooting: true });
		case "devices/remove":
		case "devices/reboot": {
			const registrar = app.ua.registrar;
			let user = "";
			try {
				user = decodeURIComponent(parts[2]);
			}
			catch { /* not a user name */ }
			const known = registrar?.devices.find((d) => d.user === user);
			if (!registrar || !known)
				return error(404, "no joined device " + JSON.stringify(user.slice(0, 32)) + (registrar ? "" : ": the built-in server is off"));
			if (route === "devices/remove") {
				registrar.remove(user);
				o.log?.("web: device " + user + " removed");
				return json(200, { device: user, removed: true });
			}
			const binding = registrar.lookup(user);
			if (!binding)
				return error(409, "device " + user + " is offline");
			app.ua.checkSync(binding);
			return json(200, { device: user, rebooting: true });
		}
		case "hangup": {
			const calls = app.ua.calls;
			for (const call of calls)
				call.hangup();
			return json(200, { ended: calls.length });
		}
	}
	const fields = request.method === "GET" ? {} : parseObject(request.body);
	if (isAnswer(fields))
		return fields;
	switch (route) {
		case "config": {
			if (request.method === "GET")
				return json(200, redact(DEVICE_SCHEMA, o.settings.config));
			return savedAnswer(o, o.settings.update(fields));
		}
		case "config/import": {
			return savedAnswer(o, o.settings.replace(fields));
		}
		case "relays/open": {
			const id = Number(parts[2]);
			const known = app.station.config.relays.map((r) => r.id);
			if (!Number.isInteger(id) || known.indexOf(id) < 0)
				return error(400, `relay must be one of ${known.join(", ")}`);
			app.station.openRelay(id, "api");
			return json(200, { relay: id, open: true });
		}
		case "inputs/press": {
			const id = Number(parts[2]);
			const inputs = app.station.config.inputs.map((i) => i.id);
			if (!Number.isInteger(id) || inputs.indexOf(id) < 0)
				return error(400, `input must be one of ${inputs.join(", ")}`);
			app.station.pressInput(id);
			return json(200, { input: id, pressed: true });
		}
		case "call": {
			const number = fields.number;
			const account = fields.account;
			if (typeof number !== "string" || !number.trim() || number.length > 128)
				return error(400, "number must be a SIP number, URI or IP address of 1-128 characters");
			if (account !== undefined && account !== "" && account !== "1" && account !== "2")
				return error(400, "account must be \"1\" or \"2\"");
			const call = app.ua.call(number.trim(), account ? { account: account as string } : {});
			if (!call)
				return error(409, "cannot call " + number.trim() + ": no registered account for it, or too many calls");
			return json(200, { call: call.id });
		}
		case "dnd": {
			const account = fields.account;
			if (account !== "1" && account !== "2" && account !== "ip")
				return error(400, "account must be \"1\", \"2\" or \"ip\"");
			if (typeof fields.enabled !== "boolean")
				return error(400, "enabled must be true or false");
			app.station.setDnd(account, fields.enabled);
			return json(200, { account, enabled: fields.enabled });
		}
	}
	return error(404, "not found");
}

/** A query parameter as a whole number in [min, max], or def. */
function queryInt(query: string, name: string, def: number, min: number, max: number): number {
	for (const part of query.split("&")) {
		const eq = part.indexOf("=");
		if (eq > 0 && part.slice(0, eq) === name) {
			const n = Number(part.slice(eq + 1));
			return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : def;
		}
	}
	return def;
}

/** History records, newest first: ?skip=N&count=M (at most 100 at a time). */
function history(o: ApiOptions, query: string): unknown {
	const h = o.history;
	if (!h)
		return { capacity: 0, records: [] };
	const skip = queryInt(query, "skip", 0, 0, h.capacity);
	const count = queryInt(query, "count", 50, 1, 100);
	const records: unknown[] = [];
	for (const text of h.read(skip, count)) {
		try {
			records.push(JSON.parse(text));
		}
		catch { /* a record cut short: skipped */ }
	}
	return { capacity: h.capacity, skip, records };
}

function setRebootAfterAnswer(o: ApiOptions): void {
	// the answer must leave first: the host runs the reboot on its next turn
	const reboot = o.reboot!;
	o.app.clock.set(() => reboot(), 200);
}

function status(o: ApiOptions): unknown {
	const app = o.app;
	const accounts = o.settings.config.accounts;
	const now = app.clock.now();
	const info = o.info ? o.info() : {};
	const time = o.time?.();
	return {
		uptime: o.uptime ? o.uptime() : 0,
		device: {
			model: info.model ?? "portier", firmware: o.version ?? "", mac: info.mac ?? null, ip: info.ip ?? null, mdns: info.mdns ?? null, freeHeap: info.freeHeap ?? null, heapUsed: info.heapUsed ?? null,
			// the wall clock (modules/time) when the device has one; else the host's clock, which counts from 1970 only once set
			time: time ? time.now : now >= 1577836800000 ? now : null,
			timeSource: time ? time.source : info.timeSource ?? (now >= 1577836800000 ? "system clock" : "not set"),
		},
		time: time ?? null,
		registrations: app.ua.registrations.map((r) => ({
			...r.status, label: r.config.id === "2" ? accounts["2"].label : accounts["1"].label, enabled: r.config.enabled, server: r.config.server,
			port: r.config.port, transport: r.config.transport, user: r.config.user, expires: r.config.expires,
			expiresIn: r.status.expiresAt ? Math.max(0, Math.round((r.status.expiresAt - now) / 1000)) : null,
		})),
		calls: app.ua.calls.map((c) => ({ id: c.id, direction: c.direction, remote: c.remote, state: c.state, account: c.account ?? null, startedAt: c.startedAt, answeredAt: c.answeredAt || null })),
		relays: app.station.relayStates(),
		inputs: app.station.inputStates(),
		subscribers: (app.ua.registrar?.bindings ?? []).map((b) => ({ user: b.user, extension: b.extension, contact: b.contact, address: b.source.address + ":" + b.source.port, transport: b.source.transport, userAgent: b.userAgent, expiresAt: b.expiresAt })),
		server: app.ua.registrar ? {
			hostExtension: app.ua.registrar.hostExtension,
			places: { used: app.ua.registrar.bindings.length, limit: app.ua.registrar.settings.limit },
			devices: app.ua.registrar.devices.map((d) => ({ ...d, seenAgo: Math.max(0, Math.round((app.clock.now() - d.lastSeen) / 1000)) })),
			bridged: app.hotspot.bridges.filter((b) => b.winner).map((b) => ({ caller: b.caller.remote, callee: b.winner!.remote })),
		} : null,
		dnd: app.station.config.dnd,
		sip: sipTables(app),
		// records held in RAM until the journals write them (a batch, or a minute after the first)
		journals: { waiting: o.journalsWaiting ? o.journalsWaiting() : 0 },
		log: o.recentLog ? o.recentLog() : [],
	};
}

/** The SIP layer's bounded tables, and what its budgets refused: an installer (and a flood test) sees them come back to idle. */
function sipTables(app: ApiOptions["app"]): unknown {
	const tx = app.ua.stack.transactions;
	return {
		transactions: { client: tx.clientCount, server: tx.serverCount, cached: tx.cacheSize },
		dialogs: app.ua.dialogCount,
		calls: app.ua.calls.length,
		trackedSources: app.ua.trackedSources,
		dropped: tx.counters.dropped,
		refusedFull: tx.counters.full,
	};
}
