/*
 * Session timers (RFC 4028): the Session-Expires we put in our 2xx to an
 * INVITE or UPDATE (§9), the one a 2xx to our INVITE sets (§7.2), arming the
 * timer (§10): as refresher a re-INVITE at half the interval, otherwise a BYE
 * when the peer's refresh does not come, and reading Session-Expires (§4).
 * The 422 answer and retry (§6, §8) stay with the INVITE server and client,
 * which use sessionExpiresOf.
 *
 * One SessionTimers per UserAgent (see UaCore); the timer of a call is its
 * timers[2].
 */
import type { Call } from "./call.js";
import type { SipMessage } from "./message.js";
import { createOffer } from "./sdp.js";
import type { HeaderList } from "./serialize.js";
import { UaRole } from "./ua-core.js";

export interface SessionTimerConfig {
	enabled: boolean;
	/** Session-Expires we ask for, seconds (RFC 4028; 90-7200). */
	expires: number;
	/** Smallest interval we accept. */
	minSE: number;
	refresher: "uac" | "uas";
}

/** @internal The session timer role of the user agent core. */
export class SessionTimers extends UaRole {
	/** The Session-Expires/Require headers for our 2xx, and the timers they imply. */
	forRequest(call: Call, request: SipMessage): HeaderList | undefined {
		const st = this.core.options.sessionTimer;
		if (!st?.enabled)
			return undefined;
		const asked = sessionExpiresOf(request);
		const supported = request.tokens("Supported").some((t) => t.toLowerCase() === "timer");
		if (!asked && !supported)
			return undefined;
		const seconds = asked ? Math.max(asked.seconds, st.minSE) : st.expires;
		// The UAC chose a refresher, or we choose: the UAC when it supports timers (RFC 4028 §9).
		const refresher = asked?.refresher ?? (supported ? "uac" : "uas");
		call.sessionExpires = seconds;
		call.refresher = refresher === "uas" ? "local" : "remote";
		this.#arm(call);
		const headers: HeaderList = [["Session-Expires", seconds + ";refresher=" + refresher]];
		if (supported)
			headers.push(["Require", "timer"]);
		return headers;
	}

	/** A 2xx to our INVITE: the interval and refresher it names (§7.2). */
	fromResponse(call: Call, response: SipMessage): void {
		const st = this.core.options.sessionTimer;
		const se = sessionExpiresOf(response);
		if (!st?.enabled || !se)
			return;
		call.sessionExpires = se.seconds;
		call.refresher = se.refresher === "uac" ? "local" : "remote";
		this.#arm(call);
	}

	#arm(call: Call): void {
		// the closures below reach the core through this (no extra captured variable per call)
		const clock = this.core.stack.clock;
		if (call.timers[2] !== undefined)
			clock.clear(call.timers[2]);
		const se = call.sessionExpires * 1000;
		if (call.refresher === "local") {
			// refresh at half the interval with a re-INVITE carrying the same session (RFC 4028 §10)
			call.timers[2] = clock.set(() => this.core.guard(() => this.#refresh(call)), se / 2);
		}
		else {
			// the peer refreshes; without a refresh by SE - min(32, SE/3) the session is over (§10)
			call.timers[2] = clock.set(() => this.core.guard(() => {
				if (call.state === "answered")
					this.core.inDialog.byeAndEnd(call, "session-expired");
			}), se - Math.min(32000, se / 3));
		}
	}

	#refresh(call: Call): void {
		if (call.state !== "answered" || !call.dialog)
			return;
		const stack = this.core.stack;
		call.local = { ...call.local, version: call.local.version + 1 };
		const role = call.direction === "outgoing" ? "uac" : "uas";
		const spec = call.dialog.request("INVITE", [
			["Contact", "<" + stack.contactUri("door", call.dialog.transport) + ">"],
			["Content-Type", "application/sdp"], ["Supported", "timer"],
			["Session-Expires", call.sessionExpires + ";refresher=" + role],
		], call.sdp ?? createOffer(call.local));
		if (call.auth)
			Object.assign(spec, call.auth);
		this.core.inDialog.send(call.dialog, spec, (response) => this.core.guard(() => {
			if (!response || (response.status >= 300 && response.status !== 491)) {
				// the refresh failed: the session is over (RFC 4028 §10)
				this.core.inDialog.byeAndEnd(call, "session-refresh-failed");
				return;
			}
			if (response.status < 300) {
				this.core.inDialog.ack(call.dialog!, response.cseq().seq);
				this.#arm(call);
			}
		}));
	}
}

/** Session-Expires of a request or response: the interval and the refresher, if named (RFC 4028 §4). */
export function sessionExpiresOf(message: SipMessage): { seconds: number; refresher: "uac" | "uas" | undefined } | undefined {
	const value = message.header("Session-Expires");
	if (!value)
		return undefined;
	const parts = value.split(";");
	const seconds = Number(parts[0].trim());
	if (!Number.isInteger(seconds) || seconds <= 0)
		return undefined;
	let refresher: "uac" | "uas" | undefined;
	for (const p of parts.slice(1)) {
		const [k, v] = p.split("=").map((x) => x.trim().toLowerCase());
		if (k === "refresher" && (v === "uac" || v === "uas"))
			refresher = v;
	}
	return { seconds, refresher };
}
