/*
 * Registration of one SIP account (RFC 3261 §10): REGISTER with digest
 * authentication, refresh before expiry, retry with back-off after a failure,
 * fail over from the outbound proxy to the backup proxy (and back at the next
 * attempt), 423 handling with Min-Expires, keep-alives for the flow, and
 * un-REGISTER on stop. Status: registered or not, last response code, expiry.
 */
import type { DigestClient } from "./digest.js";
import type { SipMessage } from "./message.js";
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
}

/** Seconds to wait before retrying after failures in a row (capped). */
const BACKOFF: readonly number[] = Object.freeze([5, 10, 30, 60, 120, 300]);

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
	#onChange: ((status: RegistrationStatus) => void) | undefined;

	constructor(stack: SipStack, config: AccountConfig, onChange?: (status: RegistrationStatus) => void) {
		this.#stack = stack;
		this.#config = config;
		this.#digest = stack.newDigestClient();
		this.#callId = stack.callId();
		this.#tag = stack.tag();
		this.#expires = config.expires;
		this.#onChange = onChange;
		this.#status = { id: config.id, registered: false, lastStatus: 0, lastReason: "", expiresAt: 0, via: "" };
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
		this.#register(0);
	}

	/** Remove the binding (Expires: 0) and stop; done is called when the server answered or gave up. */
	stop(done?: () => void): void {
		const wasRegistered = this.#status.registered;
		this.#stopped = true;
		this.#clearTimer();
		const target = this.#target;
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
	 * A TCP/TLS connection closed: when it carried this registration, register
	 * again now rather than at the next refresh. Once that fails the account is
	 * not registered and the back-off decides, so a dead server is not hammered.
	 */
	flowLost(lost: Target): void {
		const t = this.#target;
		if (this.#status.registered && t && t.transport === lost.transport && t.address === lost.address && t.port === lost.port)
			this.refresh();
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

	#send(target: Target, expires: number, done: (response: SipMessage | undefined, status: number, reason: string) => void): void {
		const c = this.#config;
		const from = (c.displayName ? "\"" + c.displayName.replace(/["\\]/g, "") + "\" " : "") + "<" + this.aor + ">;tag=" + this.#tag;
		this.#cseq++;
		this.#stack.send({
			method: "REGISTER",
			uri: "sip:" + c.server + (c.transport !== "DNS-SRV" && c.port !== (c.transport === "TLS" ? 5061 : 5060) ? ":" + c.port : ""),
			from,
			to: "<" + this.aor + ">",
			callId: this.#callId,
			cseq: this.#cseq,
			contact: "<" + this.#stack.contactUri(c.user, target.transport) + ">",
			headers: [["Expires", String(expires)], ["Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"]],
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
			const mine = this.#stack.hostPort(target.transport);
			const contact = response.contacts().find((c) => c.uri.toString().indexOf(mine) >= 0);
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
		const now = this.#stack.clock.now();
		this.#update(true, response.status, response.reason, now + granted * 1000, hop.host + ":" + hop.port);
		// Refresh ahead of expiry: halfway for short bindings, 30 s before for long ones.
		const refreshIn = Math.max(granted / 2, granted - 30);
		this.#schedule(refreshIn * 1000);
		const keepAlive = this.#config.keepAlive ?? 30;
		if (keepAlive > 0)
			this.#stack.transport.keepAlive(target, keepAlive * 1000);
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
