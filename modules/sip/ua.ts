/*
 * The user agent core (RFC 3261 §8, §12-§15) for a door station: two
 * accounts, incoming and outgoing calls with offer/answer, CANCEL, BYE,
 * re-INVITE and UPDATE, INFO (DTMF), OPTIONS, session timers (RFC 4028), and
 * the right answer to everything else. The door logic sits on top and only
 * sees calls; it never sees SIP messages.
 *
 * This file is the core itself: the accounts, the budgets that admit a
 * request (RFC 3261 §8.2 begins here), the request path from the stack to
 * the role that handles it, stateless answers (§8.2.7) and the hand-off to
 * the built-in registrar. The roles, one file each, share a UaCore
 * (ua-core.ts: the call and dialog tables, a call's state and end):
 *   invite-client.ts   calls we place (§13.2, §9.1)
 *   invite-server.ts   calls we receive (§13.3, §9.2)
 *   in-dialog.ts       requests within a dialog (§12.2, §14, §15; INFO, UPDATE)
 *   session-timer.ts   session timers (RFC 4028)
 *
 * Bounded: a limited number of calls (busy beyond), transactions and
 * connections are bounded below. Every timer is on the injected clock.
 */
import { Call, type CallOptions } from "./call.js";
import { Dialog } from "./dialog.js";
import { InDialog } from "./in-dialog.js";
import { InviteClient } from "./invite-client.js";
import { InviteServer } from "./invite-server.js";
import type { SipMessage } from "./message.js";
import { type AccountConfig, Registration } from "./registration.js";
import type { Binding, Registrar } from "./registrar.js";
import { createResponse } from "./serialize.js";
import { type SessionTimerConfig, SessionTimers } from "./session-timer.js";
import { SipStack, type RequestSpec } from "./stack.js";
import type { Admission, ServerTransaction } from "./transactions.js";
import type { Source, Target } from "./transport.js";
import { checkRequest } from "./uas-checks.js";
import { UaCore, type UserAgentOptions, capabilities, unitFlow } from "./ua-core.js";
import { SourceLimit } from "./source-limit.js";
import { LogLimit } from "../events/log-limit.js";

export { Call, type CallOptions, type CallState } from "./call.js";
export { directIp } from "./invite-client.js";
export { RESERVED_CALLS } from "./invite-server.js";
export type { SessionTimerConfig } from "./session-timer.js";
export { STATION_METHODS, type UserAgentOptions, unitFlow } from "./ua-core.js";

function sameAccount(a: AccountConfig, b: AccountConfig): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

export class UserAgent {
	readonly stack: SipStack;
	#registrations: Registration[];
	#started = false;
	#core: UaCore;
	#limits: SourceLimit;

	constructor(options: UserAgentOptions) {
		this.#limits = new SourceLimit({ clock: options.clock, ...options.limits });
		const log = options.log ?? (() => {});
		const logLimit = new LogLimit({ clock: options.clock, log });
		this.stack = new SipStack({
			...options,
			onRequest: (request, source, tx) => this.#core.guard(() => this.#request(request, source, tx)),
			onAdmit: (request, source) => this.#admit(request, source),
			onMalformed: (error, _bytes, source) => this.#core.guard(() => {
				// a request read far enough to be answered gets the status and the reason (400, 505)
				const partial = error.partial as SipMessage | undefined;
				if (partial?.isRequest && partial.method !== "ACK" && this.#admitSource(source))
					this.#stateless(partial, source, error.status, error.reason);
			}),
			onStrayResponse: (response) => this.#core.guard(() => this.#core.client.strayResponse(response)),
		});
		const core = this.#core = new UaCore(this, this.stack, options, logLimit);
		core.client = new InviteClient(core);
		core.server = new InviteServer(core);
		core.inDialog = new InDialog(core);
		core.sessionTimer = new SessionTimers(core);
		this.#registrations = options.accounts.map((a) => new Registration(this.stack, a, options.onRegistration));
		this.stack.onConnectionLost = (lost) => this.#core.guard(() => {
			for (const r of this.registrations)
				r.flowLost(lost);
		});
	}

	get calls(): Call[] {
		return Array.from(this.#core.calls.values());
	}

	/** Dialogs kept (calls, and ended ones absorbing late requests for 64*T1). */
	get dialogCount(): number {
		return this.#core.dialogs.size;
	}

	/** Addresses whose flood budget is being tracked. */
	get trackedSources(): number {
		return this.#limits.size;
	}

	get registrations(): readonly Registration[] {
		return this.#registrations;
	}

	start(): void {
		this.#started = true;
		for (const r of this.registrations)
			r.start();
	}

	/**
	 * New account settings (from the configuration page): an account whose
	 * settings changed is un-REGISTERed and registered again with the new
	 * ones; an unchanged one keeps its binding.
	 */
	setAccounts(accounts: AccountConfig[]): void {
		this.#registrations = accounts.map((config) => {
			const old = this.#registrations.find((r) => r.config.id === config.id);
			if (old && sameAccount(old.config, config))
				return old;
			old?.stop();
			const fresh = new Registration(this.stack, config, this.#core.options.onRegistration);
			if (this.#started)
				fresh.start();
			return fresh;
		});
	}

	/** How many calls at once (beyond, incoming calls get 486 and call() returns undefined). */
	set maxCalls(n: number) {
		this.#core.maxCalls = n;
	}

	/** The built-in registrar (undefined: REGISTER is refused with 405). */
	set registrar(registrar: Registrar | undefined) {
		const core = this.#core;
		core.options = { ...core.options, registrar };
		core.caps = capabilities(core.options.sessionTimer?.enabled ?? false, registrar !== undefined);
	}

	get registrar(): Registrar | undefined {
		return this.#core.options.registrar;
	}

	/** Session timer settings for calls from now on. */
	set sessionTimer(config: SessionTimerConfig | undefined) {
		const core = this.#core;
		core.options = { ...core.options, sessionTimer: config };
		core.caps = capabilities(config?.enabled ?? false, core.options.registrar !== undefined);
	}

	/** Un-REGISTER every account, end every call, then close the sockets. */
	stop(done?: () => void): void {
		this.#started = false;
		for (const call of this.calls)
			this.hangup(call, "shutdown");
		let pending = this.registrations.length;
		const finish = () => {
			this.stack.close();
			this.#core.logLimit.close();
			this.#core.close();
			done?.();
		};
		if (pending === 0) {
			finish();
			return;
		}
		for (const r of this.registrations)
			r.stop(() => {
				if (--pending === 0)
					finish();
			});
	}

	/**
	 * The registered account whose server (or proxy) a request came from: the
	 * same address and port its REGISTER went to (a server sends from the
	 * socket it listens on; over TCP/TLS the request arrives on that flow).
	 * Anything else is a direct IP call, even from the server's machine.
	 */
	accountOf(source: Source): Registration | undefined {
		return this.registrations.find((r) => r.status.registered && r.target?.address === source.address &&
			(r.target.port === source.port || (source.connection !== undefined && source.connection.outgoing)));
	}

	/** Account 1 while registered, else Account 2 while registered, else none (§1: Account 1 is the default). */
	defaultAccount(): Registration | undefined {
		return this.registrations.find((r) => r.config.enabled && r.status.registered);
	}

	/* ---------- budgets ---------- */

	/**
	 * May a new request make state here? Always, and never refused for lack
	 * of room ("known"), for an account's server, a registered unit and
	 * requests within a dialog or cancelling a pending INVITE; anyone else's
	 * spends its source's budget and the shared one (SourceLimit), and meets
	 * the live table's cap ("stranger").
	 */
	#admit(request: SipMessage, source: Source): Admission {
		try {
			if (this.#known(source))
				return "known";
			const method = request.method;
			if (method === "CANCEL" && this.stack.transactions.findInvite(request) !== undefined)
				return "known";
			const toTag = request.toTag();
			if (method !== "CANCEL" && toTag !== undefined && this.#core.dialogs.has(Dialog.key(request.callId(), toTag, request.fromTag() ?? "")))
				return "known";
		}
		catch {
			// unreadable: it spends the budget like any stranger's request
		}
		return this.#admitSource(source) ? "stranger" : "drop";
	}

	#admitSource(source: Source): boolean {
		if (this.#limits.take(source.address))
			return true;
		this.#core.logLimit.note("flood " + source.address, "sip: too many requests from " + source.address + ", dropping them");
		return false;
	}

	/** An account's server (its registration target) or a unit registered from this address. */
	#known(source: Source): boolean {
		const registrations = this.#registrations;
		for (let i = 0; i < registrations.length; i++) {
			if (registrations[i].target?.address === source.address)
				return true;
		}
		const registrar = this.#core.options.registrar;
		if (registrar) {
			for (const b of registrar.bindings) {
				if (b.source.address === source.address)
					return true;
			}
		}
		return false;
	}

	/* ---------- incoming requests ---------- */

	/**
	 * An admitted request, matched to its server transaction: within a dialog
	 * it goes to the in-dialog role; otherwise checked (§8.2.1-§8.2.3),
	 * authenticated when a unit of the built-in server calls, screened, and
	 * handed to the role for its method.
	 */
	#request(request: SipMessage, source: Source, tx: ServerTransaction | undefined): void {
		const core = this.#core;
		const method = request.method!;
		let toTag: string | undefined;
		try {
			toTag = request.toTag();
		}
		catch {
			toTag = undefined;
		}
		if (!tx && method !== "ACK") {
			// too broken to match a transaction (no usable Via, Call-ID, CSeq...), within a dialog
			// or not: answer statelessly if it can be routed
			const refusal = checkRequest(request, core.caps);
			this.#stateless(request, source, refusal?.status ?? 400, refusal?.reason);
			return;
		}
		if (toTag !== undefined && method !== "CANCEL") {
			core.inDialog.receive(request, tx, toTag);
			return;
		}
		if (method === "ACK" || !tx)
			return;	// an ACK outside any dialog: nothing to answer
		const refusal = checkRequest(request, core.caps);
		if (refusal) {
			tx.refuse(refusal.status, { reason: refusal.reason, headers: refusal.headers, toTag: this.stack.tag() });
			return;
		}
		let subscriber: string | undefined;
		if (method === "INVITE" && core.options.registrar && !this.accountOf(source)) {
			// a call placed by a unit of the built-in server: it authenticates like its REGISTER (§22.3)
			const caller = core.options.registrar.caller(request, source);
			if (caller && "answer" in caller) {
				tx.refuse(caller.answer.status, { toTag: this.stack.tag(), reason: caller.answer.reason, headers: caller.answer.headers });
				return;
			}
			subscriber = caller?.user;
		}
		if (core.options.screen && subscriber === undefined) {
			const status = core.options.screen(request, source);
			if (status) {
				// refused before anything rings, and kept only in the retransmission cache
				tx.refuse(status, { toTag: this.stack.tag() });
				core.logLimit.note("refused " + source.address, `sip: ${method} from ${source.address} refused (${status})`);
				return;
			}
		}
		switch (method) {
			case "INVITE":
				core.server.invite(request, source, tx, subscriber);
				return;
			case "CANCEL":
				core.server.cancel(request, tx);
				return;
			case "OPTIONS":
				tx.respondStateless(200, { toTag: this.stack.tag(), headers: core.capabilityHeaders() });	// needs no state (§11.2)
				return;
			case "REGISTER":
				if (core.options.registrar) {
					const answer = core.options.registrar.handle(request, source);
					tx.respond(answer.status, { toTag: this.stack.tag(), reason: answer.reason, headers: answer.headers });
					return;
				}
				break;
		}
		// BYE, INFO, UPDATE need a dialog
		tx.refuse(481, { toTag: this.stack.tag() });
	}

	/**
	 * Answer without a transaction (RFC 3261 §8.2.7): a request too broken to
	 * match one. When a Via below the top one does not parse, the Vias are
	 * copied as they came (without received/rport) and the answer goes back
	 * to the source address and port.
	 */
	#stateless(request: SipMessage, source: Source, status: number, reason?: string): void {
		const transport = this.stack.transport;
		let bytes: Uint8Array;
		try {
			bytes = createResponse(request, status, { reason, vias: transport.responseVias(request, source), toTag: this.stack.tag() });
		}
		catch {
			try {
				bytes = createResponse(request, status, { reason, toTag: this.stack.tag() });
			}
			catch {
				return;	// not even the raw headers can be copied: nothing to answer with
			}
		}
		try {
			let target: Target = { transport: source.transport, address: source.address, port: source.port };
			let connection = source.connection;
			try {
				({ target, connection } = transport.responseTarget(request, source));
			}
			catch { /* no readable top Via: back where it came from */ }
			transport.send(bytes, target, undefined, connection);
		}
		catch {
			// the transport refused it: nothing else to do
		}
	}

	/* ---------- calls: what the door asks for ---------- */

	/**
	 * Call a number, a SIP URI or an IP address (direct IP call, `192*168*1*5`
	 * keypad form too). The account is the one named, else the default one;
	 * IP addresses go direct when no account is named.
	 */
	call(destination: string, options: CallOptions = {}): Call | undefined {
		return this.#core.client.call(destination, options);
	}

	ring(call: Call): void {
		this.#core.server.ring(call);
	}

	answer(call: Call): void {
		this.#core.server.answer(call);
	}

	reject(call: Call, status: number, reason?: string): void {
		this.#core.server.reject(call, status, reason);
	}

	/** End a call: BYE once answered; before, an incoming call is refused (480, 503 on shutdown) and an outgoing one cancelled. */
	hangup(call: Call, why: string): void {
		const core = this.#core;
		if (call.state === "ended")
			return;
		if (call.state === "answered") {
			core.inDialog.byeAndEnd(call, why);
			return;
		}
		if (call.direction === "incoming") {
			call.serverTx?.respond(why === "shutdown" ? 503 : 480, { toTag: call.localTag });
			core.end(call, why);
			return;
		}
		// outgoing, not answered: CANCEL once a provisional response arrived (§9.1)
		call.cancelWanted = true;
		core.client.cancel(call);
		core.end(call, why);
	}

	info(call: Call, contentType: string, body: string): void {
		this.#core.inDialog.info(call, contentType, body);
	}

	/* ---------- the built-in registrar ---------- */

	/**
	 * Ask a unit of the built-in server to reboot (and fetch its settings
	 * again): the unsolicited NOTIFY with `Event: check-sync;reboot=true`
	 * that SIP phones and indoor units take for a remote reboot.
	 */
	checkSync(binding: Binding): void {
		const flow = unitFlow(binding.contact, binding.source);
		const host = this.#core.options.registrar?.hostExtension ?? "door";
		const spec: RequestSpec = {
			method: "NOTIFY", uri: binding.contact, from: "<sip:" + host + "@" + this.stack.host + ">;tag=" + this.stack.tag(),
			to: "<sip:" + binding.user + "@" + this.stack.host + ">", callId: this.stack.callId(), cseq: 1,
			headers: [["Event", "check-sync;reboot=true"], ["Subscription-State", "terminated"]], body: "",
		};
		this.stack.send(spec, flow, {
			onResponse: (response) => this.stack.log(`sip: check-sync to ${binding.user}: ${response.status}`),
			onFailure: (status) => this.stack.log(`sip: check-sync to ${binding.user}: ${status}`),
		});
	}
}
