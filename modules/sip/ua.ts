/*
 * The user agent core (RFC 3261 §8, §12-§15) for a door station: two
 * accounts, incoming and outgoing calls with offer/answer, CANCEL, BYE,
 * re-INVITE and UPDATE, INFO (DTMF), OPTIONS, session timers (RFC 4028), and
 * the right answer to everything else. The door logic sits on top and only
 * sees calls; it never sees SIP messages.
 *
 * Bounded: a limited number of calls (busy beyond), transactions and
 * connections are bounded below. Every timer is on the injected clock.
 */
import { Dialog, routeSet } from "./dialog.js";
import { H } from "./names.js";
import type { SipMessage } from "./message.js";
import { type AccountConfig, Registration, type RegistrationStatus } from "./registration.js";
import type { Binding, Registrar } from "./registrar.js";
import { type AudioSession, type LocalMedia, type SessionDescription, acceptAnswer, createAnswer, createOffer, parseSdp } from "./sdp.js";
import { type HeaderList, type OutgoingRequest, createResponse } from "./serialize.js";
import { SipStack, type RequestSpec, type StackOptions } from "./stack.js";
import type { ClientTransaction, ServerTransaction } from "./transactions.js";
import type { Source, Target, TransportName } from "./transport.js";
import { type UasCapabilities, checkRequest } from "./uas-checks.js";
import { decodeText } from "./text.js";
import { SipUri, parseUri } from "./uri.js";
import type { DigestClient, DigestCredentials } from "./digest.js";
import { SourceLimit, type SourceLimitOptions } from "./source-limit.js";
import { LogLimit } from "../events/log-limit.js";

export interface SessionTimerConfig {
	enabled: boolean;
	/** Session-Expires we ask for, seconds (RFC 4028; 90-7200). */
	expires: number;
	/** Smallest interval we accept. */
	minSE: number;
	refresher: "uac" | "uas";
}

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

/** Call slots kept for trusted calls (an account's server, a unit, a call out): untrusted callers never take them. */
export const RESERVED_CALLS = 2;

export type CallState = "calling" | "ringing" | "answered" | "ended";

export interface CallOptions {
	/** The account to call through ("1", "2"); absent: a registered unit, an IP address, or the default account. */
	account?: string;
	/** SDP to offer as it is (a bridged call): the station's own media is not used; "" offers none. */
	sdp?: string;
	/** The From user of a call that goes through no account (default: the station, "door" or the host extension). */
	fromUser?: string;
	displayName?: string;
}

export const STATION_METHODS: readonly string[] = Object.freeze(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE"]);

function capabilities(sessionTimer: boolean, registrar = false): UasCapabilities {
	return {
		methods: registrar ? STATION_METHODS.concat("REGISTER") : STATION_METHODS,
		schemes: ["sip", "sips"],
		extensions: sessionTimer ? ["timer"] : [],
		contentTypes: ["application/sdp", "application/dtmf-relay", "application/dtmf"],
	};
}

/* ------------------------------------------------------------------ */

export class Call {
	readonly id: string;
	readonly direction: "incoming" | "outgoing";
	/** The peer: From of an incoming call, To of an outgoing one. */
	readonly remote: string;
	readonly account: string | undefined;
	readonly startedAt: number;
	state: CallState = "calling";
	answeredAt = 0;
	endedAt = 0;
	/** Why the call ended: "local", "remote", a SIP status, "timeout", "session-expired"... */
	endReason = "";
	/** The final status of an outgoing call that was not answered. */
	status = 0;
	audio: AudioSession | undefined;
	/** An incoming call's Request-URI user: the number the caller dialled. */
	dialled = "";
	/** The built-in server's unit of the call: the one that placed an incoming call (authenticated, registered), or the one an outgoing call rings. */
	subscriber: string | undefined;
	/**
	 * Our side's SDP, passed through as it is (a call the station bridges to
	 * another: the other leg's offer or answer); the station's own media is
	 * not used for such a call.
	 */
	sdp: string | undefined;
	/** The peer's SDP as received, until the call is answered (a bridge passes it on). */
	remoteSdp = "";
	/** @internal */ ua: UserAgent;
	/** @internal */ dialog: Dialog | undefined;
	/** @internal */ local: LocalMedia;
	/** @internal */ serverTx: ServerTransaction | undefined;
	/** @internal */ inviteTx: ClientTransaction | undefined;
	/** @internal */ offer: SessionDescription | undefined;
	/** @internal */ localTag: string;
	/** @internal */ timers: unknown[] = [];
	/** @internal */ cancelWanted = false;
	/** @internal */ sessionExpires = 0;
	/** @internal */ refresher: "local" | "remote" | "" = "";
	/** @internal */ auth: { credentials: DigestCredentials; digest: DigestClient } | undefined;
	/** @internal Where every request of this call goes (a unit of the built-in server). */ flow: Target | undefined;
	/**
	 * The caller is one the station trusts: an account's server, a unit of
	 * the built-in server, an address the installer allowed; every call the
	 * station places itself. Only trusted calls are auto-answered (direct IP)
	 * and may open a door by DTMF.
	 */
	trusted = true;
	/** Where an incoming call's signalling came from (RTP to anywhere else waits for RTP from there, RFC 4961). */
	signalAddress = "";

	constructor(ua: UserAgent, o: { id: string; direction: "incoming" | "outgoing"; remote: string; account?: string; local: LocalMedia; localTag: string }) {
		this.ua = ua;
		this.id = o.id;
		this.direction = o.direction;
		this.remote = o.remote;
		this.account = o.account;
		this.local = o.local;
		this.localTag = o.localTag;
		this.startedAt = ua.stack.clock.now();
	}

	/** An outgoing call heard from the next hop (any response, 100 Trying too). */
	get heard(): boolean {
		return this.inviteTx !== undefined;
	}

	/** @internal Answered, and everyone told: what only offer/answer needed is let go (heap per call). */
	settled(): void {
		this.offer = undefined;
		this.remoteSdp = "";
	}

	/** Send 180 Ringing (incoming calls). */
	ring(): void {
		this.ua.ring(this);
	}
	/** Answer with 200 and our SDP, or the SDP given (a bridged call: the other leg's answer). */
	answer(sdp?: string): void {
		if (sdp !== undefined)
			this.sdp = sdp;
		this.ua.answer(this);
	}
	/** Refuse an incoming call that is not answered yet (486 Busy Here by default). */
	reject(status = 486, reason?: string): void {
		this.ua.reject(this, status, reason);
	}
	/** End the call: CANCEL before an answer (outgoing), refuse (incoming), BYE after. */
	hangup(): void {
		this.ua.hangup(this, "local");
	}
	/** Send INFO in the dialog (e.g. application/dtmf-relay). */
	info(contentType: string, body: string): void {
		this.ua.info(this, contentType, body);
	}
}

/* ------------------------------------------------------------------ */

function sameAccount(a: AccountConfig, b: AccountConfig): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

export class UserAgent {
	readonly stack: SipStack;
	#registrations: Registration[];
	#started = false;
	#options: UserAgentOptions;
	#calls = new Map<string, Call>();	// by Call-ID
	#dialogs = new Map<string, Call>();	// by dialog key
	#caps: UasCapabilities;
	#maxCalls: number;
	#limits: SourceLimit;
	#logLimit: LogLimit;

	constructor(options: UserAgentOptions) {
		this.#options = options;
		this.#maxCalls = options.maxCalls ?? 4;
		this.#caps = capabilities(options.sessionTimer?.enabled ?? false, options.registrar !== undefined);
		this.#limits = new SourceLimit({ clock: options.clock, ...options.limits });
		const log = options.log ?? (() => {});
		this.#logLimit = new LogLimit({ clock: options.clock, log });
		this.stack = new SipStack({
			...options,
			onRequest: (request, source, tx) => this.#guard(() => this.#request(request, source, tx)),
			onAdmit: (request, source) => this.#admit(request, source),
			onMalformed: (error, _bytes, source) => this.#guard(() => {
				// a request read far enough to be answered gets the status and the reason (400, 505)
				const partial = error.partial as SipMessage | undefined;
				if (partial?.isRequest && partial.method !== "ACK" && this.#admitSource(source))
					this.#stateless(partial, source, error.status, error.reason);
			}),
			onStrayResponse: (response) => this.#guard(() => this.#strayResponse(response)),
		});
		this.#registrations = options.accounts.map((a) => new Registration(this.stack, a, options.onRegistration));
		this.stack.onConnectionLost = (lost) => this.#guard(() => {
			for (const r of this.registrations)
				r.flowLost(lost);
		});
	}

	get calls(): Call[] {
		return Array.from(this.#calls.values());
	}

	/** Dialogs kept (calls, and ended ones absorbing late requests for 64*T1). */
	get dialogCount(): number {
		return this.#dialogs.size;
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
			const fresh = new Registration(this.stack, config, this.#options.onRegistration);
			if (this.#started)
				fresh.start();
			return fresh;
		});
	}

	/** How many calls at once (beyond, incoming calls get 486 and call() returns undefined). */
	set maxCalls(n: number) {
		this.#maxCalls = n;
	}

	/** The built-in registrar (undefined: REGISTER is refused with 405). */
	set registrar(registrar: Registrar | undefined) {
		this.#options = { ...this.#options, registrar };
		this.#caps = capabilities(this.#options.sessionTimer?.enabled ?? false, registrar !== undefined);
	}

	get registrar(): Registrar | undefined {
		return this.#options.registrar;
	}

	/** Session timer settings for calls from now on. */
	set sessionTimer(config: SessionTimerConfig | undefined) {
		this.#options = { ...this.#options, sessionTimer: config };
		this.#caps = capabilities(config?.enabled ?? false, this.#options.registrar !== undefined);
	}

	/** Un-REGISTER every account, end every call, then close the sockets. */
	stop(done?: () => void): void {
		this.#started = false;
		for (const call of this.calls)
			this.hangup(call, "shutdown");
		let pending = this.registrations.length;
		const finish = () => {
			this.stack.close();
			this.#logLimit.close();
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

	#guard(fn: () => void): void {
		try {
			fn();
		}
		catch (e) {
			this.#logLimit.note("ua error", "sip: ua error: " + (e instanceof Error ? e.message : String(e)));
		}
	}

	/* ---------- budgets ---------- */

	/**
	 * May a new request make state here? Always for an account's server, a
	 * registered unit and requests within a dialog or cancelling a pending
	 * INVITE (they must never be refused for lack of room); others spend
	 * their source's budget and the shared one (SourceLimit).
	 */
	#admit(request: SipMessage, source: Source): boolean {
		try {
			if (this.#known(source))
				return true;
			const method = request.method;
			if (method === "CANCEL")
				return this.stack.transactions.findInvite(request) !== undefined || this.#admitSource(source);
			const toTag = request.toTag();
			if (toTag !== undefined && this.#dialogs.has(Dialog.key(request.callId(), toTag, request.fromTag() ?? "")))
				return true;
		}
		catch {
			// unreadable: it spends the budget like any stranger's request
		}
		return this.#admitSource(source);
	}

	#admitSource(source: Source): boolean {
		if (this.#limits.take(source.address))
			return true;
		this.#logLimit.note("flood " + source.address, "sip: too many requests from " + source.address + ", dropping them");
		return false;
	}

	/** An account's server (its registration target) or a unit registered from this address. */
	#known(source: Source): boolean {
		for (const r of this.#registrations) {
			if (r.target?.address === source.address)
				return true;
		}
		const registrar = this.#options.registrar;
		if (registrar) {
			for (const b of registrar.bindings) {
				if (b.source.address === source.address)
					return true;
			}
		}
		return false;
	}

	/* ---------- outgoing calls ---------- */

	/**
	 * Call a number, a SIP URI or an IP address (direct IP call, `192*168*1*5`
	 * keypad form too). The account is the one named, else the default one;
	 * IP addresses go direct when no account is named.
	 */
	call(destination: string, options: CallOptions = {}): Call | undefined {
		if (this.#calls.size >= this.#maxCalls)
			return undefined;
		// a unit registered to the built-in server: straight to its binding
		const binding = options.account ? undefined : this.#options.registrar?.lookup(destination);
		if (binding)
			return this.#callBinding(binding, options);
		const direct = directIp(destination);
		let registration: Registration | undefined;
		if (options.account)
			registration = this.registrations.find((r) => r.config.id === options.account && r.status.registered);
		else if (!direct)
			registration = this.defaultAccount();
		if (!registration && !direct)
			return undefined;
		const transport: TransportName = registration?.target ? registration.target.transport : "UDP";
		let uri: string;
		let next: { host: string; port: number };
		if (registration) {
			const c = registration.config;
			uri = destination.startsWith("sip:") || destination.startsWith("sips:") ? destination : "sip:" + destination + "@" + c.server;
			const t = registration.target!;
			next = { host: t.address, port: t.port };
		}
		else {
			uri = "sip:" + direct!.host + (direct!.port ? ":" + direct!.port : "");
			next = { host: direct!.host, port: direct!.port || 5060 };
		}
		const stack = this.stack;
		const fromAor = registration ? registration.aor : "sip:" + (options.fromUser ?? "door") + "@" + stack.host;
		const { call, spec } = this.#outgoing(uri, fromAor, registration?.config.displayName ?? options.displayName, registration ? registration.config.user : options.fromUser ?? "door", transport, registration?.config.id, options.sdp);
		if (registration) {
			// the account's credentials answer challenges to the INVITE and to requests later in the dialog (BYE...)
			call.auth = { credentials: { username: registration.config.authUser || registration.config.user, password: registration.config.password }, digest: stack.newDigestClient() };
			Object.assign(spec, call.auth);
		}
		stack.resolve(next.host, next.port, transport, (target) => this.#guard(() => {
			if (!target) {
				this.#end(call, "503");
				return;
			}
			if (transport === "TLS" && registration)
				target.secure = { ca: registration.config.ca, serverName: registration.config.server };
			this.#invite(call, spec, target);
		}));
		this.#ringLimit(call);
		this.#state(call, "calling");
		return call;
	}

	/** A new outgoing call and its INVITE: our offer, or the SDP passed through. */
	#outgoing(uri: string, fromAor: string, display: string | undefined, contactUser: string, transport: TransportName, account: string | undefined, sdp: string | undefined): { call: Call; spec: RequestSpec } {
		const stack = this.stack;
		const callId = stack.callId();
		const localTag = stack.tag();
		const local = this.#options.media(callId);
		const from = (display ? "\"" + display.replace(/["\\]/g, "") + "\" " : "") + "<" + fromAor + ">;tag=" + localTag;
		const call = new Call(this, { id: callId, direction: "outgoing", remote: "<" + uri + ">", account, local, localTag });
		call.sdp = sdp;
		this.#calls.set(callId, call);
		const st = this.#options.sessionTimer;
		const headers: HeaderList = [["Allow", STATION_METHODS.join(", ")]];
		if (sdp !== "")
			headers.push(["Content-Type", "application/sdp"]);
		if (st?.enabled)
			headers.push(["Supported", "timer"], ["Session-Expires", st.expires + ";refresher=" + st.refresher], ["Min-SE", String(st.minSE)]);
		const spec: RequestSpec = {
			method: "INVITE", uri, from, to: "<" + uri + ">", callId, cseq: 1,
			contact: "<" + stack.contactUri(contactUser, transport) + ">",
			headers,
		};
		if (sdp !== "")
			spec.body = sdp ?? createOffer(local);
		return { call, spec };
	}

	/**
	 * Ask a unit of the built-in server to reboot (and fetch its settings
	 * again): the unsolicited NOTIFY with `Event: check-sync;reboot=true`
	 * that SIP phones and indoor units take for a remote reboot.
	 */
	checkSync(binding: Binding): void {
		const flow = unitFlow(binding.contact, binding.source);
		const host = this.#options.registrar?.hostExtension ?? "door";
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

	/** Call a unit registered to the built-in server, on its flow (see unitFlow). */
	#callBinding(binding: Binding, options: CallOptions): Call {
		const flow = unitFlow(binding.contact, binding.source);
		const host = this.#options.registrar!.hostExtension;
		const { call, spec } = this.#outgoing(binding.contact, "sip:" + (options.fromUser ?? host) + "@" + this.stack.host, options.displayName, options.fromUser ?? host, flow.transport, undefined, options.sdp);
		call.flow = flow;
		call.subscriber = binding.user;
		this.#invite(call, spec, flow);
		this.#ringLimit(call);
		this.#state(call, "calling");
		return call;
	}

	/** No call rings forever ("stuck in ringing"): past maxRingTime it is refused or cancelled. */
	#ringLimit(call: Call): void {
		call.timers[3] = this.stack.clock.set(() => this.#guard(() => {
			if (call.state !== "calling" && call.state !== "ringing")
				return;
			if (call.direction === "incoming") {
				call.serverTx?.respond(480, { toTag: call.localTag });
				this.#end(call, "timeout");
			}
			else
				this.hangup(call, "timeout");
		}), this.#options.maxRingTime ?? 120000);
	}

	#invite(call: Call, spec: RequestSpec, target: Target): void {
		this.stack.send(spec, target, {
			onResponse: (response, request, tx) => this.#guard(() => this.#inviteResponse(call, response, request, tx, target)),
			onFailure: (status) => this.#guard(() => {
				if (call.state !== "ended" && call.state !== "answered")
					this.#end(call, String(status), status);
			}),
		});
	}

	#inviteResponse(call: Call, response: SipMessage, request: OutgoingRequest, tx: ClientTransaction, target: Target): void {
		call.inviteTx = tx;
		const status = response.status;
		if (status < 200) {
			if (call.cancelWanted) {
				this.#cancel(call);	// the CANCEL waited for this provisional response (§9.1)
				return;
			}
			if ((status === 180 || status === 183) && call.state === "calling")
				this.#state(call, "ringing");
			return;
		}
		if (status >= 300) {
			if (status === 422 && !call.cancelWanted) {
				// RFC 4028 §6: ask again with the peer's Min-SE
				const min = Number(response.header("Min-SE")?.split(";")[0]);
				const st = this.#options.sessionTimer;
				if (st && Number.isInteger(min) && min > 0 && min <= 86400) {
					const retry = replaceHeader(request, "Session-Expires", min + ";refresher=" + st.refresher);
					this.#invite(call, { ...specOf(request), cseq: response.cseq().seq + 1, body: request.body as string, headers: retry }, target);
					return;
				}
			}
			this.#end(call, String(status), status);
			return;
		}
		// 2xx: the dialog is confirmed; ACK it (§13.2.2.4). A second 2xx from another fork is ACKed and ended.
		const remoteTag = response.toTag() ?? "";
		const existing = call.dialog;
		if (existing && existing.remoteTag !== remoteTag) {
			const fork = this.#dialogFrom2xx(call, response, request, target.transport);
			this.#ack(fork, response.cseq().seq);
			this.#bye(fork);
			return;
		}
		if (!existing) {
			call.dialog = this.#dialogFrom2xx(call, response, request, target.transport);
			if (call.state !== "ended")
				this.#dialogs.set(call.dialog.key, call);
		}
		this.#ack(call.dialog!, response.cseq().seq);
		if (call.state === "answered" || call.state === "ended") {
			if (call.state === "ended" && !existing)
				this.#bye(call.dialog!);
			return;
		}
		if (call.cancelWanted) {
			this.#bye(call.dialog!, call.auth);
			this.#end(call, "local");
			return;
		}
		try {
			const body = response.body;
			if (body.length) {
				call.remoteSdp = decodeText(body, 0, body.length);
				if (call.sdp === undefined)
					call.audio = acceptAnswer(parseSdp(call.remoteSdp), call.local);
			}
		}
		catch { /* no usable answer: the call stands without media */ }
		this.#sessionTimerFromResponse(call, response);
		call.answeredAt = this.stack.clock.now();
		this.#state(call, "answered");
		call.settled();
	}

	#dialogFrom2xx(call: Call, response: SipMessage, request: OutgoingRequest, transport: TransportName): Dialog {
		let target = "";
		try {
			target = response.contacts()[0]?.uri.toString() ?? "";
		}
		catch { /* no usable Contact */ }
		const from = headerOf(request, "From") ?? "";
		const toIndex = response.findId(H.TO);
		const dialog = new Dialog({
			callId: call.id, localTag: call.localTag, remoteTag: response.toTag() ?? "",
			local: from, remote: toIndex >= 0 ? response.headerValueAt(toIndex) : call.remote,
			localSeq: response.cseq().seq, remoteSeq: 0,
			remoteTarget: target || String(request.uri), routes: routeSet(response, true), transport,
		});
		dialog.flow = call.flow;
		return dialog;
	}

	#ack(dialog: Dialog, cseq: number): void {
		const spec = dialog.requestAt("ACK", cseq);
		this.#sendInDialog(dialog, spec, undefined);
	}

	#cancel(call: Call): void {
		const tx = call.inviteTx;
		if (!tx || tx.state !== "proceeding")
			return;	// §9.1: only after a provisional response; retried when one arrives
		const invite = tx.request;
		const headers: HeaderList = [];
		for (const [name, value] of invite.headers) {
			const lower = name.toLowerCase();
			if (lower === "via" || lower === "route" || lower === "from" || lower === "to" || lower === "call-id" || lower === "max-forwards")
				headers.push([name, value]);
		}
		const seq = Number(String(headerOf(invite, "CSeq")).split(" ")[0]);
		headers.push(["CSeq", seq + " CANCEL"]);
		// CANCEL is its own non-INVITE transaction with the INVITE's branch (§9.1)
		this.stack.transactions.request({ method: "CANCEL", uri: invite.uri, headers }, tx.branch, tx.target, { onResponse() {} });
	}

	/* ---------- incoming requests ---------- */

	#request(request: SipMessage, source: Source, tx: ServerTransaction | undefined): void {
		const method = request.method!;
		let toTag: string | undefined;
		try {
			toTag = request.toTag();
		}
		catch {
			toTag = undefined;
		}
		if (toTag !== undefined && method !== "CANCEL") {
			this.#inDialog(request, source, tx, toTag);
			return;
		}
		if (method === "ACK")
			return;	// an ACK outside any dialog: nothing to answer
		if (!tx) {
			// too broken to match a transaction (no usable Call-ID, CSeq...): answer statelessly if it can be routed
			const refusal = checkRequest(request, this.#caps);
			this.#stateless(request, source, refusal?.status ?? 400, refusal?.reason);
			return;
		}
		const refusal = checkRequest(request, this.#caps);
		if (refusal) {
			tx.refuse(refusal.status, { reason: refusal.reason, headers: refusal.headers, toTag: this.stack.tag() });
			return;
		}
		let subscriber: string | undefined;
		if (method === "INVITE" && this.#options.registrar && !this.accountOf(source)) {
			// a call placed by a unit of the built-in server: it authenticates like its REGISTER (§22.3)
			const caller = this.#options.registrar.caller(request, source);
			if (caller && "answer" in caller) {
				tx.refuse(caller.answer.status, { toTag: this.stack.tag(), reason: caller.answer.reason, headers: caller.answer.headers });
				return;
			}
			subscriber = caller?.user;
		}
		if (this.#options.screen && subscriber === undefined) {
			const status = this.#options.screen(request, source);
			if (status) {
				// refused before anything rings, and kept only in the retransmission cache
				tx.refuse(status, { toTag: this.stack.tag() });
				this.#logLimit.note("refused " + source.address, `sip: ${method} from ${source.address} refused (${status})`);
				return;
			}
		}
		switch (method) {
			case "INVITE":
				this.#incomingInvite(request, source, tx, subscriber);
				return;
			case "CANCEL":
				this.#incomingCancel(request, tx);
				return;
			case "OPTIONS":
				tx.respondStateless(200, { toTag: this.stack.tag(), headers: this.#capabilityHeaders() });	// needs no state (§11.2)
				return;
			case "REGISTER":
				if (this.#options.registrar) {
					const answer = this.#options.registrar.handle(request, source);
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

	#capabilityHeaders(): HeaderList {
		const h: HeaderList = [["Allow", this.#caps.methods.join(", ")], ["Accept", this.#caps.contentTypes.join(", ")]];
		if (this.#caps.extensions.length)
			h.push(["Supported", this.#caps.extensions.join(", ")]);
		return h;
	}

	#incomingInvite(request: SipMessage, source: Source, tx: ServerTransaction, subscriber: string | undefined): void {
		const localTag = this.stack.tag();
		const account = this.accountOf(source)?.config.id;
		const trusted = account !== undefined || subscriber !== undefined || this.#options.trusted?.(request, source) === true;
		if (!this.#slotFor(trusted, source.address)) {
			tx.refuse(486, { toTag: localTag });
			if (!trusted)
				this.#logLimit.note("busy " + source.address, "sip: direct call from " + source.address + " refused: no call slot for untrusted callers");
			return;
		}
		const callId = request.callId();
		if (this.#calls.has(callId)) {
			tx.refuse(482, { toTag: localTag });	// a merged request (§8.2.2.2)
			return;
		}
		// RFC 4028 §8: refuse an interval below our minimum
		const st = this.#options.sessionTimer;
		const se = sessionExpiresOf(request);
		if (st?.enabled && se && se.seconds < st.minSE) {
			tx.refuse(422, { toTag: localTag, headers: [["Min-SE", String(st.minSE)]] });
			return;
		}
		let offer: SessionDescription | undefined;
		const body = request.body;
		let offerText = "";
		if (body.length) {
			try {
				offerText = decodeText(body, 0, body.length);
				offer = parseSdp(offerText);
			}
			catch {
				tx.refuse(400, { toTag: localTag, reason: "Bad SDP" });
				return;
			}
		}
		let from = "";
		try {
			from = request.from().toString();
		}
		catch { /* checked by validate() already */ }
		const call = new Call(this, { id: callId, direction: "incoming", remote: from, account, local: this.#options.media(callId), localTag });
		call.trusted = trusted;
		call.signalAddress = source.address;
		call.serverTx = tx;
		call.offer = offer;
		call.remoteSdp = offerText;
		call.subscriber = subscriber;
		const ruri = request.uri;
		call.dialled = ruri instanceof SipUri ? ruri.user ?? "" : "";
		// The dialog is created with our tag now so that provisional responses carry it (§12.1.1).
		const fromIndex = request.findId(H.FROM);
		const toIndex = request.findId(H.TO);
		let target = "";
		try {
			target = request.contacts()[0]?.uri.toString() ?? "";
		}
		catch { /* none */ }
		call.dialog = new Dialog({
			callId, localTag, remoteTag: request.fromTag() ?? "",
			local: request.headerValueAt(toIndex) + ";tag=" + localTag, remote: request.headerValueAt(fromIndex),
			localSeq: 0, remoteSeq: request.cseq().seq,
			remoteTarget: target, routes: routeSet(request, false), transport: source.transport,
		});
		if (subscriber !== undefined && target)
			call.flow = call.dialog.flow = unitFlow(target, source);
		this.#calls.set(callId, call);
		this.#dialogs.set(call.dialog.key, call);
		tx.onTimeout = () => this.#end(call, "timeout");
		tx.respond(100);
		this.#ringLimit(call);
		try {
			this.#state(call, "calling");
			this.#options.onIncomingCall(call);
		}
		catch (e) {
			// whatever failed above us, the call does not stay behind
			this.stack.log("sip: incoming call failed: " + String(e));
			if (call.state === "calling" || call.state === "ringing")
				this.reject(call, 500);
			else
				this.hangup(call, "error");
		}
	}

	/**
	 * Room for one more call: every slot for a trusted call; an untrusted
	 * caller never takes the last RESERVED_CALLS slots, and holds at most one
	 * call per address.
	 */
	#slotFor(trusted: boolean, address: string): boolean {
		if (this.#calls.size >= this.#maxCalls)
			return false;
		if (trusted)
			return true;
		let untrusted = 0;
		for (const call of this.#calls.values()) {
			if (!call.trusted) {
				untrusted++;
				if (call.signalAddress === address)
					return false;
			}
		}
		return untrusted < Math.max(1, this.#maxCalls - RESERVED_CALLS);
	}

	#incomingCancel(request: SipMessage, tx: ServerTransaction): void {
		const invite = this.stack.transactions.findInvite(request);
		const call = invite ? this.#calls.get(invite.request.callId()) : undefined;
		if (!invite || !call || call.state === "answered" || call.state === "ended") {
			tx.respond(481, { toTag: this.stack.tag() });
			return;
		}
		tx.respond(200, { toTag: call.localTag });
		invite.respond(487, { toTag: call.localTag });	// §9.2
		this.#end(call, "remote");
	}

	#inDialog(request: SipMessage, source: Source, tx: ServerTransaction | undefined, toTag: string): void {
		const method = request.method!;
		let key: string;
		try {
			key = Dialog.key(request.callId(), toTag, request.fromTag() ?? "");
		}
		catch {
			return;
		}
		const call = this.#dialogs.get(key);
		if (method === "ACK") {
			if (call)
				this.#ackReceived(call, request);
			return;
		}
		if (!tx)
			return;
		if (!call) {
			tx.respond(481);	// §12.2.2
			return;
		}
		const dialog = call.dialog!;
		const seq = request.cseq().seq;
		if (seq <= dialog.remoteSeq && dialog.remoteSeq !== 0) {
			tx.respond(500, { reason: "Out of Order" });	// §12.2.2
			return;
		}
		dialog.remoteSeq = seq;
		const refusal = checkRequest(request, this.#caps);
		if (refusal) {
			tx.respond(refusal.status, { reason: refusal.reason, headers: refusal.headers });
			return;
		}
		switch (method) {
			case "BYE":
				tx.respond(200);
				this.#end(call, "remote");
				return;
			case "INVITE":
			case "UPDATE":
				this.#refresh(call, request, tx);
				return;
			case "INFO":
				this.#info(call, request, tx);
				return;
			case "OPTIONS":
				tx.respond(200, { headers: this.#capabilityHeaders() });
				return;
		}
		tx.respond(405, { headers: [["Allow", this.#caps.methods.join(", ")]] });
	}

	/** A re-INVITE or UPDATE: answer any offer, refresh the target and the session timer. */
	#refresh(call: Call, request: SipMessage, tx: ServerTransaction): void {
		call.dialog!.updateTarget(request);
		const headers: HeaderList = [["Contact", "<" + this.stack.contactUri("door", call.dialog!.transport) + ">"]];
		let body: string | undefined;
		if (request.body.length && call.sdp !== undefined) {
			// bridged: the session stays as the other leg described it (an unchanged SDP, RFC 3264 §8)
			body = call.sdp;
			headers.push(["Content-Type", "application/sdp"]);
		}
		else if (request.body.length) {
			try {
				const offer = parseSdp(decodeText(request.body, 0, request.body.length));
				call.local = { ...call.local, version: call.local.version + 1 };
				const answer = createAnswer(offer, call.local);
				if (!answer) {
					tx.respond(488);
					return;
				}
				call.audio = answer.audio;
				body = answer.sdp;
				headers.push(["Content-Type", "application/sdp"]);
			}
			catch {
				tx.respond(400, { reason: "Bad SDP" });
				return;
			}
		}
		const se = this.#sessionTimerForRequest(call, request);
		if (se)
			headers.push(...se);
		tx.respond(200, { headers, body });
	}

	#info(call: Call, request: SipMessage, tx: ServerTransaction): void {
		const type = request.contentType()?.essence;
		const text = decodeText(request.body, 0, request.body.length);
		let digit: string | undefined;
		if (type === "application/dtmf-relay") {
			// Signal=5\r\nDuration=160
			const m = /(?:^|\n)\s*signal\s*=\s*([0-9A-Da-d*#]|1[0-5])/i.exec(text);
			if (m)
				digit = dtmfDigit(m[1]);
		}
		else if (type === "application/dtmf")
			digit = dtmfDigit(text.trim());
		tx.respond(200);
		if (digit)
			this.#options.onDtmf?.(call, digit, "info");
	}

	#ackReceived(call: Call, request: SipMessage): void {
		const waiting = call.serverTx !== undefined;
		this.#clearRetransmit(call);
		if (!waiting || call.state !== "answered" || call.audio || call.sdp !== undefined || call.direction !== "incoming")
			return;
		// a late offer (INVITE without SDP) is answered in the ACK
		if (request.body.length) {
			try {
				call.audio = acceptAnswer(parseSdp(decodeText(request.body, 0, request.body.length)), call.local);
			}
			catch { /* no usable answer */ }
		}
		if (!call.audio) {
			// RFC 3264 §4: the offer/answer exchange never completed (no SDP in the INVITE
			// and none usable in the ACK): a session without media must not hold a call slot
			this.stack.log("sip: call " + call.id + " has no answer in its ACK: ending it");
			this.#bye(call.dialog!, call.auth);
			this.#end(call, "no-answer-sdp");
		}
	}

	/* ---------- answering ---------- */

	ring(call: Call): void {
		if (call.direction !== "incoming" || call.state !== "calling")
			return;
		call.serverTx?.respond(180, { toTag: call.localTag, headers: [["Contact", "<" + this.stack.contactUri("door", call.dialog!.transport) + ">"]] });
		this.#state(call, "ringing");
	}

	answer(call: Call): void {
		if (call.direction !== "incoming" || (call.state !== "calling" && call.state !== "ringing"))
			return;
		const tx = call.serverTx!;
		let body: string;
		if (call.sdp !== undefined)
			body = call.sdp;	// bridged: the other leg's answer
		else if (call.offer) {
			const answer = createAnswer(call.offer, call.local);
			if (!answer) {
				tx.respond(488, { toTag: call.localTag, headers: [["Accept", "application/sdp"]] });
				this.#end(call, "488");
				return;
			}
			call.audio = answer.audio;
			body = answer.sdp;
		}
		else
			body = createOffer(call.local);	// late offer: the answer comes in the ACK
		const headers: HeaderList = [
			["Contact", "<" + this.stack.contactUri("door", call.dialog!.transport) + ">"],
			["Allow", STATION_METHODS.join(", ")],
			["Content-Type", "application/sdp"],
		];
		const se = this.#sessionTimerForRequest(call, tx.request);
		if (se)
			headers.push(...se);
		tx.respond(200, { toTag: call.localTag, headers, body });
		call.answeredAt = this.stack.clock.now();
		this.#state(call, "answered");
		call.settled();
		// §13.3.1.4: retransmit the 2xx from T1, doubling to T2, until the ACK; give up after 64*T1 and hang up.
		const timers = this.stack.transactions.timers;
		if (tx.source.transport === "UDP") {
			let interval = timers.T1;
			const resend = () => {
				if (call.state !== "answered" || !call.serverTx)
					return;
				call.serverTx.respond(200, { toTag: call.localTag, headers, body });
				interval = Math.min(interval * 2, timers.T2);
				call.timers[0] = this.stack.clock.set(resend, interval);
			};
			call.timers[0] = this.stack.clock.set(resend, interval);
		}
		call.timers[1] = this.stack.clock.set(() => this.#guard(() => {
			if (call.timers[1] === undefined)
				return;
			call.timers[1] = undefined;
			if (call.state === "answered" && call.serverTx && call.timers[0] !== undefined) {
				this.#clearRetransmit(call);
				this.#bye(call.dialog!);
				this.#end(call, "no ACK");
			}
		}), 64 * timers.T1);
	}

	#clearRetransmit(call: Call): void {
		for (const i of [0, 1]) {
			if (call.timers[i] !== undefined)
				this.stack.clock.clear(call.timers[i]);
			call.timers[i] = undefined;
		}
		call.serverTx = undefined;
	}

	reject(call: Call, status: number, reason?: string): void {
		if (call.direction !== "incoming" || (call.state !== "calling" && call.state !== "ringing"))
			return;
		call.serverTx?.respond(status, { toTag: call.localTag, reason });
		this.#end(call, String(status), status);
	}

	hangup(call: Call, why: string): void {
		if (call.state === "ended")
			return;
		if (call.state === "answered") {
			this.#bye(call.dialog!, call.auth);
			this.#end(call, why);
			return;
		}
		if (call.direction === "incoming") {
			call.serverTx?.respond(why === "shutdown" ? 503 : 480, { toTag: call.localTag });
			this.#end(call, why);
			return;
		}
		// outgoing, not answered: CANCEL once a provisional response arrived (§9.1)
		call.cancelWanted = true;
		this.#cancel(call);
		this.#end(call, why);
	}

	info(call: Call, contentType: string, body: string): void {
		if (call.state !== "answered" || !call.dialog)
			return;
		this.#sendInDialog(call.dialog, call.dialog.request("INFO", [["Content-Type", contentType]], body), () => {});
	}

	#bye(dialog: Dialog, auth?: Call["auth"]): void {
		const spec = dialog.request("BYE");
		if (auth)
			Object.assign(spec, auth);
		this.#sendInDialog(dialog, spec, () => {});
	}

	/** Send a request in a dialog to its next hop; ACK goes outside any transaction (§17.1.1.3). */
	#sendInDialog(dialog: Dialog, spec: RequestSpec, done: ((response: SipMessage | undefined) => void) | undefined): void {
		const hop = dialog.nextHop();
		if (!hop.host)
			return;
		this.stack.resolve(hop.host, hop.port, hop.transport, (target) => this.#guard(() => {
			if (!target)
				return;
			if (spec.method === "ACK") {
				const branch = this.stack.branch();
				this.stack.transactions.sendStateless(this.stack.build(spec, target.transport, branch), target);
				return;
			}
			this.stack.send(spec, target, {
				onResponse: (response) => {
					if (response.status >= 200)
						done?.(response);
				},
				onFailure: () => done?.(undefined),
			});
		}));
	}

	/** A 2xx to an INVITE after its transaction ended: our ACK was lost, send it again (§13.2.2.4). */
	#strayResponse(response: SipMessage): void {
		if (response.status < 200 || response.status >= 300)
			return;
		let call: Call | undefined;
		try {
			if (response.cseq().method !== "INVITE")
				return;
			call = this.#dialogs.get(Dialog.key(response.callId(), response.fromTag() ?? "", response.toTag() ?? ""));
		}
		catch {
			return;
		}
		if (call?.dialog)
			this.#ack(call.dialog, response.cseq().seq);
	}

	/* ---------- session timers (RFC 4028) ---------- */

	/** The Session-Expires/Require headers for our 2xx, and the timers they imply. */
	#sessionTimerForRequest(call: Call, request: SipMessage): HeaderList | undefined {
		const st = this.#options.sessionTimer;
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
		this.#armSessionTimer(call);
		const headers: HeaderList = [["Session-Expires", seconds + ";refresher=" + refresher]];
		if (supported)
			headers.push(["Require", "timer"]);
		return headers;
	}

	#sessionTimerFromResponse(call: Call, response: SipMessage): void {
		const st = this.#options.sessionTimer;
		const se = sessionExpiresOf(response);
		if (!st?.enabled || !se)
			return;
		call.sessionExpires = se.seconds;
		call.refresher = se.refresher === "uac" ? "local" : "remote";
		this.#armSessionTimer(call);
	}

	#armSessionTimer(call: Call): void {
		if (call.timers[2] !== undefined)
			this.stack.clock.clear(call.timers[2]);
		const se = call.sessionExpires * 1000;
		if (call.refresher === "local") {
			// refresh at half the interval with a re-INVITE carrying the same session (RFC 4028 §10)
			call.timers[2] = this.stack.clock.set(() => this.#guard(() => this.#sendRefresh(call)), se / 2);
		}
		else {
			// the peer refreshes; without a refresh by SE - min(32, SE/3) the session is over (§10)
			call.timers[2] = this.stack.clock.set(() => this.#guard(() => {
				if (call.state === "answered") {
					this.#bye(call.dialog!, call.auth);
					this.#end(call, "session-expired");
				}
			}), se - Math.min(32000, se / 3));
		}
	}

	#sendRefresh(call: Call): void {
		if (call.state !== "answered" || !call.dialog)
			return;
		call.local = { ...call.local, version: call.local.version + 1 };
		const role = call.direction === "outgoing" ? "uac" : "uas";
		const spec = call.dialog.request("INVITE", [
			["Contact", "<" + this.stack.contactUri("door", call.dialog.transport) + ">"],
			["Content-Type", "application/sdp"], ["Supported", "timer"],
			["Session-Expires", call.sessionExpires + ";refresher=" + role],
		], call.sdp ?? createOffer(call.local));
		if (call.auth)
			Object.assign(spec, call.auth);
		this.#sendInDialog(call.dialog, spec, (response) => this.#guard(() => {
			if (!response || (response.status >= 300 && response.status !== 491)) {
				// the refresh failed: the session is over (RFC 4028 §10)
				this.#bye(call.dialog!, call.auth);
				this.#end(call, "session-refresh-failed");
				return;
			}
			if (response.status < 300) {
				this.#ack(call.dialog!, response.cseq().seq);
				this.#armSessionTimer(call);
			}
		}));
	}

	/* ---------- bookkeeping ---------- */

	#state(call: Call, state: CallState): void {
		call.state = state;
		this.#options.onCallState?.(call);
	}

	#end(call: Call, reason: string, status = 0): void {
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
		this.#calls.delete(call.id);
		if (call.dialog) {
			const key = call.dialog.key;
			// keep the dialog briefly so a late BYE/ACK still matches (absorbs retransmissions), then forget it
			this.stack.clock.set(() => {
				if (this.#dialogs.get(key) === call)
					this.#dialogs.delete(key);
			}, 64 * this.stack.transactions.timers.T1);
		}
		this.#state(call, "ended");
	}
}

/* ------------------------------------------------------------------ */

function sessionExpiresOf(message: SipMessage): { seconds: number; refresher: "uac" | "uas" | undefined } | undefined {
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

/** RFC 4733 event codes 0-15 to their keys. */
function dtmfDigit(text: string): string | undefined {
	const codes = "0123456789*#ABCD";
	if (/^(1[0-5]|[0-9])$/.test(text) && text.length > 1)
		return codes[Number(text)];
	const upper = text.toUpperCase();
	return codes.indexOf(upper) >= 0 && upper.length === 1 ? upper : undefined;
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

/** `192.168.1.5`, `192*168*1*5` (keypad form) or with a port: a direct IP call. */
export function directIp(destination: string): { host: string; port: number } | undefined {
	let text = destination.trim();
	if (text.startsWith("sip:"))
		text = text.slice(4);
	if (text.indexOf("@") >= 0)
		text = text.slice(text.indexOf("@") + 1);
	if (/^\d{1,3}(\*\d{1,3}){3}(:\d+)?$/.test(text))
		text = text.replace(/\*/g, ".");	// the keypad form 192*168*35*123
	const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text);
	if (!m)
		return undefined;
	if (m[1].split(".").some((o) => Number(o) > 255))
		return undefined;
	const port = m[2] ? Number(m[2]) : 0;
	if (port > 65535)
		return undefined;
	return { host: m[1], port };
}

function headerOf(request: OutgoingRequest, name: string): string | undefined {
	const lower = name.toLowerCase();
	for (const [n, v] of request.headers) {
		if (n.toLowerCase() === lower)
			return String(v);
	}
	return undefined;
}

function replaceHeader(request: OutgoingRequest, name: string, value: string): HeaderList {
	const lower = name.toLowerCase();
	const std = ["via", "max-forwards", "from", "to", "call-id", "cseq", "contact", "user-agent"];
	const out: HeaderList = [];
	for (const [n, v] of request.headers) {
		if (std.indexOf(n.toLowerCase()) < 0)
			out.push(n.toLowerCase() === lower ? [n, value] : [n, v]);
	}
	return out;
}

function specOf(request: OutgoingRequest): RequestSpec {
	return {
		method: request.method, uri: String(request.uri), from: headerOf(request, "From") ?? "", to: headerOf(request, "To") ?? "",
		callId: headerOf(request, "Call-ID") ?? "", cseq: Number(String(headerOf(request, "CSeq")).split(" ")[0]),
		contact: headerOf(request, "Contact"),
	};
}

