/*
 * The JSON API of the station (DESIGN: "Contract that tools and tests rely
 * on"), independent of the HTTP server it runs on: a request is a method, a
 * path and a body; the answer a status and a JSON value. The device mounts it
 * on the SDK's HTTP server, Node on node:http.
 *
 * No login yet (the configuration issue adds it): hosts bind it to 127.0.0.1
 * by default.
 */
import type { StationApp } from "../station/app.js";

export interface ApiAnswer {
	status: number;
	body: unknown;
}

export interface ApiOptions {
	app: StationApp;
	log?: (line: string) => void;
	/** Recent log lines for the status page (bounded). */
	recentLog?: () => string[];
}

const MAX_BODY = 4096;

/** The method of each route (a switch, not a Map: nothing stateful at module load). */
function methodOf(route: string): string | undefined {
	switch (route) {
		case "status": return "GET";
		case "relays/open": case "inputs/press": case "call": case "hangup": case "dnd": return "POST";
	}
	return undefined;
}

function error(status: number, message: string): ApiAnswer {
	return { status, body: { error: message } };
}

function parseBody(body: string): Record<string, unknown> | ApiAnswer {
	if (body.length > MAX_BODY)
		return error(413, "body larger than " + MAX_BODY + " bytes");
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

/** Answer one API request. Never throws. */
export function handleApi(o: ApiOptions, method: string, path: string, body: string): ApiAnswer {
	try {
		const parts = path.split("?")[0].split("/").filter((p) => p.length > 0);
		if (parts[0] !== "api")
			return error(404, "not found");
		const app = o.app;
		const route = parts.length === 2 ? parts[1] : parts.length === 4 ? parts[1] + "/" + parts[3] : "";
		const allowed = methodOf(route);
		if (!allowed)
			return error(404, "not found");
		if (allowed !== method)
			return error(405, "use " + allowed);
		if (route === "status")
			return { status: 200, body: status(o) };
		const payload = parseBody(body);
		if ("status" in payload && "body" in payload && typeof payload.status === "number")
			return payload as ApiAnswer;
		const fields = payload as Record<string, unknown>;
		if (parts.length === 4 && parts[1] === "relays" && parts[3] === "open") {
			const id = Number(parts[2]);
			const known = app.station.config.relays.map((r) => r.id);
			if (!Number.isInteger(id) || known.indexOf(id) < 0)
				return error(400, `relay must be one of ${known.join(", ")}`);
			app.station.openRelay(id, "api");
			return { status: 200, body: { relay: id, open: true } };
		}
		if (parts.length === 4 && parts[1] === "inputs" && parts[3] === "press") {
			const id = Number(parts[2]);
			const inputs = app.station.config.inputs.map((i) => i.id);
			if (!Number.isInteger(id) || inputs.indexOf(id) < 0)
				return error(400, `input must be one of ${inputs.join(", ")}`);
			app.station.pressInput(id);
			return { status: 200, body: { input: id, pressed: true } };
		}
		if (parts.length === 2 && parts[1] === "call") {
			const number = fields.number;
			const account = fields.account;
			if (typeof number !== "string" || !number.trim() || number.length > 128)
				return error(400, "number must be a SIP number, URI or IP address of 1-128 characters");
			if (account !== undefined && account !== "1" && account !== "2")
				return error(400, "account must be \"1\" or \"2\"");
			const call = app.ua.call(number.trim(), account ? { account } : {});
			if (!call)
				return error(409, "cannot call " + number.trim() + ": no registered account for it, or too many calls");
			return { status: 200, body: { call: call.id } };
		}
		if (parts.length === 2 && parts[1] === "dnd") {
			const account = fields.account;
			if (account !== "1" && account !== "2" && account !== "ip")
				return error(400, "account must be \"1\", \"2\" or \"ip\"");
			if (typeof fields.enabled !== "boolean")
				return error(400, "enabled must be true or false");
			app.station.setDnd(account, fields.enabled);
			return { status: 200, body: { account, enabled: fields.enabled } };
		}
		if (parts.length === 2 && parts[1] === "hangup") {
			const calls = app.ua.calls;
			for (const call of calls)
				call.hangup();
			return { status: 200, body: { ended: calls.length } };
		}
		return error(404, "not found");
	}
	catch (e) {
		o.log?.("api: " + String(e));
		return error(500, "internal error");
	}
}

function status(o: ApiOptions): unknown {
	const app = o.app;
	return {
		registrations: app.ua.registrations.map((r) => ({ ...r.status })),
		calls: app.ua.calls.map((c) => ({ id: c.id, direction: c.direction, remote: c.remote, state: c.state, account: c.account ?? null, startedAt: c.startedAt, answeredAt: c.answeredAt || null })),
		relays: app.station.relayStates(),
		dnd: app.station.config.dnd,
		log: o.recentLog ? o.recentLog() : [],
	};
}
