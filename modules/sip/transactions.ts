/*
 * SIP transactions exactly as RFC 3261 §17, with the "Accepted" states of
 * RFC 6026 for 2xx answers to INVITE:
 *
 *   INVITE client      Calling -> Proceeding -> Completed (D) | Accepted (M) -> Terminated
 *   non-INVITE client  Trying -> Proceeding -> Completed (K) -> Terminated
 *   INVITE server      Proceeding -> Completed (G, H) -> Confirmed (I) | Accepted (L) -> Terminated
 *   non-INVITE server  Trying -> Proceeding -> Completed (J) -> Terminated
 *
 * Retransmission timers double from T1 and cap at T2 (A is not capped, E and G
 * are); B, F, H, L, M are 64*T1; D is 32 s, K and I are T4, J is 64*T1, all
 * zero on reliable transports. Every timer runs on the injected clock.
 *
 * Matching: responses by top-Via branch and CSeq method (§17.1.3); requests by
 * branch, sent-by and method, ACK matching its INVITE (§17.2.3), and the RFC
 * 2543 rule when the branch lacks the magic cookie.
 *
 * Budgets an attacker cannot spend for the station: client transactions (the
 * station's REGISTER, INVITE, BYE, keep-alive OPTIONS) have a table of their
 * own, so no incoming load can refuse them. A server transaction answered
 * with a final non-2xx response over UDP leaves the live table at once: its
 * response waits in a small retransmission cache (key, bytes, destination;
 * one timer for the whole cache drops each entry 64*T1 after it was
 * answered, so an idle station holds none), which answers a retransmitted
 * request and absorbs the ACK of a refused INVITE (RFC 3261 §17.2.1 and
 * §17.2.2 say what the transaction would have done; a refusal kept only in
 * the cache is not retransmitted by us, as a stateless UAS's is not, §8.2.7).
 * A new request may first be refused by the TU's admission check (per-source
 * budgets), before any state is made for it. The live table's cap (503
 * beyond it) counts only transactions still being answered: an INVITE whose
 * 2xx was sent is in Accepted (RFC 6026) and does not count, and once the
 * core no longer sends through it (its 2xx was ACKed, or over TCP/TLS at
 * once) only a small entry of the cache is left to absorb the INVITE's
 * retransmissions until Timer L. Requests within a dialog are never refused
 * for lack of room. Nothing a request does can leak
 * a transaction: a response that cannot be built ends the transaction, and
 * one the TU leaves unanswered is answered 500.
 */
import type { Clock, Log } from "../io/types.js";
import type { SipMessage } from "./message.js";
import { type HeaderList, type OutgoingRequest, type ResponseOptions, createResponse, rawValue, serializeRequest } from "./serialize.js";
import type { Connection, SipTransport, Source, Target } from "./transport.js";
import { H } from "./names.js";
import type { Via } from "./headers.js";

export const TIMER_DEFAULTS = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });
export const MAGIC_COOKIE = "z9hG4bK";

export interface Timers {
	T1: number;
	T2: number;
	T4: number;
}

export type Admission = "drop" | "stranger" | "known";

export type ClientState = "calling" | "trying" | "proceeding" | "completed" | "accepted" | "terminated";
export type ServerState = "trying" | "proceeding" | "completed" | "confirmed" | "accepted" | "terminated";

export interface ClientTransactionUser {
	/** Provisional and final responses; for INVITE, every 2xx (retransmissions too) while Accepted. */
	onResponse(response: SipMessage, transaction: ClientTransaction): void;
	/** Timer B or F fired without a final response (treat as 408, §8.1.3.1). */
	onTimeout?(transaction: ClientTransaction): void;
	/** The request could not be sent (treat as 503, §8.1.3.1). */
	onTransportError?(transaction: ClientTransaction, reason: string): void;
}

export interface TransactionLayerOptions {
	transport: SipTransport;
	clock: Clock;
	timers?: Partial<Timers>;
	log?: Log;
	/** Live server transactions at once (beyond: 503); default 16. */
	maxTransactions?: number;
	/** Client transactions at once (the station's own requests); default 32. */
	maxClientTransactions?: number;
	/** Answered requests remembered for their retransmissions; default 16. */
	retransmissionCache?: number;
	/**
	 * Admission of a new request (not a retransmission, not an ACK) before any
	 * state is made for it: "drop" drops it unanswered (a flood's share is
	 * spent); "known" (an account's server, a unit, a dialog's request) is
	 * never refused for lack of room; "stranger" meets the live table's cap.
	 * Without it every request meets the cap but those within a dialog.
	 */
	onAdmit?(request: SipMessage, source: Source): Admission;
	/** A new request outside any transaction; transaction is undefined for ACK. */
	onRequest(request: SipMessage, source: Source, transaction: ServerTransaction | undefined): void;
	/** A response that matched no transaction (a 2xx retransmission after the INVITE transaction ended). */
	onStrayResponse?(response: SipMessage, source: Source): void;
}

function isReliable(transport: string): boolean {
	return transport !== "UDP";
}

/* ------------------------------------------------------------------ */

export class ClientTransaction {
	readonly method: string;
	readonly branch: string;
	readonly request: OutgoingRequest;
	readonly target: Target;
	#layer: TransactionLayer;
	#user: ClientTransactionUser;
	#bytes: Uint8Array;
	#connection: Connection | undefined;
	#state: ClientState;
	#retransmit: unknown;	// A or E
	#timeout: unknown;	// B or F
	#linger: unknown;	// D, K or M
	#interval: number;
	#ack: Uint8Array | undefined;
	readonly key: string;

	constructor(layer: TransactionLayer, request: OutgoingRequest, branch: string, target: Target, user: ClientTransactionUser, connection?: Connection) {
		this.#layer = layer;
		this.method = request.method;
		this.branch = branch;
		this.request = request;
		this.target = target;
		this.#user = user;
		this.#connection = connection;
		this.#bytes = serializeRequest(request);
		this.key = clientKey(branch, request.method);
		this.#state = request.method === "INVITE" ? "calling" : "trying";
		this.#interval = layer.timers.T1;
	}

	get state(): ClientState {
		return this.#state;
	}
	get bytes(): Uint8Array {
		return this.#bytes;
	}

	start(): void {
		const timers = this.#layer.timers;
		this.#send(this.#bytes);
		if (!isReliable(this.target.transport))
			this.#retransmit = this.#layer.clock.set(() => this.#onRetransmit(), this.#interval);
		this.#timeout = this.#layer.clock.set(() => this.#onTimeout(), 64 * timers.T1);
	}

	/** Stop at once (the TU gave up, e.g. CANCEL answered and the call is over). */
	terminate(): void {
		this.#enter("terminated");
	}

	#send(bytes: Uint8Array): void {
		this.#layer.transport.send(bytes, this.target, (reason) => {
			if (this.#state === "terminated")
				return;
			this.#enter("terminated");
			this.#user.onTransportError?.(this, reason);
		}, this.#connection);
	}

	#onRetransmit(): void {
		this.#retransmit = undefined;
		const s = this.#state;
		if (s !== "calling" && s !== "trying" && s !== "proceeding")
			return;
		this.#send(this.#bytes);
		const timers = this.#layer.timers;
		// Timer A doubles without a cap (§17.1.1.2); Timer E doubles up to T2, and is T2 once Proceeding (§17.1.2.2).
		if (this.method === "INVITE")
			this.#interval *= 2;
		else
			this.#interval = s === "proceeding" ? timers.T2 : Math.min(this.#interval * 2, timers.T2);
		this.#retransmit = this.#layer.clock.set(() => this.#onRetransmit(), this.#interval);
	}

	#onTimeout(): void {
		this.#timeout = undefined;
		const s = this.#state;
		if (s === "calling" || s === "trying" || (s === "proceeding" && this.method !== "INVITE")) {
			this.#enter("terminated");
			this.#user.onTimeout?.(this);
		}
	}

	/** A response matched this transaction. */
	receive(response: SipMessage): void {
		const status = response.status;
		const s = this.#state;
		const timers = this.#layer.timers;
		if (this.method === "INVITE") {
			if (status < 200) {
				if (s === "calling" || s === "proceeding") {
					if (s === "calling") {
						// No more retransmissions; Timer B only guards Calling (§17.1.1.2): the TU limits ringing.
						this.#clearRetransmit();
						this.#clearTimeout();
					}
					this.#state = "proceeding";
					this.#user.onResponse(response, this);
				}
				return;
			}
			if (status < 300) {
				// RFC 6026 §8.4: Accepted, every 2xx goes to the TU, which sends the ACK.
				if (s === "calling" || s === "proceeding") {
					this.#clearRetransmit();
					this.#clearTimeout();
					this.#state = "accepted";
					this.#linger = this.#layer.clock.set(() => this.#enter("terminated"), 64 * timers.T1);
					this.#user.onResponse(response, this);
				}
				else if (s === "accepted")
					this.#user.onResponse(response, this);
				return;
			}
			// 300-699: ACK it here (§17.1.1.3) and wait Timer D for retransmissions.
			if (s === "calling" || s === "proceeding") {
				this.#clearRetransmit();
				this.#clearTimeout();
				this.#state = "completed";
				this.#ack = this.#buildAck(response);
				this.#send(this.#ack);
				this.#linger = this.#layer.clock.set(() => this.#enter("terminated"), isReliable(this.target.transport) ? 0 : 32000);
				this.#user.onResponse(response, this);
			}
			else if (s === "completed" && this.#ack)
				this.#send(this.#ack);
			return;
		}
		// non-INVITE (§17.1.2.2)
		if (s !== "trying" && s !== "proceeding")
			return;
		if (status < 200) {
			this.#state = "proceeding";
			this.#user.onResponse(response, this);
			return;
		}
		this.#clearRetransmit();
		this.#clearTimeout();
		this.#state = "completed";
		this.#linger = this.#layer.clock.set(() => this.#enter("terminated"), isReliable(this.target.transport) ? 0 : timers.T4);
		this.#user.onResponse(response, this);
	}

	/** The ACK for a non-2xx final response: same Request-URI, Call-ID, From, CSeq number, top Via and Route; the response's To. */
	#buildAck(response: SipMessage): Uint8Array {
		const headers: HeaderList = [];
		let via = false;
		for (const [name, value] of this.request.headers) {
			const lower = name.toLowerCase();
			if ((lower === "via" || lower === "v") && !via) {
				headers.push(["Via", value]);
				via = true;
			}
			else if (lower === "from" || lower === "f" || lower === "call-id" || lower === "i" || lower === "route" || lower === "max-forwards")
				headers.push([name, value]);
		}
		const to = response.findId(H.TO);
		if (to >= 0)
			headers.push(["To", rawValue(response, to)]);
		headers.push(["CSeq", response.cseq().seq + " ACK"]);
		return serializeRequest({ method: "ACK", uri: this.request.uri, headers });
	}

	#clearRetransmit(): void {
		if (this.#retransmit !== undefined)
			this.#layer.clock.clear(this.#retransmit);
		this.#retransmit = undefined;
	}
	#clearTimeout(): void {
		if (this.#timeout !== undefined)
			this.#layer.clock.clear(this.#timeout);
		this.#timeout = undefined;
	}

	#enter(state: ClientState): void {
		if (this.#state === "terminated")
			return;
		this.#state = state;
		if (state === "terminated") {
			this.#clearRetransmit();
			this.#clearTimeout();
			if (this.#linger !== undefined)
				this.#layer.clock.clear(this.#linger);
			this.#linger = undefined;
			this.#layer.forget(this.key, this);
		}
	}
}

/* ------------------------------------------------------------------ */

export class ServerTransaction {
	readonly request: SipMessage;
	readonly source: Source;
	readonly method: string;
	readonly key: string;
	#layer: TransactionLayer;
	#state: ServerState;
	#last: Uint8Array | undefined;
	#lastStatus = 0;
	#retransmit: unknown;	// G
	#timeout: unknown;	// H
	#linger: unknown;	// I, J, L
	#interval: number;
	#acceptedAt = 0;
	#vias: Via[] | undefined;
	/** Called when Timer H fires: the ACK for our error response never came (§17.2.1). */
	onTimeout: ((transaction: ServerTransaction) => void) | undefined;

	constructor(layer: TransactionLayer, request: SipMessage, source: Source, key: string) {
		this.#layer = layer;
		this.request = request;
		this.source = source;
		this.method = request.method!;
		this.key = key;
		this.#state = this.method === "INVITE" ? "proceeding" : "trying";
		this.#interval = layer.timers.T1;
	}

	get state(): ServerState {
		return this.#state;
	}
	get lastStatus(): number {
		return this.#lastStatus;
	}

	/**
	 * Send a response through the transaction; returns false once the
	 * transaction no longer takes one, or when no response can be built for
	 * this request (the transaction then ends: nothing is left behind).
	 */
	respond(status: number, options: ResponseOptions = {}): boolean {
		const s = this.#state;
		if (s !== "trying" && s !== "proceeding" && !(s === "accepted" && status >= 200 && status < 300))
			return false;
		const layer = this.#layer;
		const bytes = this.#build(status, options);
		if (!bytes)
			return false;
		if (this.#lastStatus === 0 && this.#timeout !== undefined) {
			layer.clock.clear(this.#timeout);	// answered: awaitAnswer's guard is done
			this.#timeout = undefined;
		}
		// a 2xx to INVITE is retransmitted by the core, never by the transaction: Accepted only
		// absorbs retransmitted INVITEs (RFC 6026 §7.1), so it need not keep the bytes for 32 s
		this.#last = this.method === "INVITE" && status >= 200 && status < 300 ? undefined : bytes;
		this.#lastStatus = status;
		this.#send(bytes);
		const timers = layer.timers;
		const reliable = isReliable(this.source.transport);
		if (status < 200) {
			this.#state = "proceeding";
			return true;
		}
		if (this.method === "INVITE") {
			if (status < 300) {
				if (s !== "accepted") {
					this.#state = "accepted";	// RFC 6026 §8.7
					this.#acceptedAt = layer.clock.now();
					layer.accepted(1);
					this.#linger = layer.clock.set(() => this.#enter("terminated"), 64 * timers.T1);
					if (reliable)
						this.release();	// the core never resends a 2xx over TCP/TLS (§13.3.1.4)
				}
				return true;
			}
			this.#state = "completed";
			if (!reliable)
				this.#retransmit = layer.clock.set(() => this.#onRetransmit(), this.#interval);
			this.#timeout = layer.clock.set(() => {
				this.#timeout = undefined;
				if (this.#state === "completed") {
					this.#enter("terminated");
					this.onTimeout?.(this);
				}
			}, 64 * timers.T1);
			return true;
		}
		// non-INVITE final: Completed lasts Timer J (64*T1 over UDP, 0 otherwise); over UDP
		// its only job is to repeat the response, which the retransmission cache does
		if (!reliable)
			layer.remember(this.key, bytes, this.request, this.source);
		this.#enter("terminated");
		return true;
	}

	/**
	 * A final refusal (3xx-6xx) that keeps no transaction: the response is
	 * sent once and left in the retransmission cache, which answers the
	 * request's retransmissions and absorbs the ACK (a stateless UAS, RFC 3261
	 * §8.2.7). For requests a flood may send: a stranger's INVITE, a busy
	 * station.
	 */
	refuse(status: number, options: ResponseOptions = {}): boolean {
		return this.#once(status, options, !isReliable(this.source.transport));
	}

	/** Answer once and keep nothing (an OPTIONS outside any dialog: answering a retransmission again costs less than remembering it). */
	respondStateless(status: number, options: ResponseOptions = {}): boolean {
		return this.#once(status, options, false);
	}

	/** Send a final response and end the transaction; `remember`: leave it in the retransmission cache. */
	#once(status: number, options: ResponseOptions, remember: boolean): boolean {
		const s = this.#state;
		if (s !== "trying" && s !== "proceeding")
			return false;
		const bytes = this.#build(status, options);
		if (!bytes)
			return false;
		this.#lastStatus = status;
		this.#send(bytes);
		if (remember)
			this.#layer.remember(this.key, bytes, this.request, this.source);
		this.#enter("terminated");
		return true;
	}

	#build(status: number, options: ResponseOptions): Uint8Array | undefined {
		try {
			// the same Vias in every response of the transaction (100, 180, 200...): parsed once
			const vias = this.#vias ??= this.#layer.transport.responseVias(this.request, this.source);
			return createResponse(this.request, status, { ...options, vias });
		}
		catch (e) {
			// a header the response must copy does not parse: nothing can be answered (§8.2.6.2)
			this.#layer.unanswerable(this.request, this.source, e);
			this.#enter("terminated");
			return undefined;
		}
	}

	#send(bytes: Uint8Array): void {
		this.#layer.sendResponse(bytes, this.request, this.source);
	}

	#onRetransmit(): void {
		this.#retransmit = undefined;
		if (this.#state !== "completed" || !this.#last)
			return;
		this.#send(this.#last);
		this.#interval = Math.min(this.#interval * 2, this.#layer.timers.T2);	// Timer G (§17.2.1)
		this.#retransmit = this.#layer.clock.set(() => this.#onRetransmit(), this.#interval);
	}

	/**
	 * @internal The TU took the request without answering it yet: if it has
	 * still sent nothing after 64*T1, it is answered 500 and forgotten (a
	 * non-INVITE server transaction in Trying has no timer of its own, §17.2.2).
	 */
	awaitAnswer(): void {
		this.#timeout = this.#layer.clock.set(() => {
			this.#timeout = undefined;
			if (this.#lastStatus === 0 && !this.refuse(500))
				this.#enter("terminated");
		}, 64 * this.#layer.timers.T1);
	}

	/**
	 * The core sends nothing more through this transaction (its 2xx was
	 * ACKed, or it gave up): what is left of Accepted, absorbing retransmitted
	 * INVITEs until Timer L (RFC 6026 §7.1), is a small cache entry.
	 */
	release(): void {
		if (this.#state !== "accepted")
			return;
		this.#layer.absorb(this.key, this.#acceptedAt + 64 * this.#layer.timers.T1);
		this.#enter("terminated");
	}

	/** The request came again: answer with the last response (§17.2.1, §17.2.2), absorb in Accepted (RFC 6026). */
	retransmission(): void {
		const s = this.#state;
		if ((s === "proceeding" || s === "completed") && this.#last)
			this.#send(this.#last);
	}

	/** The ACK for a non-2xx final response. */
	ack(): void {
		if (this.#state !== "completed")
			return;
		if (this.#retransmit !== undefined)
			this.#layer.clock.clear(this.#retransmit);
		this.#retransmit = undefined;
		if (this.#timeout !== undefined)
			this.#layer.clock.clear(this.#timeout);
		this.#timeout = undefined;
		this.#state = "confirmed";
		this.#linger = this.#layer.clock.set(() => this.#enter("terminated"), isReliable(this.source.transport) ? 0 : this.#layer.timers.T4);
	}

	terminate(): void {
		this.#enter("terminated");
	}

	#enter(state: ServerState): void {
		if (this.#state === "terminated")
			return;
		if (this.#state === "accepted")
			this.#layer.accepted(-1);
		this.#state = state;
		if (state !== "terminated")
			return;
		const clock = this.#layer.clock;
		if (this.#retransmit !== undefined)
			clock.clear(this.#retransmit);
		if (this.#timeout !== undefined)
			clock.clear(this.#timeout);
		if (this.#linger !== undefined)
			clock.clear(this.#linger);
		this.#retransmit = this.#timeout = this.#linger = undefined;
		this.#layer.forget(this.key, this);
	}
}

/* ------------------------------------------------------------------ */

/** A request with a To tag, or a CANCEL: it belongs to a dialog or a pending INVITE, never refused for lack of room. */
function withinDialog(request: SipMessage): boolean {
	if (request.method === "CANCEL")
		return true;
	try {
		return request.toTag() !== undefined;
	}
	catch {
		return false;
	}
}

function clientKey(branch: string, method: string): string {
	return branch + "\n" + (method === "ACK" ? "INVITE" : method);
}

/** §17.2.3: branch + sent-by + method, or the RFC 2543 identity of the request. */
function serverKey(request: SipMessage): string {
	const method = request.method === "ACK" ? "INVITE" : request.method!;
	const via = request.topVia();
	const branch = via.branch;
	const sentBy = via.host.toLowerCase() + ":" + (via.port ?? "");
	if (branch !== undefined && branch.startsWith(MAGIC_COOKIE))
		return branch + "\n" + sentBy + "\n" + method;
	// RFC 2543: Request-URI, From tag, Call-ID, CSeq number, top Via (To tag left out so the ACK matches).
	return "2543\n" + request.uriText + "\n" + (request.fromTag() ?? "") + "\n" + request.callId() + "\n" + request.cseq().seq + "\n" + via.toString() + "\n" + method;
}

/** A response kept for the retransmissions of its request (see the header). */
interface Remembered {
	/** The response to repeat; undefined: an accepted INVITE, whose retransmissions are absorbed. */
	bytes: Uint8Array | undefined;
	target: Target | undefined;
	connection: Connection | undefined;
	until: number;
}

export class TransactionLayer {
	readonly transport: SipTransport;
	readonly clock: Clock;
	readonly timers: Timers;
	#clients = new Map<string, ClientTransaction>();
	#servers = new Map<string, ServerTransaction>();
	#cache = new Map<string, Remembered>();
	#sweep: unknown;
	#onSweep = () => {
		this.#sweep = undefined;
		this.#expire();
	};
	#options: TransactionLayerOptions;
	#log: Log;
	#max: number;
	#maxClients: number;
	#maxCache: number;
	/** Server transactions in Accepted (they do not count against the cap). */
	#accepted = 0;
	/** Requests dropped by the admission check, and refused for a full table, since start. */
	readonly counters = { dropped: 0, full: 0, unanswerable: 0 };

	constructor(options: TransactionLayerOptions) {
		this.#options = options;
		this.transport = options.transport;
		this.clock = options.clock;
		this.timers = Object.freeze({ ...TIMER_DEFAULTS, ...options.timers });
		this.#log = options.log ?? (() => {});
		this.#max = options.maxTransactions ?? 16;
		this.#maxClients = options.maxClientTransactions ?? 32;
		this.#maxCache = options.retransmissionCache ?? 16;
	}

	/** Live transactions, client and server. */
	get size(): number {
		return this.#clients.size + this.#servers.size;
	}
	get clientCount(): number {
		return this.#clients.size;
	}
	get serverCount(): number {
		return this.#servers.size;
	}
	/** Responses remembered for retransmissions (expired ones are dropped first). */
	get cacheSize(): number {
		this.#expire();
		return this.#cache.size;
	}

	/**
	 * Start a client transaction. The request's top Via must carry `branch`.
	 * Returns undefined (and sends nothing) when the client table is full:
	 * only the station's own requests count against it.
	 */
	request(request: OutgoingRequest, branch: string, target: Target, user: ClientTransactionUser, connection?: Connection): ClientTransaction | undefined {
		if (this.#clients.size >= this.#maxClients) {
			this.#log("sip: client transaction table full, " + request.method + " not sent");
			return undefined;
		}
		const tx = new ClientTransaction(this, request, branch, target, user, connection);
		this.#clients.set(tx.key, tx);
		tx.start();
		return tx;
	}

	/** Send a request outside any transaction (the ACK for a 2xx, §13.2.2.4). */
	sendStateless(request: OutgoingRequest, target: Target, connection?: Connection): void {
		this.transport.send(serializeRequest(request), target, undefined, connection);
	}

	/** Send a response where its request says (§18.2.2); never throws. */
	sendResponse(bytes: Uint8Array, request: SipMessage, source: Source): void {
		try {
			const { target, connection } = this.transport.responseTarget(request, source);
			this.transport.send(bytes, target, undefined, connection);
		}
		catch (e) {
			this.unanswerable(request, source, e);
		}
	}

	/** The INVITE server transaction a CANCEL refers to (§9.2: same branch, method INVITE). */
	findInvite(cancel: SipMessage): ServerTransaction | undefined {
		try {
			const key = serverKey(cancel);
			return this.#servers.get(key.slice(0, key.lastIndexOf("\n") + 1) + "INVITE");
		}
		catch {
			return undefined;
		}
	}

	/** Entry point for the transport's requests. */
	receiveRequest(request: SipMessage, source: Source): void {
		let key: string;
		try {
			key = serverKey(request);
		}
		catch {
			// No usable Via, Call-ID or CSeq: only the UA's checks can answer (or drop) it,
			// and only within the source's budget (a flood of broken requests is a flood)
			if (this.#options.onAdmit && this.#options.onAdmit(request, source) === "drop") {
				this.counters.dropped++;
				return;
			}
			this.#options.onRequest(request, source, undefined);
			return;
		}
		const existing = this.#servers.get(key);
		if (existing) {
			if (request.method !== "ACK")
				existing.retransmission();
			else if (existing.lastStatus >= 300)
				existing.ack();	// absorbed: the ACK of our error response
			else
				this.#options.onRequest(request, source, undefined);	// the ACK of a 2xx belongs to the dialog (RFC 2543 peers reuse the branch)
			return;
		}
		const remembered = this.#remembered(key);
		if (remembered) {
			if (!remembered.bytes) {
				// an accepted INVITE: its retransmissions are absorbed, an ACK (RFC 2543 peers reuse the branch) belongs to the dialog
				if (request.method === "ACK")
					this.#options.onRequest(request, source, undefined);
			}
			else if (request.method !== "ACK")
				this.transport.send(remembered.bytes, remembered.target!, undefined, remembered.connection);
			return;	// an ACK of a refusal kept only here is absorbed
		}
		if (request.method === "ACK") {
			this.#options.onRequest(request, source, undefined);
			return;
		}
		const admission = this.#options.onAdmit ? this.#options.onAdmit(request, source) : withinDialog(request) ? "known" : "stranger";
		if (admission === "drop") {
			this.counters.dropped++;
			return;
		}
		// every Via is copied into the response, so all of them must parse; read only once the
		// request was admitted (a dropped one costs its top Via, not all of them): one that does
		// not parse is answered 400 by the UA without a transaction
		try {
			request.vias();
		}
		catch {
			this.#options.onRequest(request, source, undefined);
			return;
		}
		const tx = new ServerTransaction(this, request, source, key);
		// the cap bounds what strangers can make us keep (a refused INVITE waits up to 64*T1 for its
		// ACK); the PBX, the units and the calls in progress are never refused for lack of room
		if (admission === "stranger" && this.#servers.size - this.#accepted >= this.#max) {
			this.counters.full++;
			tx.refuse(503, { headers: [["Retry-After", "5"]] });
			return;
		}
		this.#servers.set(key, tx);
		try {
			this.#options.onRequest(request, source, tx);
		}
		catch (e) {
			this.#log("sip: error handling " + request.method + ": " + String(e));
			if (!tx.refuse(500))
				tx.terminate();
			return;
		}
		// a request the TU has not answered yet must not stay in the table for ever
		if (tx.lastStatus === 0 && tx.state !== "terminated")
			tx.awaitAnswer();
	}

	/** Entry point for the transport's responses (§17.1.3 matching). */
	receiveResponse(response: SipMessage, source: Source): void {
		let branch: string | undefined, method: string;
		try {
			branch = response.branch();
			method = response.cseq().method;
		}
		catch {
			return;	// a response without Via or CSeq cannot be matched: discard (§18.1.2)
		}
		const tx = branch === undefined ? undefined : this.#clients.get(clientKey(branch, method));
		if (tx)
			tx.receive(response);
		else
			this.#options.onStrayResponse?.(response, source);
	}

	/** @internal A final response to keep for its request's retransmissions. */
	remember(key: string, bytes: Uint8Array, request: SipMessage, source: Source): void {
		let where: { target: Target; connection?: Connection };
		try {
			where = this.transport.responseTarget(request, source);
		}
		catch {
			return;
		}
		this.#keep(key, { bytes, target: where.target, connection: where.connection, until: this.clock.now() + 64 * this.timers.T1 });
	}

	/** @internal An accepted INVITE's retransmissions are absorbed until `until` (Timer L). */
	absorb(key: string, until: number): void {
		this.#keep(key, { bytes: undefined, target: undefined, connection: undefined, until });
	}

	/** @internal */
	accepted(delta: number): void {
		this.#accepted += delta;
	}

	#keep(key: string, entry: Remembered): void {
		this.#expire();
		this.#cache.delete(key);
		while (this.#cache.size >= this.#maxCache) {
			const oldest = this.#cache.keys().next().value as string;
			this.#cache.delete(oldest);
		}
		// kept in the order they were made: one that expires before those ahead of it (an
		// absorbing entry made late in its Timer L) waits for them, at most 64*T1 more
		this.#cache.set(key, entry);
		if (this.#sweep === undefined)
			this.#expire();	// arms the sweep for the oldest entry
	}

	/** @internal No response could be built or sent for a request. */
	unanswerable(request: SipMessage, _source: Source, error: unknown): void {
		this.counters.unanswerable++;
		this.#log("sip: cannot answer " + (request.method ?? "a request") + ": " + (error instanceof Error ? error.message : String(error)));
	}

	#remembered(key: string): Remembered | undefined {
		const entry = this.#cache.get(key);
		if (entry && entry.until <= this.clock.now()) {
			this.#cache.delete(key);
			return undefined;
		}
		return entry;
	}

	/** Oldest first (insertion order): drop the expired ones at the front, and sweep again when the next one is due. */
	#expire(): void {
		const now = this.clock.now();
		for (const [key, entry] of this.#cache) {
			if (entry.until > now) {
				if (this.#sweep === undefined)
					this.#sweep = this.clock.set(this.#onSweep, entry.until - now);
				return;
			}
			this.#cache.delete(key);
		}
		// the cache is empty (a reader such as cacheSize found every entry expired before the sweep ran):
		// a sweep still pending has nothing left to do, and would hold a timer for nothing. Where the
		// timers run behind the clock (QEMU's lagging tick) it stayed for minutes after the status
		// showed nothing cached
		if (this.#sweep !== undefined) {
			this.clock.clear(this.#sweep);
			this.#sweep = undefined;
		}
	}

	forget(key: string, tx: ClientTransaction | ServerTransaction): void {
		if (tx instanceof ClientTransaction) {
			if (this.#clients.get(key) === tx)
				this.#clients.delete(key);
		}
		else if (this.#servers.get(key) === tx)
			this.#servers.delete(key);
	}

	/** End every transaction (shutdown). */
	close(): void {
		for (const tx of Array.from(this.#clients.values()))
			tx.terminate();
		for (const tx of Array.from(this.#servers.values()))
			tx.terminate();
		this.#cache.clear();
		if (this.#sweep !== undefined)
			this.clock.clear(this.#sweep);
		this.#sweep = undefined;
	}
}
