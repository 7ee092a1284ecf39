/*
 * Action URLs: an HTTP GET to a configured URL when something happens, the
 * vendors' "action URL" feature, fed by the same station events as MQTT.
 * Placeholders in a URL are replaced, URL-encoded: {event}, {remote},
 * {direction}, {relay}, {by}, {input}, {state}, {account}, {reason}.
 */
import type { StationApp } from "../station/app.js";

export interface ActionUrlSettings {
	ring: string;
	connected: string;
	ended: string;
	doorOpened: string;
	input: string;
	registration: string;
	/** Door held open, tamper: {alarm}, {input}, {state}. */
	alarm: string;
}

type StationEvent = Parameters<Parameters<StationApp["on"]>[0]>[0];

/** Fill a URL's placeholders from the event's values (unknown names stay as they are). */
export function fillUrl(url: string, values: ReadonlyArray<readonly [string, string]>): string {
	let out = url;
	for (const [name, value] of values)
		out = out.split("{" + name + "}").join(encodeURIComponent(value));
	return out;
}

export class ActionUrls {
	#app: StationApp;
	#listener: (e: StationEvent) => void;

	constructor(options: { app: StationApp; settings: ActionUrlSettings; httpGet: (url: string) => void }) {
		this.#app = options.app;
		const s = options.settings;
		const get = (url: string, values: Array<readonly [string, string]>) => {
			if (url)
				options.httpGet(fillUrl(url, values));
		};
		this.#listener = (e) => {
			try {
				switch (e.type) {
					case "ringing":
						get(s.ring, [["event", "ring"], ["remote", e.call.remote], ["direction", e.call.direction]]);
						return;
					case "call":
						if (e.state === "answered")
							get(s.connected, [["event", "connected"], ["remote", e.call.remote], ["direction", e.call.direction], ["account", e.call.account ?? ""]]);
						else if (e.state === "ended")
							get(s.ended, [["event", "ended"], ["remote", e.call.remote], ["direction", e.call.direction], ["reason", e.call.endReason]]);
						return;
					case "door-opened":
						get(s.doorOpened, [["event", "door-opened"], ["relay", String(e.relay)], ["by", e.by]]);
						return;
					case "input":
						get(s.input, [["event", "input"], ["input", String(e.input)], ["state", e.active ? "on" : "off"]]);
						return;
					case "alarm":
						get(s.alarm, [["event", "alarm"], ["alarm", e.alarm], ["input", String(e.input)], ["state", e.active ? "on" : "off"]]);
						return;
					case "registration":
						get(s.registration, [["event", "registration"], ["account", e.status.id], ["state", e.status.registered ? "registered" : "failed"]]);
						return;
				}
			}
			catch {
				// a bad URL must not stop the other listeners
			}
		};
		options.app.on(this.#listener);
	}

	close(): void {
		this.#app.off(this.#listener);
	}
}
