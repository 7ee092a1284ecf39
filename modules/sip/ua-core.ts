/*
 * The user agent core's shared state (internal): what RFC 3261 §8 asks of
 * every user agent, held once for the role modules that implement the rest.
 * The call and dialog tables (§12), the capabilities a UAS announces (§8.2.2,
 * §11: Allow, Accept, Supported), a call's state changes and its end, the
 * ring limit, and the guard that keeps an exception inside a callback.
 *
 * Internal: UserAgent (ua.ts) creates one UaCore and one object per role
 * (invite-client, invite-server, in-dialog, session-timer), once, and the
 * roles reach each other through it. Nothing here is per call or per packet.
 * The door logic never sees it.
 */
import type { Call, CallState } from "./call.js";
import type { InDialog } from "./in-dialog.js";
import type { InviteClient } from "./invite-client.js";
import type { InviteServer } from "./invite-server.js";
import type { SipMessage } from "./message.js";
import type { AccountConfig, RegistrationStatus } from "./registration.js";
import type { Registrar } from "./registrar.js";
import type { LocalMedia } from "./sdp.js";
import type { HeaderList } from "./serialize.js";
import type { SessionTimerConfig, SessionTimers } from "./session-timer.js";
import type { SourceLimitOptions } from "./source-limit.js";
import type { SipStack, StackOptions } from "./stack.js";
import type { Source, Target } from "./transport.js";
import type { UasCapabilities } from "./uas-checks.js";
import type { UserAgent } from "./ua.js";
import type { LogLimit } from "../events/log-limit.js";
import { SipUri, parseUri } from "./uri.js";

export interface UserAgentOptions extends Omit<StackOptions, "onRequest" | "onStrayResponse" | "onAdmit"> {
	accounts: AccountConfig[];
	/** Local media for a new call: address, an RTP port, codecs. */
	media: (callId: string) => LocalMedia;
	sessionTimer?: SessionTimerConfig;
	maxCalls?: number;
	/** An unanswered call ends after this many ms (incoming: 480, outgoing: CANCEL); the door's Dial In/Out Time is usually shorter. */
	maxRingTime?: number;
	/** A new incoming call: ring(), answer() or reject() it. */
	onIncomingCall(call: Call): void;
	onCallState?(call: Call): void;
	onDtmf?(call: Call, digit: string, method: "info"): void;
	onRegistration?(status: RegistrationStatus): void;
	/** The built-in registrar: REGISTER requests are answered by it (absent: 405). */
	registrar?: Registrar;
	/** Decide on an incoming request before anything rings ("Prevent SIP hacking"): return a status to refuse it. */
	screen?(request: SipMessage, source: Source): number | undefined;
	/**
	 * Is a direct caller at this source one the installer allows (the
	 * whitelist)? Calls through an account's server and from the built-in
	 * server's units are trusted anyway. Untrusted callers get no reserved
	 * call slot, their requests share a flood budget, and their media is
	 * sent only where the signalling came from or after they sent RTP.
	 */
	trusted?(request: SipMessage, source: Source): boolean;
	/** Budgets for new requests from untrusted addresses (see SourceLimit). */
	limits?: Omit<SourceLimitOptions, "clock">;
}

export const STATION_METHODS: readonly string[] = Object.freeze(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE"]);

export function capabilities(sessionTimer: boolean, registrar = false): UasCapabilities {
	return {
		methods: registrar ? STATION_METHODS.concat("REGISTER") : STATION_METHODS,
		schemes: ["sip", "sips"],
		extensions: sessionTimer ? ["timer"] : [],
		contentTypes: ["application/sdp", "application/dtmf-relay", "application/dtmf"],
	};
}

/**
 * Where requests to a unit of the built-in server go. Over TCP/TLS on the
 * unit's own connection; over UDP to its contact when the unit sent from
 * that address, else (behind NAT) to the address and port it sent from.
 */
export function unitFlow(contact: string, source: Source): Target {
	if (source.transport === "UDP") {
		try {
			const uri = parseUri(contact);
			if (uri instanceof SipUri && uri.host === source.address)
				return { transport: "UDP", address: source.address, port: uri.port ?? 5060 };
		}
		catch { /* the source then */ }
	}
	return { transport: source.transport, address: source.address, port: source.port };
}

/** Ended calls whose dialogs are kept for late requests (64*T1 each), at most. */
export const MAX_LINGERING = 8;

/** @internal The core the role modules share; one per UserAgent. */
export class UaCore {
	readonly ua: UserAgent;
	readonly stack: SipStack;
	/** Replaced as a whole when the registrar or the session timer settings change. */
	options: UserAgentOptions;
	caps: UasCapabilities;
	maxCalls: number;
	readonly calls = new Map<string, Call>();	// by Call-ID
	readonly dialogs = new Map<string, Call>();	// by dialog key
	/** Ended calls' dialogs kept for late requests: their timers, so that stopping ends them too. */
	#lingering = new Map<string, unknown>();
	readonly logLimit: LogLimit;
	/* the roles, set once by UserAgent right after this is made */
	client!: InviteClient;
	server!: InviteServer;
	inDialog!: InDialog;
	sessionTimer!: SessionTimers;

	constructor(ua: UserAgent, stack: SipStack, options: UserAgentOptions, logLimit: LogLimit) {
		this.ua = ua;
		this.stack = stack;
		this.options = options;
		this.maxCalls = options.maxCalls ?? 4;
		this.caps = capabilities(options.sessionTimer?.enabled ?? false, options.registrar !== undefined);
		this.logLimit = logLimit;
	}

	/** Run a callback's work; an exception is logged (rate-limited) and goes no further. */
	guard(fn: () => void): void {
		try {
			fn();
		}
		catch (e) {
			this.logLimit.note("ua error", "sip: ua error: " + (e instanceof Error ? e.message : String(e)));
		}
	}

	/** Allow, Accept and Supported: what we can do (OPTIONS, §11.2). */
	capabilityHeaders(): HeaderList {
		const h: HeaderList = [["Allow", this.caps.methods.join(", ")], ["Accept", this.caps.contentTypes.join(", ")]];
		if (this.caps.extensions.length)
			h.push(["Supported", this.caps.extensions.join(", ")]);
		return h;
	}

	/** No call rings forever ("stuck in ringing"): past maxRingTime it is refused (480) or cancelled. */
	ringLimit(call: Call): void {
		call.timers[3] = this.stack.clock.set(() => this.guard(() => {
			if (call.state === "calling" || call.state === "ringing")
				this.ua.hangup(call, "timeout");
		}), this.options.maxRingTime ?? 120000);
	}

	state(call: Call, state: CallState): void {
		call.state = state;
		this.options.onCallState?.(call);
	}

	/** The call is over: its timers stop, it leaves the call table, its dialog stays 64*T1 for late requests. */
	end(call: Call, reason: string, status = 0): void {
		if (call.state === "ended")
			return;
		for (const id of call.timers) {
			if (id !== undefined)
				this.stack.clock.clear(id);
		}
		call.timers = [];
		call.serverTx = undefined;
		call.endReason = reason;
		call.status = status;
		call.endedAt = this.stack.clock.now();
		this.calls.delete(call.id);
		if (call.dialog) {
			const key = call.dialog.key;
			// keep the dialog briefly so a late BYE/ACK still matches (absorbs retransmissions), then forget it
			const old = this.#lingering.get(key);
			if (old !== undefined)
				this.stack.clock.clear(old);
			this.#lingering.delete(key);
			// a bounded number of them: each holds its ended call (about 2 KB of a panel's slots), and
			// calls ending faster than 64*T1 would otherwise fill the heap (seen on ESP32 code in QEMU).
			// The oldest goes first; its BYE's answer stays in the transactions' retransmission cache.
			if (this.#lingering.size >= MAX_LINGERING) {
				const [oldestKey, oldestTimer] = this.#lingering.entries().next().value as [string, unknown];
				this.stack.clock.clear(oldestTimer);
				this.#lingering.delete(oldestKey);
				const ended = this.dialogs.get(oldestKey);
				if (ended && ended.state === "ended")
					this.dialogs.delete(oldestKey);
			}
			this.#lingering.set(key, this.stack.clock.set(() => {
				this.#lingering.delete(key);
				if (this.dialogs.get(key) === call)
					this.dialogs.delete(key);
			}, 64 * this.stack.transactions.timers.T1));
		}
		this.state(call, "ended");
	}

	/** Stop: the ended calls' dialogs are forgotten now, and no timer of theirs outlives the user agent. */
	close(): void {
		for (const id of this.#lingering.values())
			this.stack.clock.clear(id);
		this.#lingering.clear();
		this.dialogs.clear();
	}
}

/** @internal A role of the user agent core (invite-client, invite-server, in-dialog, session-timer): made once per UserAgent; it reaches the tables and the other roles through core. */
export class UaRole {
	protected readonly core: UaCore;

	constructor(core: UaCore) {
		this.core = core;
	}
}
