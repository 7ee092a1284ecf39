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
import { AdminAuth, type Session } from "./auth.js";
import type { WebAnswer, WebRequest } from "./server.js";

export interface ApiOptions {
	app: StationApp;
	settings: Settings;
	auth: AdminAuth;
	/** The configuration page: its HTML, and the same gzipped when the host has it. */
	page?: { html: Uint8Array; gzip?: Uint8Array };
	/** Restart the station (on the device: the whole firmware). Called after the answer is sent. */
	reboot?: () => void;
	/** Recent log lines for the status page (bounded). */
	recentLog?: () => string[];
	/** Uptime in seconds. */
	uptime?: () => number;
	log?: (line: string) => void;
	version?: string;
}

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

/**
 * The password of a login body, read without building an object from it: no
 * property name of an unauthenticated request reaches the engine's key table.
 */
function passwordOf(body: string): string | undefined {
	const m = /^\s*\{\s*"password"\s*:\s*("(?:[^"\\\x00-\x1f]|\\.){0,256}")\s*\}\s*$/.exec(body);
	if (!m)
		return undefined;
	try {
		return JSON.parse(m[1]) as string;
	}
	catch {
		return undefined;
	}
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
		if (method !== "GET")
			return error(405, "use GET");
		if (!o.page)
			return error(404, "no page on this host");
		const gzip = o.page.gzip && (request.headers.get("accept-encoding") ?? "").indexOf("gzip") >= 0;
		return { status: 200, type: "text/html; charset=utf-8", body: gzip ? o.page.gzip! : o.page.html, headers: gzip ? [["content-encoding", "gzip"], ["vary", "accept-encoding"]] : [["vary", "accept-encoding"]] };
	}
	if (path === "/api/health")
		return method === "GET" ? json(200, { ok: true, version: o.version ?? "" }) : error(405, "use GET");
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
		const password = passwordOf(request.body);
		const bad = AdminAuth.check(password);
		if (bad || password === undefined)
			return error(400, bad ?? "body must be {\"password\": \"...\"}");
		auth.setPassword(password);
		const opened = auth.open();
		o.log?.("web: administrator password set");
		return json(200, { authenticated: true, csrf: opened.csrf }, [sessionCookie(opened)]);
	}
	if (!session)
		return error(401, auth.hasPassword ? "log in first" : "set the administrator password first");
	if (method !== "GET" && request.headers.get("x-csrf-token") !== session.csrf)
		return error(403, "missing or wrong CSRF token");
	return protectedRoute(o, request);
}

function sessionRoute(o: ApiOptions, request: WebRequest, session: Session | undefined): WebAnswer {
	const auth = o.auth;
	if (request.method === "GET")
		return json(200, { authenticated: session !== undefined, setup: !auth.hasPassword, csrf: session?.csrf ?? null });
	if (request.method === "POST") {
		const password = passwordOf(request.body);
		if (password === undefined)
			return error(400, "body must be {\"password\": \"...\"}");
		const result = auth.login(password);
		if ("session" in result) {
			o.log?.("web: administrator logged in");
			return json(200, { authenticated: true, csrf: result.session.csrf }, [sessionCookie(result.session)]);
		}
		if (result.error === "no-password")
			return error(409, "set the administrator password first");
		if (result.error === "locked")
			return { ...error(429, "too many failed logins: try again in " + result.retryAfter + " s"), headers: [["retry-after", String(result.retryAfter)]] };
		return error(401, "wrong password");
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
		case "status": case "schema": case "config/export": return "GET";
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
		case "schema":
			return json(200, copyJson(DEVICE_SCHEMA));	// a copy: the preloaded table cannot be stringified in place
		case "config/export":
			return json(200, redact(DEVICE_SCHEMA, o.settings.config), [["content-disposition", "attachment; filename=\"portier-config.json\""]]);
		case "password": {
			const fields = parseObject(request.body);
			if (isAnswer(fields))
				return fields;
			if (typeof fields.current !== "string" || !o.auth.verify(fields.current))
				return error(403, "current password is wrong");
			const bad = AdminAuth.check(fields.password);
			if (bad)
				return error(400, bad);
			o.auth.setPassword(fields.password as string);
			const fresh = o.auth.open();
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

function setRebootAfterAnswer(o: ApiOptions): void {
	// the answer must leave first: the host runs the reboot on its next turn
	const reboot = o.reboot!;
	o.app.clock.set(() => reboot(), 200);
}

function status(o: ApiOptions): unknown {
	const app = o.app;
	const accounts = o.settings.config.accounts;
	return {
		uptime: o.uptime ? o.uptime() : 0,
		registrations: app.ua.registrations.map((r) => ({ ...r.status, label: r.config.id === "2" ? accounts["2"].label : accounts["1"].label, enabled: r.config.enabled, server: r.config.server })),
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
