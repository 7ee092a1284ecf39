/*
 * Dialog state (RFC 3261 §12): Call-ID, tags, sequence numbers, the remote
 * target and the route set, and building requests inside the dialog
 * (§12.2.1.1: Request-URI the remote target, Route the route set, loose
 * routing) with the next hop they go to.
 */
import type { NameAddr } from "./headers.js";
import type { SipMessage } from "./message.js";
import type { HeaderList } from "./serialize.js";
import type { RequestSpec } from "./stack.js";
import type { Target, TransportName } from "./transport.js";
import { SipUri, parseUri } from "./uri.js";

export class Dialog {
	readonly callId: string;
	readonly localTag: string;
	remoteTag: string;
	/** Our From (UAC) or To (UAS) header value with our tag. */
	readonly local: string;
	/** The peer's header value with its tag. */
	remote: string;
	localSeq: number;
	remoteSeq: number;
	remoteTarget: string;
	/** Route set, in the order the Route headers are written. */
	routes: string[];
	readonly transport: TransportName;
	/** A fixed next hop for every request (a unit of the built-in server, reached on its flow). */
	flow: Target | undefined;

	constructor(o: { callId: string; localTag: string; remoteTag: string; local: string; remote: string; localSeq: number; remoteSeq: number; remoteTarget: string; routes: string[]; transport: TransportName }) {
		this.callId = o.callId;
		this.localTag = o.localTag;
		this.remoteTag = o.remoteTag;
		this.local = o.local;
		this.remote = o.remote;
		this.localSeq = o.localSeq;
		this.remoteSeq = o.remoteSeq;
		this.remoteTarget = o.remoteTarget;
		this.routes = o.routes;
		this.transport = o.transport;
	}

	/** The key a request in this dialog carries: Call-ID, our tag, the peer's tag. */
	static key(callId: string, localTag: string, remoteTag: string): string {
		return callId + "\n" + localTag + "\n" + remoteTag;
	}
	get key(): string {
		return Dialog.key(this.callId, this.localTag, this.remoteTag);
	}

	/** A request in this dialog (not ACK or CANCEL, which copy their INVITE's CSeq). */
	request(method: string, headers?: HeaderList, body?: string): RequestSpec {
		this.localSeq++;
		return this.requestAt(method, this.localSeq, headers, body);
	}

	requestAt(method: string, cseq: number, headers?: HeaderList, body?: string): RequestSpec {
		const h: HeaderList = this.routes.map((r) => ["Route", r] as const);
		if (headers)
			h.push(...headers);
		const spec: RequestSpec = { method, uri: this.remoteTarget, from: this.local, to: this.remote, callId: this.callId, cseq, headers: h };
		if (body !== undefined)
			spec.body = body;
		return spec;
	}

	/** Where in-dialog requests go: the first route if any (loose routing), else the remote target (§12.2.1.1, §8.1.2). */
	nextHop(): { host: string; port: number; transport: TransportName } {
		if (this.flow)
			return { host: this.flow.address, port: this.flow.port, transport: this.flow.transport };
		const first = this.routes.length ? this.routes[0].replace(/^[^<]*<([^>]*)>.*$/, "$1") : this.remoteTarget;
		let uri;
		try {
			uri = parseUri(first);
		}
		catch {
			uri = undefined;
		}
		if (!(uri instanceof SipUri))
			return { host: "", port: 0, transport: this.transport };
		const t = uri.transport;
		const transport: TransportName = uri.scheme === "sips" || t === "tls" ? "TLS" : t === "tcp" ? "TCP" : t === "udp" ? "UDP" : this.transport;
		const host = uri.host.charCodeAt(0) === 91 ? uri.host.slice(1, -1) : uri.host;
		return { host, port: uri.port ?? (transport === "TLS" ? 5061 : 5060), transport };
	}

	/** Refresh the remote target from a target-refresh request or response (§12.2.2, §12.2.1.2). */
	updateTarget(message: SipMessage): void {
		try {
			const contact = message.contacts()[0];
			if (contact)
				this.remoteTarget = contact.uri.toString();
		}
		catch { /* keep the old target */ }
	}
}

/** Route set from Record-Route values, as written (UAS) or reversed (UAC), §12.1.1, §12.1.2. */
export function routeSet(message: SipMessage, reverse: boolean): string[] {
	let rr: NameAddr[];
	try {
		rr = message.recordRoutes();
	}
	catch {
		rr = [];
	}
	const routes = rr.map((r) => r.toString());
	return reverse ? routes.reverse() : routes;
}
