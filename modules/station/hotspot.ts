/*
 * Call routing of the built-in SIP server ("hotspot" mode, SPEC §4): where a
 * call placed by a registered unit goes (the station itself, another
 * extension, a group, or out through the station's account), and who rings
 * when the station's registered number is called (ring mode all,
 * extensions or host). Calls between others are bridged (bridge.ts); calls
 * for the station itself are left to the door logic.
 */
import type { Log } from "../io/types.js";
import type { Binding, Registrar } from "../sip/registrar.js";
import type { Call, CallOptions } from "../sip/ua.js";
import { Bridge } from "./bridge.js";

export interface HotspotConfig {
	ringMode: "all" | "extensions" | "host";
	groups: ReadonlyArray<{ number: string; members: readonly string[] }>;
}

export interface HotspotOptions {
	/** Places the legs (the user agent's call). */
	dial(destination: string, options: CallOptions): Call | undefined;
	registrar(): Registrar | undefined;
	config: HotspotConfig;
	/** A leg won a call the station was ringing for too (ring mode all): the door logic lets it go. */
	onBridged?(caller: Call): void;
	log?: Log;
}

/** The SIP user part of a From value, if it has one fit to be a From user again. */
function userOf(nameAddr: string): string | undefined {
	const m = /<?sips?:([^@;>:]+)@/.exec(nameAddr);
	return m && /^[A-Za-z0-9_.!~*'()&=+$,;?/%-]+$/.test(m[1]) ? m[1] : undefined;
}

function displayOf(nameAddr: string): string | undefined {
	const m = /^\s*"((?:[^"\\]|\\.)*)"/.exec(nameAddr);
	return m ? m[1] : undefined;
}

export class Hotspot {
	config: HotspotConfig;
	#o: HotspotOptions;
	#bridges = new Map<Call, Bridge>();

	constructor(options: HotspotOptions) {
		this.#o = options;
		this.config = options.config;
	}

	/** Calls being bridged now (caller and legs). */
	get bridges(): Bridge[] {
		return Array.from(new Set(this.#bridges.values()));
	}

	/**
	 * A new incoming call. True when the hotspot took it: the door logic
	 * must leave it alone. False: the call is for the station (it may still
	 * ring the units too, in ring mode all).
	 */
	incoming(call: Call): boolean {
		const registrar = this.#o.registrar();
		if (!registrar)
			return false;
		if (call.subscriber !== undefined)
			return this.#fromUnit(call, registrar);
		if (call.account === undefined || this.config.ringMode === "host")
			return false;
		// the station's registered number was called: ring the units too, or instead
		const units = registrar.bindings;
		if (!units.length)
			return false;
		const all = this.config.ringMode === "all";
		this.#fork(call, units, all);
		return !all;
	}

	/** Every call state: the bridges follow their calls. */
	callState(call: Call): void {
		this.#bridges.get(call)?.callState(call);
	}

	#fromUnit(call: Call, registrar: Registrar): boolean {
		const dialled = call.dialled;
		if (dialled === "" || dialled === registrar.hostExtension)
			return false;	// the door itself: the station answers as for any call
		const self = registrar.lookup(call.subscriber!);
		const group = this.config.groups.find((g) => g.number === dialled);
		if (group) {
			const members: Binding[] = [];
			for (const m of group.members) {
				const b = registrar.lookup(m);
				if (b && b !== self && members.indexOf(b) < 0)
					members.push(b);
			}
			this.#fork(call, members, false);
			return true;
		}
		if (registrar.isExtension(dialled)) {
			const b = registrar.lookup(dialled);
			if (b === self)
				call.reject(486, "Busy Here (calling yourself)");
			else
				this.#fork(call, b ? [b] : [], false);
			return true;
		}
		// anything else goes out through the station's account (Account 1, else 2)
		const bridge = this.#bridge(call, false);
		if (bridge) {
			const leg = this.#o.dial(dialled, { sdp: call.remoteSdp });
			if (leg)
				this.#add(bridge, leg);
			bridge.check();
		}
		return true;
	}

	#fork(call: Call, units: Binding[], hostRings: boolean): void {
		const bridge = this.#bridge(call, hostRings);
		if (!bridge)
			return;
		const from = call.subscriber !== undefined ? this.#o.registrar()?.lookup(call.subscriber)?.extension : userOf(call.remote);
		const displayName = displayOf(call.remote);
		for (const unit of units) {
			const leg = this.#o.dial(unit.user, { sdp: call.remoteSdp, fromUser: from, displayName });
			if (leg)
				this.#add(bridge, leg);
		}
		bridge.check();
	}

	#bridge(call: Call, hostRings: boolean): Bridge | undefined {
		if (!call.remoteSdp) {
			// a late offer (INVITE without SDP) cannot be passed on before the far end answers
			if (!hostRings)
				call.reject(488, "Not Acceptable Here (an SDP offer is needed to bridge)");
			return undefined;
		}
		const bridge = new Bridge(call, {
			hostRings,
			onBridged: (b) => {
				if (hostRings)
					this.#o.onBridged?.(b.caller);
			},
			onEnd: (b) => {
				this.#bridges.delete(b.caller);
				for (const leg of b.legs)
					this.#bridges.delete(leg);
			},
			log: this.#o.log,
		});
		this.#bridges.set(call, bridge);
		return bridge;
	}

	#add(bridge: Bridge, leg: Call): void {
		bridge.add(leg);
		this.#bridges.set(leg, bridge);
		if (leg.state === "ended")
			bridge.callState(leg);	// it failed at once (nowhere to send it)
	}
}
