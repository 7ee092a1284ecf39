/*
 * The INVITE client (RFC 3261 §13.2): placing a call through an account, to
 * a unit of the built-in server or directly to an IP address, and sending
 * its INVITE (on the INVITE client transaction, §17.1.1). Its responses:
 * provisional ones ring; a 2xx confirms the dialog and is ACKed
 * (§13.2.2.4), a 2xx from another fork is ACKed and ended with a BYE, a 2xx
 * retransmitted after the transaction ended is ACKed again; 3xx-6xx end the
 * call, but a 422 is asked again with the peer's Min-SE (RFC 4028 §6).
 * CANCEL (§9.1) waits for a provisional response and goes with the INVITE's
 * branch.
 *
 * One InviteClient per UserAgent (see UaCore).
 */
import { Call, type CallOptions } from "./call.js";
import { Dialog, routeSet } from "./dialog.js";
import { H } from "./names.js";
import type { SipMessage } from "./message.js";
import type { Registration } from "./registration.js";
import type { Binding } from "./registrar.js";
import { acceptAnswer, createOffer, parseSdp } from "./sdp.js";
import type { HeaderList, OutgoingRequest } from "./serialize.js";
import type { RequestSpec } from "./stack.js";
import type { ClientTransaction } from "./transactions.js";
import type { Target, TransportName } from "./transport.js";
import { decodeText } from "./text.js";
import { STATION_METHODS, UaRole, unitFlow } from "./ua-core.js";

/** @internal The INVITE client role of the user agent core. */
export class InviteClient extends UaRole {
	/**
	 * Call a number, a SIP URI or an IP address (direct IP call, `192*168*1*5`
	 * keypad form too). The account is the one named, else the default one;
	 * IP addresses go direct when no account is named.
	 */
	call(destination: string, options: CallOptions): Call | undefined {
		const core = this.core;
		if (core.calls.size >= core.maxCalls)
			return undefined;
		// a unit registered to the built-in server: straight to its binding
		const binding = options.account ? undefined : core.options.registrar?.lookup(destination);
		if (binding)
			return this.#callBinding(binding, options);
		const direct = directIp(destination);
		let registration: Registration | undefined;
		if (options.account)
			registration = core.ua.registrations.find((r) => r.config.id === options.account && r.status.registered);
		else if (!direct)
			registration = core.ua.defaultAccount();
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
		const stack = core.stack;
		const fromAor = registration ? registration.aor : "sip:" + (options.fromUser ?? "door") + "@" + stack.host;
		const { call, spec } = this.#outgoing(uri, fromAor, registration?.config.displayName ?? options.displayName, registration ? registration.config.user : options.fromUser ?? "door", transport, registration?.config.id, options.sdp);
		if (registration) {
			// the account's credentials answer challenges to the INVITE and to requests later in the dialog (BYE...)
			call.auth = { credentials: { username: registration.config.authUser || registration.config.user, password: registration.config.password }, digest: stack.newDigestClient() };
			Object.assign(spec, call.auth);
		}
		stack.resolve(next.host, next.port, transport, (target) => this.core.guard(() => {
			if (!target) {
				this.core.end(call, "503");
				return;
			}
			if (transport === "TLS" && registration)
				target.secure = { ca: registration.config.ca, serverName: registration.config.server };
			this.#invite(call, spec, target);
		}));
		core.ringLimit(call);
		core.state(call, "calling");
		return call;
	}

	/** A new outgoing call and its INVITE: our offer, or the SDP passed through. */
	#outgoing(uri: string, fromAor: string, display: string | undefined, contactUser: string, transport: TransportName, account: string | undefined, sdp: string | undefined): { call: Call; spec: RequestSpec } {
		const core = this.core;
		const stack = core.stack;
		const callId = stack.callId();
		const localTag = stack.tag();
		const local = core.options.media(callId);
		const from = (display ? "\"" + display.replace(/["\\]/g, "") + "\" " : "") + "<" + fromAor + ">;tag=" + localTag;
		const call = new Call(core.ua, { id: callId, direction: "outgoing", remote: "<" + uri + ">", account, local, localTag });
		call.sdp = sdp;
		core.calls.set(callId, call);
		const st = core.options.sessionTimer;
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

	/** Call a unit registered to the built-in server, on its flow (see unitFlow). */
	#callBinding(binding: Binding, options: CallOptions): Call {
		const core = this.core;
		const flow = unitFlow(binding.contact, binding.source);
		const host = core.options.registrar!.hostExtension;
		const { call, spec } = this.#outgoing(binding.contact, "sip:" + (options.fromUser ?? host) + "@" + core.stack.host, options.displayName, options.fromUser ?? host, flow.transport, undefined, options.sdp);
		call.flow = flow;
		call.subscriber = binding.user;
		this.#invite(call, spec, flow);
		core.ringLimit(call);
		core.state(call, "calling");
		return call;
	}

	#invite(call: Call, spec: RequestSpec, target: Target): void {
		this.core.stack.send(spec, target, {
			onResponse: (response, request, tx) => this.core.guard(() => this.#response(call, response, request, tx, target)),
			onFailure: (status) => this.core.guard(() => {
				if (call.state !== "ended" && call.state !== "answered")
					this.core.end(call, String(status), status);
			}),
		});
	}

	#response(call: Call, response: SipMessage, request: OutgoingRequest, tx: ClientTransaction, target: Target): void {
		const core = this.core;
		call.inviteTx = tx;
		const status = response.status;
		if (status < 200) {
			if (call.cancelWanted) {
				this.cancel(call);	// the CANCEL waited for this provisional response (§9.1)
				return;
			}
			if ((status === 180 || status === 183) && call.state === "calling")
				core.state(call, "ringing");
			return;
		}
		if (status >= 300) {
			if (status === 422 && !call.cancelWanted) {
				// RFC 4028 §6: ask again with the peer's Min-SE
				const min = Number(response.header("Min-SE")?.split(";")[0]);
				const st = core.options.sessionTimer;
				if (st && Number.isInteger(min) && min > 0 && min <= 86400) {
					const retry = replaceHeader(request, "Session-Expires", min + ";refresher=" + st.refresher);
					this.#invite(call, { ...specOf(request), cseq: response.cseq().seq + 1, body: request.body as string, headers: retry }, target);
					return;
				}
			}
			core.end(call, String(status), status);
			return;
		}
		// 2xx: the dialog is confirmed; ACK it (§13.2.2.4). A second 2xx from another fork is ACKed and ended.
		const remoteTag = response.toTag() ?? "";
		const existing = call.dialog;
		if (existing && existing.remoteTag !== remoteTag) {
			const fork = this.#dialogFrom2xx(call, response, request, target.transport);
			core.inDialog.ack(fork, response.cseq().seq);
			core.inDialog.bye(fork);
			return;
		}
		if (!existing) {
			call.dialog = this.#dialogFrom2xx(call, response, request, target.transport);
			if (call.state !== "ended")
				core.dialogs.set(call.dialog.key, call);
		}
		core.inDialog.ack(call.dialog!, response.cseq().seq);
		if (call.state === "answered" || call.state === "ended") {
			if (call.state === "ended" && !existing)
				core.inDialog.bye(call.dialog!);
			return;
		}
		if (call.cancelWanted) {
			core.inDialog.byeAndEnd(call, "local");
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
		core.sessionTimer.fromResponse(call, response);
		call.answeredAt = core.stack.clock.now();
		core.state(call, "answered");
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

	/** CANCEL the call's INVITE (§9.1): only once a provisional response came; retried when one arrives. */
	cancel(call: Call): void {
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
		this.core.stack.transactions.request({ method: "CANCEL", uri: invite.uri, headers }, tx.branch, tx.target, { onResponse() {} });
	}

	/** A 2xx to an INVITE after its transaction ended: our ACK was lost, send it again (§13.2.2.4). */
	strayResponse(response: SipMessage): void {
		if (response.status < 200 || response.status >= 300)
			return;
		let call: Call | undefined;
		try {
			if (response.cseq().method !== "INVITE")
				return;
			call = this.core.dialogs.get(Dialog.key(response.callId(), response.fromTag() ?? "", response.toTag() ?? ""));
		}
		catch {
			return;
		}
		if (call?.dialog)
			this.core.inDialog.ack(call.dialog, response.cseq().seq);
	}
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
