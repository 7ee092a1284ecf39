/*
 * The SIP stack: transport and transactions wired together, with what every
 * user-agent part needs: fresh tags, branches and Call-IDs, the station's Via
 * and Contact, name resolution, and sending a request that answers digest
 * challenges by itself (RFC 3261 §22.2: 401 and 407, once per challenge).
 *
 * SIP Outbound (RFC 5626): the stack holds the station's instance id (§4.1)
 * and knows which transports carry a registration the registrar confirmed
 * with outbound, so that the Contact of dialog-forming requests and
 * responses over them carries `ob` (§4.3). A transport the station does not
 * listen on (TLS: client connections only) never names a port in Via or
 * Contact: its host is a name under `.invalid` (RFC 2606 §2: never
 * resolves; RFC 7118 does the same for WebSocket clients, which cannot
 * listen either) and requests reach the station over its own flow.
 */
import type { Clock, Log } from "../io/types.js";
import { DigestClient, type DigestCredentials, type HashFunction } from "./digest.js";
import type { AuthValue } from "./headers.js";
import { type SipMessage } from "./message.js";
import { type HeaderList, type OutgoingRequest } from "./serialize.js";
import { type Admission, type ClientTransaction, MAGIC_COOKIE, type ServerTransaction, TransactionLayer, type Timers } from "./transactions.js";
import { type Connection, SipTransport, type Source, type Target, type TransportName, type TransportOptions } from "./transport.js";
import { isIPv4 } from "./uri.js";
import { type DnsClient, type Located, locate } from "./resolver.js";


export interface StackOptions extends Omit<TransportOptions, "onRequest" | "onResponse" | "clock"> {
	clock: Clock;
	hash: HashFunction;
	/** 16 hex digits of randomness per call (the host's RNG). */
	random: () => string;
	/**
	 * A stable identifier of this device (a serial number, a MAC address or
	 * a UUID) from which the SIP Outbound instance id is derived (RFC 5626
	 * §4.1: the same across restarts). Without one, a random instance id is
	 * kept for the stack's lifetime.
	 */
	instanceId?: string;
	/** The host's DNS (A, and SRV/NAPTR for RFC 3263). */
	dns?: DnsClient;
	timers?: Partial<Timers>;
	userAgent?: string;
	maxTransactions?: number;
	maxClientTransactions?: number;
	onRequest(request: SipMessage, source: Source, transaction: ServerTransaction | undefined): void;
	/** Admission of a new request before any state is made for it (TransactionLayer). */
	onAdmit?(request: SipMessage, source: Source): Admission;
	onStrayResponse?(response: SipMessage, source: Source): void;
}

export interface RequestSpec {
	method: string;
	uri: string;
	from: string;
	to: string;
	callId: string;
	cseq: number;
	/** Route set (§12.2.1.1) and any other headers, after the standard ones. */
	headers?: HeaderList;
	contact?: string;
	body?: string;
	/** Authentication: the account's credentials and its digest state. */
	credentials?: DigestCredentials;
	digest?: DigestClient;
}

export interface RequestCallbacks {
	/** Every response except the 401/407 that were answered here; `request` is what was finally sent. */
	onResponse(response: SipMessage, request: OutgoingRequest, transaction: ClientTransaction): void;
	/** No final response: timeout (408) or transport error (503), §8.1.3.1. */
	onFailure(status: 408 | 503, reason: string): void;
}

function isIp(host: string): boolean {
	const b = new Uint8Array(host.length);
	for (let i = 0; i < host.length; i++)
		b[i] = host.charCodeAt(i) & 0xFF;
	return isIPv4(b, 0, b.length);
}

export class SipStack {
	readonly transport: SipTransport;
	readonly transactions: TransactionLayer;
	readonly clock: Clock;
	readonly hash: HashFunction;
	readonly userAgent: string;
	#random: () => string;
	#dns: DnsClient | undefined;
	#log: Log;
	/** The registrations confirmed with outbound and their transports (a handful: one per account). */
	#outbound = new Map<unknown, TransportName>();
	/** What to end when the stack closes (one entry per started registration). */
	#closing = new Set<() => void>();
	/** The `+sip.instance` value: `urn:uuid:...` (RFC 5626 §4.1). */
	readonly instance: string;
	/** The host name put in Via and Contact for a transport the station does not listen on. */
	readonly #unlistened: string;

	constructor(options: StackOptions) {
		this.clock = options.clock;
		this.hash = options.hash;
		this.#random = options.random;
		this.#dns = options.dns;
		this.#log = options.log ?? (() => {});
		this.userAgent = options.userAgent ?? "portier";
		this.instance = "urn:uuid:" + instanceUuid(options.instanceId, options.hash, options.random);
		this.#unlistened = this.instance.slice(9, 17) + this.instance.slice(28, 32) + ".invalid";
		let layer: TransactionLayer;
		this.transport = new SipTransport({
			...options,
			onRequest: (m, s) => layer.receiveRequest(m, s),
			onResponse: (m, s) => layer.receiveResponse(m, s),
			onConnectionLost: (t) => this.onConnectionLost?.(t),
		});
		layer = this.transactions = new TransactionLayer({
			transport: this.transport,
			clock: options.clock,
			timers: options.timers,
			log: options.log,
			maxTransactions: options.maxTransactions,
			maxClientTransactions: options.maxClientTransactions,
			onRequest: options.onRequest,
			onAdmit: options.onAdmit,
			onStrayResponse: options.onStrayResponse,
		});
	}

	/** An outgoing TCP/TLS connection closed (the registration layer re-registers). */
	onConnectionLost: ((target: Target) => void) | undefined;

	get host(): string {
		return this.transport.host;
	}
	log(line: string): void {
		this.#log(line);
	}

	tag(): string {
		return this.#random().slice(0, 10);
	}
	branch(): string {
		return MAGIC_COOKIE + this.#random();
	}
	callId(): string {
		return this.#random() + "@" + this.host;
	}
	newDigestClient(): DigestClient {
		return new DigestClient({ hash: this.hash, random: () => this.#random().slice(0, 16) });
	}

	/**
	 * sent-by and Contact address for a transport: the station's address and
	 * the port it listens on; for a transport it does not listen on (TLS), a
	 * `.invalid` host without a port (nothing can connect there: replies and
	 * requests come over the station's connection, RFC 3261 §18.2.2, RFC 5626).
	 */
	hostPort(transport: TransportName): string {
		const port = this.transport.localPort(transport);
		return port === undefined ? this.#unlistened : this.host + ":" + port;
	}
	/**
	 * The station's Contact URI for a transport. `ob` is added while a
	 * registration over that transport is confirmed with outbound: requests
	 * in dialogs created with this Contact then come over the flow (RFC 5626
	 * §4.3, §5.3).
	 */
	contactUri(user: string, transport: TransportName): string {
		const scheme = transport === "TLS" ? "sips" : "sip";
		const param = transport === "TCP" ? ";transport=tcp" : "";
		return scheme + ":" + user + "@" + this.hostPort(transport) + param + (this.outboundOver(transport) ? ";ob" : "");
	}
	/** The Contact URI of a REGISTER: never `ob` (RFC 5626 §4.2.1 puts the instance and reg-id in its parameters instead). */
	registerContactUri(user: string, transport: TransportName): string {
		const scheme = transport === "TLS" ? "sips" : "sip";
		return scheme + ":" + user + "@" + this.hostPort(transport) + (transport === "TCP" ? ";transport=tcp" : "");
	}
	/** A registration's outbound state: confirmed over a transport, or not (undefined). */
	setOutbound(owner: unknown, transport: TransportName | undefined): void {
		if (transport)
			this.#outbound.set(owner, transport);
		else
			this.#outbound.delete(owner);
	}
	/** Whether a registration over this transport is confirmed with outbound. */
	outboundOver(transport: TransportName): boolean {
		for (const t of this.#outbound.values()) {
			if (t === transport)
				return true;
		}
		return false;
	}

	/** Resolve a host to a target (IPv4 literals at once). */
	resolve(host: string, port: number, transport: TransportName, callback: (target: Target | undefined) => void): void {
		if (isIp(host)) {
			callback({ transport, address: host, port });
			return;
		}
		if (!this.#dns) {
			callback(undefined);
			return;
		}
		this.#dns.a(host, (addresses) => {
			callback(addresses.length ? { transport, address: addresses[0], port } : undefined);
		});
	}

	/**
	 * Every target for a server, in the order to try them (RFC 3263): transport
	 * undefined means DNS-SRV (NAPTR/SRV choose), port undefined means SRV.
	 */
	locate(host: string, transport: TransportName | undefined, port: number | undefined, callback: (targets: Located[]) => void): void {
		const dns: DnsClient = this.#dns ?? { a: (_name, cb) => cb([]) };
		locate(dns, host, transport, port, () => parseInt(this.#random().slice(0, 8), 16) / 4294967296, callback);
	}

	/** Build a request with the standard headers of §8.1.1 and a fresh branch. */
	build(spec: RequestSpec, transport: TransportName, branch: string, extra?: HeaderList): OutgoingRequest {
		const headers: HeaderList = [
			["Via", "SIP/2.0/" + transport + " " + this.hostPort(transport) + ";branch=" + branch + ";rport"],
			["Max-Forwards", "70"],
			["From", spec.from],
			["To", spec.to],
			["Call-ID", spec.callId],
			["CSeq", spec.cseq + " " + spec.method],
		];
		if (spec.contact)
			headers.push(["Contact", spec.contact]);
		if (spec.headers)
			headers.push(...spec.headers);
		if (extra)
			headers.push(...extra);
		headers.push(["User-Agent", this.userAgent]);
		const request: OutgoingRequest = { method: spec.method, uri: spec.uri, headers };
		if (spec.body !== undefined)
			request.body = spec.body;
		return request;
	}

	/**
	 * Send a request in a client transaction; a 401/407 is answered with
	 * credentials once per challenge (a new branch and CSeq+1, §22.2). Returns
	 * the CSeq finally used through the response's CSeq.
	 */
	send(spec: RequestSpec, target: Target, callbacks: RequestCallbacks, connection?: Connection): void {
		const attempt = (cseq: number, authorization: HeaderList | undefined, answered: boolean) => {
			const branch = this.branch();
			const request = this.build({ ...spec, cseq }, target.transport, branch, authorization);
			const tx = this.transactions.request(request, branch, target, {
				onResponse: (response, t) => {
					try {
						const status = response.status;
						if ((status === 401 || status === 407) && spec.digest && spec.credentials) {
							const header = status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
							let challenges: AuthValue[];
							try {
								challenges = response.auth(header);
							}
							catch {
								challenges = [];
							}
							const answer: HeaderList = [];
							for (const c of challenges) {
								const realm = c.get("realm");
								if (realm === undefined || !spec.digest.challenge(c, answered))
									continue;
								const value = spec.digest.authorize(realm, spec.credentials, { method: spec.method, uri: spec.uri });
								if (value)
									answer.push([status === 401 ? "Authorization" : "Proxy-Authorization", value]);
							}
							if (answer.length) {
								attempt(cseq + 1, answer, true);
								return;
							}
						}
						callbacks.onResponse(response, request, t);
					}
					catch (e) {
						this.#log("sip: error handling a response: " + String(e));
					}
				},
				onTimeout: () => callbacks.onFailure(408, "Request Timeout"),
				onTransportError: (_t, reason) => callbacks.onFailure(503, reason),
			}, connection);
			if (!tx)
				this.clock.set(() => callbacks.onFailure(503, "too many client transactions"), 0);
		};
		attempt(spec.cseq, undefined, false);
	}

	/**
	 * Run `fn` when the stack closes (a registration's refresh and retry
	 * timers end with the sockets they would use); returns the undo.
	 */
	whenClosed(fn: () => void): () => void {
		this.#closing.add(fn);
		return () => {
			this.#closing.delete(fn);
		};
	}

	close(): void {
		const closing = Array.from(this.#closing);
		this.#closing.clear();
		for (const fn of closing) {
			try {
				fn();
			}
			catch (e) {
				this.#log("sip: error closing: " + String(e));
			}
		}
		this.transactions.close();
		this.transport.close();
	}
}

/**
 * The instance id's UUID (RFC 4122): the host's id when it is a UUID already;
 * else derived from it with MD5, laid out as a name-based version 3 UUID
 * (§4.3), so the same device gets the same one at every start; without an
 * id, random bits as a version 4 UUID (§4.4).
 */
function instanceUuid(id: string | undefined, hash: HashFunction, random: () => string): string {
	const given = id?.trim().toLowerCase() ?? "";
	if (given.length === 36 && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(given))
		return given;
	const hex = given ? hash("MD5", "portier instance " + given) : (random() + random()).toLowerCase();
	const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
	return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + (given ? "3" : "4") + hex.slice(13, 16) + "-" + variant + hex.slice(17, 20) + "-" + hex.slice(20, 32);
}
