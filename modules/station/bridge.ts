/*
 * One call bridged to others through the station (the built-in server acting
 * as a back-to-back user agent): the caller's leg is forked to one or more
 * legs; the first to answer wins, the caller is answered with its SDP and
 * every other leg is cancelled (RFC 3261 §16.7 behaviour for a forking
 * element, done with two dialogs). From then on a BYE on either side ends
 * the other. Media flows between the two ends: the SDP is passed through
 * untouched, the station's RTP is not in the path.
 *
 * The bridge sees calls and their states only, like the rest of the door
 * logic; the user agent does the SIP.
 */
import type { Log } from "../io/types.js";
import type { Call } from "../sip/ua.js";

export interface BridgeOptions {
	/** The station rings too (ring mode "all"): the caller is not refused when every leg fails. */
	hostRings?: boolean;
	/** A leg won: the caller is now bridged to it. */
	onBridged?(bridge: Bridge): void;
	/** Every call of the bridge has ended. */
	onEnd?(bridge: Bridge): void;
	log?: Log;
}

export class Bridge {
	readonly caller: Call;
	readonly legs: Call[] = [];
	winner: Call | undefined;
	#o: BridgeOptions;

	constructor(caller: Call, options: BridgeOptions = {}) {
		this.caller = caller;
		this.#o = options;
	}

	/** A new leg (an outgoing call offering the caller's SDP). */
	add(leg: Call): void {
		this.legs.push(leg);
	}

	get ended(): boolean {
		return this.caller.state === "ended" && this.legs.every((l) => l.state === "ended");
	}

	/** Every state change of the caller or a leg. */
	callState(call: Call): void {
		if (call === this.caller)
			this.#callerState();
		else if (this.legs.indexOf(call) >= 0)
			this.#legState(call);
		if (this.ended)
			this.#o.onEnd?.(this);
	}

	/** Fail when no leg could even be placed. */
	check(): void {
		if (this.legs.length === 0 && !this.#o.hostRings && this.caller.state !== "ended")
			this.caller.reject(480, "Temporarily Unavailable (nobody to ring)");
	}

	#callerState(): void {
		const state = this.caller.state;
		// the station answered itself (ring mode all), or the caller gave up: stop the legs
		if ((state === "answered" && !this.winner) || state === "ended")
			for (const leg of this.legs) {
				if (leg !== this.winner || state === "ended")
					leg.hangup();
			}
	}

	#legState(leg: Call): void {
		const caller = this.caller;
		switch (leg.state) {
			case "ringing":
				caller.ring();	// 180 once: ring() only acts while the caller is still "calling"
				return;
			case "answered":
				if (this.winner || (caller.state !== "calling" && caller.state !== "ringing")) {
					leg.hangup();	// a later answer, or nobody to bridge to: BYE
					return;
				}
				this.winner = leg;
				caller.answer(leg.remoteSdp);
				for (const other of this.legs) {
					if (other !== leg)
						other.hangup();	// CANCEL the others (§16.7 step 10, as a proxy would)
				}
				this.#o.log?.(`station: ${caller.remote} bridged to ${leg.remote}`);
				this.#o.onBridged?.(this);
				return;
			case "ended":
				if (leg === this.winner) {
					caller.hangup();
					return;
				}
				if (!this.winner && !this.#o.hostRings && this.legs.every((l) => l.state === "ended"))
					caller.reject(refusalOf(this.legs));
				return;
		}
	}
}

/** What the caller hears when no leg answered: busy if one was busy, declined if one declined, else unavailable. */
function refusalOf(legs: Call[]): number {
	if (legs.some((l) => l.status === 486 || l.status === 600))
		return 486;
	if (legs.some((l) => l.status === 603))
		return 603;
	return 480;
}
