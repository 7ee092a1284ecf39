/*
 * A call as the door logic sees it (RFC 3261 §12-§15 and RFC 4028 live in
 * the user agent's role modules; this is only their handle): its state, the
 * peer, media, and the few things the door may do with it (ring, answer,
 * reject, hang up, send INFO). The fields marked internal belong to the
 * user agent; the door never touches them.
 */
import type { Dialog } from "./dialog.js";
import type { DigestClient, DigestCredentials } from "./digest.js";
import type { AudioSession, LocalMedia, SessionDescription } from "./sdp.js";
import type { ClientTransaction, ServerTransaction } from "./transactions.js";
import type { Target } from "./transport.js";
import type { UserAgent } from "./ua.js";

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
	/** @internal answerSoon() was called: the 200 follows in this receive (no 180 before it). */ answerPending = false;
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
	/**
	 * Answer as soon as the request at hand has been handled (at once when
	 * none is): the auto-answer without delay. The 200 leaves in the same
	 * receive as the INVITE, from a stack the INVITE's handlers have left, and
	 * alone: no 100 or 180 before it. A call ended meanwhile is not answered.
	 */
	answerSoon(): void {
		this.answerPending = true;
		this.ua.stack.transport.afterDelivery(() => {
			this.answerPending = false;
			this.answer();
		});
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
