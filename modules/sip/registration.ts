/*
 * Registration of one SIP account (RFC 3261 §10): REGISTER with digest
 * authentication, refresh before expiry, retry with back-off after a failure,
 * fail over from the outbound proxy to the backup proxy (and back at the next
 * attempt), 423 handling with Min-Expires, keep-alives for the flow, and
 * un-REGISTER on stop. Status: registered or not, last response code, expiry.
 *
 * SIP Outbound (RFC 5626) on every transport: the REGISTER's Contact carries
 * the station's `+sip.instance` and a `reg-id` (one per proxy, §4.2), and
 * `Supported: outbound, path` (§4.2.1). When the 2xx has `Require: outbound`
 * the registrar routes requests for the account over this very flow (the
 * connection the REGISTER went over), so a station that listens on no TLS
 * port still gets its calls; dialog Contacts then carry `ob` (§4.3). Such a
 * stream flow is watched: CRLF pings at the Flow-Timer's pace (80-100 % of
 * it, §4.4.1) must be answered by a pong within 10 s. A flow that fails or
 * closes is not registered any more: the account registers again at once on
 * a new connection, and after that with back-off (§4.5).
 */
import type { DigestClient } from "./digest.js";
import { type NameAddr, unquote } from "./headers.js";
import type { SipMessage } from "./message.js";
import type { HeaderList } from "./serialize.js";
import type { SipStack } from "./stack.js";
import type { Target, TransportName } from "./transport.js";

export interface ProxyAddress {
	host: string;
	port: number;
}

export interface AccountConfig {
	/** "1" or "2": the name used in logs and status. */
	id: string;
	enabled: boolean;
	displayName?: string;
	/** The user part of the address of record (register name). */
	user: string;
	/** The digest user name (defaults to user). */
	authUser?: string;
	password: string;
	server: string;
	/** The server's port; with "DNS-SRV" the SRV records decide. */
	port: number;
	/** "DNS-SRV": NAPTR/SRV choose transport, hosts and ports (RFC 3263). */
	transport: TransportName | "DNS-SRV";
	/** Seconds asked for in Expires. */
	expires: number;
	outboundProxy?: ProxyAddress;
	backupProxy?: ProxyAddress;
	/** For TLS: CA certificate(s) to trust. */
	ca?: unknown;
	/** UDP keep-alive interval in seconds (0: none); TCP/TLS flows get CRLF pings at the same interval. */
	keepAlive?: number;
	/** SIP Outbound (RFC 5626): on unless false. */
	outbound?: boolean;
}

export interface RegistrationStatus {
	id: string;
	registered: boolean;
	/** The last final response code (408 for a timeout, 503 for a transport error), 0 before any. */
	lastStatus: number;
	lastReason: string;
	/** When the binding expires (clock ms), 0 when not registered. */
	expiresAt: number;
	/** The proxy or server the registration went through. */
	via: string;
	/** The registrar confirmed SIP Outbound (RFC 5626): requests come over this flow. */
	outbound: boolean;
}

/** Seconds to wait before retrying after failures in a row (capped). */
const BACKOFF: readonly number[] = Object.freeze([5, 10, 30, 60, 120, 300]);

/** RFC 5626 §4.4.1: a ping not answered by a pong within 10 s means the flow failed. */
export const PONG_TIMEOUT = 10000;
/** A flow that fails sooner than this after its registration counts as a failure for the back-off (§4.5). */
const FLOW_STABLE = 60000;

export class Registration {
	#stack: SipStack;
	#config: AccountConfig;
	#digest: DigestClient;
	#callId: string;
	#tag: string;
	#cseq = 0;
	#status: RegistrationStatus;
	#timer: unknown;
	#failures = 0;
	#stopped = true;
	#busy = false;
	#expires: number;
	#target: Target | undefined;
	/** reg-id of the flow being registered: 1 for the first proxy, 2 for the backup (RFC 5626 §4.2). */
	#regId = 1;
	#registeredAt = 0;
	#flowFailures = 0;
	#unhook: (() => void) | undefined;
	#onChange: ((status: RegistrationStatus) => void) | undefined;

	constructor(stack: SipStack, config: AccountConfig, onChange?: (status: RegistrationStatus) => void) {
		this.#stack = stack;
		this.#config = config;
		this.#digest = stack.newDigestClient();
		this.#callId = stack.callId();
		this.#tag = stack.tag();
		this.#expires = config.expires;
		this.#onChange = onChange;
		this.#status = { id: config.id, registered: false, lastStatus: 0, lastReason: "", expiresAt: 0, via: "", outbound: false };
	}

	get status(): RegistrationStatus {
		return { ...this.#status };
	}
	get config(): AccountConfig {
		return this.#config;
	}
	/** The target requests for this account go to (outbound proxy or server), once resolved. */
	get target(): Target | undefined {
		return this.#target;
	}
	get aor(): string {
		return "sip:" + this.#config.user + "@" + this.#config.server;
	}

	start(): void {
		if (!this.#config.enabled || !this.#stopped)
			return;
		this.#stopped = false;
		this.#unhook = this.#stack.whenClosed(() => {
			// the sockets are going: no refresh or retry may outlive them
			this.#unhook = undefined;
			this.#stopped = true;
			this.#clearTimer();
			this.#update(false, this.#status.lastStatus, this.#status.lastReason, 0);
		});
		this.#register(0);
	}

	/** Remove the binding (Expires: 0) and stop; done is called when the server answered or gave up. */
	stop(done?: () => void): void {
		const wasRegistered = this.#status.registered;
		this.#stopped = true;
		this.#clearTimer();
		this.#unhook?.();
		this.#unhook = undefined;
		const target = this.#target;
		if (target)
			this.#stack.transport.keepAlive(target, 0);
		if (!wasRegistered || !target) {
			this.#update(false, this.#status.lastStatus, this.#status.lastReason, 0);
			done?.();
			return;
		}
		this.#send(target, 0, () => {
			this.#update(false, this.#status.lastStatus, this.#status.lastReason, 0);
			done?.();
		});
	}

	/**
	 * A TCP/TLS connection closed (or missed its keep-alive pong): when it
	 * carried this registration the account is not registered any more, and
	 * registers again on a new connection (RFC 5626 §4.5): at once when the
	 * flow had lived a while, else after the back-off, so that a server that
	 * drops every new flow is not hammered. Once a REGISTER fails the
	 * back-off decides as after any failure.
	 */
	flowLost(lost: Target): void {
		const t = this.#target;
		if (this.#stopped || !this.#status.registered || !t || t.transport !== lost.transport || t.address !== lost.address || t.port !== lost.port)
			return;
		this.#stack.log("sip: account " + this.#config.id + ": the flow to " + t.address + ":" + t.port + " was lost, registering again");
		this.#update(false, 503, "flow lost", 0);
		const now = this.#stack.clock.now();
		if (now - this.#registeredAt >= FLOW_STABLE)
			this.#flowFailures = 0;
		if (this.#flowFailures === 0) {
			this.#flowFailures++;
			this.refresh();
			return;
		}
		const delay = BACKOFF[Math.min(this.#flowFailures - 1, BACKOFF.length - 1)];
		this.#flowFailures++;
		this.#schedule(delay * 1000);
	}

	/** Register again now (a flow failed, or the configuration changed). */
	refresh(): void {
		if (this.#stopped)
			return;
		this.#clearTimer();
		this.#register(0);
	}

	/** The candidates in order: outbound proxy, backup proxy, else the registrar itself (§10.2). */
	#hops(): ProxyAddress[] {
		const c = this.#config;
		const hops: ProxyAddress[] = [];
		if (c.outboundProxy)
			hops.push(c.outboundProxy);
		if (c.backupProxy)
			hops.push(c.backupProxy);
		if (!c.outboundProxy)
			hops.unshift({ host: c.server, port: c.port });
		return hops;
	}

	#register(hopIndex: number): void {
		if (this.#stopped || this.#busy)
			return;
		const hops = this.#hops();
		const hop = hops[hopIndex];
		const c = this.#config;
		const srv = c.transport === "DNS-SRV";
		// the registrar itself under DNS-SRV is located by NAPTR/SRV; proxies and fixed transports by their address
		const isServer = hop.host === c.server && !c.outboundProxy && hopIndex === 0;
		this.#regId = hopIndex + 1;
		this.#busy = true;
		this.#stack.locate(hop.host, srv ? undefined : c.transport as TransportName, srv && isServer ? undefined : hop.port, (targets) => {
			this.#busy = false;
			if (this.#stopped)
				return;
			if (!targets.length) {
				this.#failed(503, "cannot resolve " + hop.host, hopIndex, hops.length);
				return;
			}
			this.#attempt(targets, 0, hopIndex, hops.length, hop);
		});
	}

	/** Try the located targets in order; on no answer or 5xx move to the next one (RFC 3263 §4.3). */
	#attempt(targets: Target[], index: number, hopIndex: number, hopCount: number, hop: ProxyAddress): void {
		const located = targets[index];
		const target: Target = located.transport === "TLS" ? { ...located, secure: { ca: this.#config.ca, serverName: this.#config.server } } : located;
		this.#busy = true;
		this.#send(target, this.#expires, (response, status, reason) => {
			this.#busy = false;
			if (this.#stopped)
				return;
			if (status >= 200 && status < 300 && response) {
				this.#target = target;
				this.#registered(response, target, { host: hop.host, port: target.port });
				return;
			}
			if (status === 423 && response) {
				const min = Number(response.header("Min-Expires"));
				if (Number.isInteger(min) && min > this.#expires && min <= 86400) {
					this.#expires = min;	// §10.2.8: ask again with at least Min-Expires
					this.#attempt(targets, index, hopIndex, hopCount, hop);
					return;
				}
			}
			if ((status === 408 || status === 503) && index + 1 < targets.length) {
				this.#stack.log("sip: account " + this.#config.id + ": " + target.address + ":" + target.port + " failed (" + status + "), trying the next target");
				this.#attempt(targets, index + 1, hopIndex, hopCount, hop);
				return;
			}
			this.#failed(status, reason, hopIndex, hopCount);
		});
	}

	/** The REGISTER's Contact: with outbound, the instance and reg-id parameters (RFC 5626 §4.2). */
	#contact(transport: TransportName): string {
		const uri = "<" + this.#stack.registerContactUri(this.#config.user, transport) + ">";
		if (this.#config.outbound === false)
			return uri;
		return uri + ";+sip.instance=\"<" + this.#stack.instance + ">\";reg-id=" + this.#regId;
	}

	#send(target: Target, expires: number, done: (response: SipMessage | undefined, status: number, reason: string) => void): void {
		const c = this.#config;
		const from = (c.displayName ? "\"" + c.displayName.replace(/["\\]/g, "") + "\" " : "") + "<" + this.aor + ">;tag=" + this.#tag;
		this.#cseq++;
		const headers: HeaderList = [["Expires", String(expires)], ["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"]];
		if (c.outbound !== false)
			headers.push(["Supported", "outbound, path"]);	// RFC 5626 §4.2.1: outbound, and Path (RFC 3327) which it needs
		this.#stack.send({
			method: "REGISTER",
			uri: "sip:" + c.server + (c.transport !== "DNS-SRV" && c.port !== (c.transport === "TLS" ? 5061 : 5060) ? ":" + c.port : ""),
			from,
			to: "<" + this.aor + ">",
			callId: this.#callId,
			cseq: this.#cseq,
			contact: this.#contact(target.transport),
			headers,
			credentials: { username: c.authUser || c.user, password: c.password },
			digest: this.#digest,
		}, target, {
			onResponse: (response, _request, _tx) => {
				try {
					const seq = response.cseq().seq;
					if (seq > this.#cseq)
						this.#cseq = seq;
				}
				catch { /* keep ours */ }
				if (response.status >= 200)
					done(response, response.status, response.reason);
			},
			onFailure: (status, reason) => done(undefined, status, reason),
		});
	}

	#registered(response: SipMessage, target: Target, hop: ProxyAddress): void {
		this.#failures = 0;
		let granted = this.#expires;
		// The Contact matching ours carries the granted expiry (§10.2.4); else the Expires header.
		try {
			const contact = this.#ours(response);
			const e = contact?.params.get("expires");
			if (e && Number.isInteger(Number(e)))
				granted = Number(e);
			else if (response.expires() !== undefined)
				granted = response.expires()!;
		}
		catch { /* keep what we asked for */ }
		if (granted <= 0) {
			this.#update(false, response.status, "binding refused", 0);
			this.#failed(response.status, "binding refused", 0, 1);
			return;
		}
		// RFC 5626 §4.2.1: `Require: outbound` in the 2xx says the registrar (and any edge proxy) supports it
		let outbound = false;
		let flowTimer = 0;
		if (this.#config.outbound !== false) {
			try {
				outbound = response.tokens("Require").some((t) => t.toLowerCase() === "outbound");
				const ft = Number(response.header("Flow-Timer"));
				if (Number.isInteger(ft) && ft > 0 && ft <= 86400)
					flowTimer = ft;
			}
			catch { /* no outbound */ }
		}
		this.#stack.setOutbound(this, outbound ? target.transport : undefined);
		if (!outbound && target.transport !== "UDP" && this.#stack.transport.localPort(target.transport) === undefined)
			this.#stack.log("sip: account " + this.#config.id + ": the registrar did not confirm outbound (RFC 5626); the station listens on no " + target.transport + " port, so calls reach it only if the server reuses this connection");
		const now = this.#stack.clock.now();
		this.#registeredAt = now;
		this.#status.outbound = outbound;
		this.#update(true, response.status, response.reason, now + granted * 1000, hop.host + ":" + hop.port);
		// Refresh ahead of expiry: halfway for short bindings, 30 s before for long ones.
		const refreshIn = Math.max(granted / 2, granted - 30);
		this.#schedule(refreshIn * 1000);
		// Keep-alives: the configured interval; with a Flow-Timer at most a random 80-100 % of it (RFC 5626 §4.4.1)
		let interval = (this.#config.keepAlive ?? 30) * 1000;
		if (flowTimer > 0) {
			const paced = Math.floor(flowTimer * 1000 * (0.8 + 0.2 * (parseInt(this.#stack.tag().slice(0, 4), 16) / 65536)));
			if (interval <= 0 || paced < interval)
				interval = paced;
		}
		if (interval > 0)
			this.#stack.transport.keepAlive(target, interval, outbound && target.transport !== "UDP" ? PONG_TIMEOUT : 0);
	}

	/** Our binding among the Contacts of a 2xx: the one with our instance and reg-id (RFC 5626 §6), else our URI. */
	#ours(response: SipMessage): NameAddr | undefined {
		const contacts = response.contacts();
		const instance = "<" + this.#stack.instance + ">";
		const byInstance = contacts.find((c) => unquote(c.params.get("+sip.instance")) === instance && c.params.get("reg-id") === String(this.#regId));
		if (byInstance)
			return byInstance;
		const mine = this.#stack.hostPort(this.#target?.transport ?? "UDP");
		return contacts.find((c) => c.uri.toString().indexOf(mine) >= 0);
	}

	#failed(status: number, reason: string, hopIndex: number, hopCount: number): void {
		this.#stack.log("sip: account " + this.#config.id + " registration failed: " + status + " " + reason);
		// Fail over to the next proxy at once when this one did not answer or refused service.
		if ((status === 408 || status === 503 || status >= 500) && hopIndex + 1 < hopCount) {
			this.#update(false, status, reason, 0);
			this.#register(hopIndex + 1);
			return;
		}
		const delay = BACKOFF[Math.min(this.#failures, BACKOFF.length - 1)];
		this.#failures++;
		this.#update(false, status, reason, 0);
		this.#schedule(delay * 1000);
	}

	#schedule(ms: number): void {
		this.#clearTimer();
		this.#timer = this.#stack.clock.set(() => {
			this.#timer = undefined;
			try {
				this.#register(0);
			}
			catch (e) {
				this.#stack.log("sip: registration error: " + String(e));
			}
		}, ms);
	}

	#clearTimer(): void {
		if (this.#timer !== undefined)
			this.#stack.clock.clear(this.#timer);
		this.#timer = undefined;
	}

	#update(registered: boolean, status: number, reason: string, expiresAt: number, via?: string): void {
		const s = this.#status;
		const changed = s.registered !== registered || s.lastStatus !== status;
		if (!registered) {
			s.outbound = false;
			this.#stack.setOutbound(this, undefined);
		}
		s.registered = registered;
		s.lastStatus = status;
		s.lastReason = reason;
		s.expiresAt = expiresAt;
		if (via !== undefined)
			s.via = via;
		if (changed)
			this.#onChange?.({ ...s });
	}
}
