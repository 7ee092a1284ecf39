/*
 * The INVITE server (RFC 3261 §13.3): an incoming INVITE takes a call slot
 * (486 beyond), is refused when merged (482, §8.2.2.2), below our Min-SE
 * (422, RFC 4028 §8) or with an SDP offer that does not parse (400); its
 * dialog gets our tag at once (§12.1.1); 100 Trying goes out unless the door
 * rang or answered while the INVITE was handled (§17.2.1). Then the
 * door rings (180, left out when the 200 follows in the same receive), answers (2xx with the answer or, for a late offer, our
 * offer; retransmitted until the ACK, and given up with a BYE after 64*T1,
 * §13.3.1.4) or rejects it. An incoming CANCEL (§9.2) ends a call not yet
 * answered with 487. The ACK completes the answer: a late offer's answer
 * comes in it, and without one the call ends (RFC 3264 §4).
 *
 * One InviteServer per UserAgent (see UaCore).
 */
import { Call } from "./call.js";
import { Dialog, routeSet } from "./dialog.js";
import { H } from "./names.js";
import type { SipMessage } from "./message.js";
import { type SessionDescription, acceptAnswer, createAnswer, createOffer, parseSdp } from "./sdp.js";
import type { HeaderList } from "./serialize.js";
import { sessionExpiresOf } from "./session-timer.js";
import type { ServerTransaction } from "./transactions.js";
import type { Source } from "./transport.js";
import { decodeText } from "./text.js";
import { STATION_METHODS, UaRole, unitFlow } from "./ua-core.js";
import { SipUri } from "./uri.js";

/** Call slots kept for trusted calls (an account's server, a unit, a call out): untrusted callers never take them. */
export const RESERVED_CALLS = 2;

/** @internal The INVITE server role of the user agent core. */
export class InviteServer extends UaRole {
	/** A new INVITE (no To tag) that passed the checks and the screening. */
	invite(request: SipMessage, source: Source, tx: ServerTransaction, subscriber: string | undefined): void {
		const core = this.core;
		const localTag = core.stack.tag();
		const account = core.ua.accountOf(source)?.config.id;
		const trusted = account !== undefined || subscriber !== undefined || core.options.trusted?.(request, source) === true;
		if (!this.#slotFor(trusted, source.address)) {
			tx.refuse(486, { toTag: localTag });
			if (!trusted)
				core.logLimit.note("busy " + source.address, "sip: direct call from " + source.address + " refused: no call slot for untrusted callers");
			return;
		}
		const callId = request.callId();
		if (core.calls.has(callId)) {
			tx.refuse(482, { toTag: localTag });	// a merged request (§8.2.2.2)
			return;
		}
		// RFC 4028 §8: refuse an interval below our minimum
		const st = core.options.sessionTimer;
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
		const call = new Call(core.ua, { id: callId, direction: "incoming", remote: from, account, local: core.options.media(callId), localTag });
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
		core.calls.set(callId, call);
		core.dialogs.set(call.dialog.key, call);
		tx.onTimeout = () => this.core.end(call, "timeout");
		// §17.2.1: 100 Trying is owed only when the TU will not answer within 200 ms. It is
		// decided once the INVITE's handlers have returned, still in this receive: a door
		// that refused, rings (its 180 follows) or answers (its 200 follows) has answered,
		// and the 100 would be one more message to build and send before them.
		core.stack.transport.afterDelivery(() => {
			if (tx.lastStatus === 0 && tx.state === "proceeding" && call.state === "calling" && !call.answerPending)
				tx.respond(100);
		});
		core.ringLimit(call);
		try {
			core.state(call, "calling");
			core.options.onIncomingCall(call);
		}
		catch (e) {
			// whatever failed above us, the call does not stay behind
			core.stack.log("sip: incoming call failed: " + String(e));
			if (call.state === "calling" || call.state === "ringing")
				this.reject(call, 500);
			else
				core.ua.hangup(call, "error");
		}
	}

	/**
	 * Room for one more call: every slot for a trusted call; an untrusted
	 * caller never takes the last RESERVED_CALLS slots, and holds at most one
	 * call per address.
	 */
	#slotFor(trusted: boolean, address: string): boolean {
		const core = this.core;
		if (core.calls.size >= core.maxCalls)
			return false;
		if (trusted)
			return true;
		let untrusted = 0;
		for (const call of core.calls.values()) {
			if (!call.trusted) {
				untrusted++;
				if (call.signalAddress === address)
					return false;
			}
		}
		return untrusted < Math.max(1, core.maxCalls - RESERVED_CALLS);
	}

	/** CANCEL of a pending INVITE (§9.2): 200 to the CANCEL, 487 to the INVITE. */
	cancel(request: SipMessage, tx: ServerTransaction): void {
		const core = this.core;
		const invite = core.stack.transactions.findInvite(request);
		const call = invite ? core.calls.get(invite.request.callId()) : undefined;
		if (!invite || !call || call.state === "answered" || call.state === "ended") {
			tx.respond(481, { toTag: core.stack.tag() });
			return;
		}
		tx.respond(200, { toTag: call.localTag });
		invite.respond(487, { toTag: call.localTag });	// §9.2
		core.end(call, "remote");
	}

	/** The ACK in the call's dialog: the 2xx arrived (§13.3.1.4); a late offer is answered in it. */
	ack(call: Call, request: SipMessage): void {
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
			this.core.stack.log("sip: call " + call.id + " has no answer in its ACK: ending it");
			this.core.inDialog.byeAndEnd(call, "no-answer-sdp");
		}
	}

	/* ---------- what the door does with it ---------- */

	/**
	 * The door rings: the call is "ringing" at once, and 180 goes out once the
	 * request at hand has been handled (at once when none is), unless the door
	 * answers in that same receive (auto-answer without delay): a provisional
	 * response is optional (§13.3.1.1) and one followed at once by the 200
	 * tells the caller nothing, while it costs a message before the answer.
	 */
	ring(call: Call): void {
		if (call.direction !== "incoming" || call.state !== "calling")
			return;
		this.core.state(call, "ringing");
		this.core.stack.transport.afterDelivery(() => {
			if (call.state === "ringing" && !call.answerPending)
				call.serverTx?.respond(180, { toTag: call.localTag, headers: [["Contact", "<" + this.core.stack.contactUri("door", call.dialog!.transport) + ">"]] });
		});
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
				this.core.end(call, "488");
				return;
			}
			call.audio = answer.audio;
			body = answer.sdp;
		}
		else
			body = createOffer(call.local);	// late offer: the answer comes in the ACK
		const headers: HeaderList = [
			["Contact", "<" + this.core.stack.contactUri("door", call.dialog!.transport) + ">"],
			["Allow", STATION_METHODS.join(", ")],
			["Content-Type", "application/sdp"],
		];
		const se = this.core.sessionTimer.forRequest(call, tx.request);
		if (se)
			headers.push(...se);
		tx.respond(200, { toTag: call.localTag, headers, body });
		call.answeredAt = this.core.stack.clock.now();
		this.core.state(call, "answered");
		call.settled();
		// §13.3.1.4: retransmit the 2xx from T1, doubling to T2, until the ACK; give up after 64*T1 and hang up.
		const timers = this.core.stack.transactions.timers;
		if (tx.source.transport === "UDP") {
			let interval = timers.T1;
			const resend = () => {
				if (call.state !== "answered" || !call.serverTx)
					return;
				call.serverTx.respond(200, { toTag: call.localTag, headers, body });
				interval = Math.min(interval * 2, timers.T2);
				call.timers[0] = this.core.stack.clock.set(resend, interval);
			};
			call.timers[0] = this.core.stack.clock.set(resend, interval);
		}
		call.timers[1] = this.core.stack.clock.set(() => this.core.guard(() => {
			if (call.timers[1] === undefined)
				return;
			call.timers[1] = undefined;
			if (call.state === "answered" && call.serverTx && call.timers[0] !== undefined) {
				this.#clearRetransmit(call);
				this.core.inDialog.bye(call.dialog!);
				this.core.end(call, "no ACK");
			}
		}), 64 * timers.T1);
	}

	#clearRetransmit(call: Call): void {
		for (const i of [0, 1]) {
			if (call.timers[i] !== undefined)
				this.core.stack.clock.clear(call.timers[i]);
			call.timers[i] = undefined;
		}
		call.serverTx?.release();	// nothing more is sent through it: Accepted shrinks to a cache entry
		call.serverTx = undefined;
	}

	reject(call: Call, status: number, reason?: string): void {
		if (call.direction !== "incoming" || (call.state !== "calling" && call.state !== "ringing"))
			return;
		call.serverTx?.respond(status, { toTag: call.localTag, reason });
		this.core.end(call, String(status), status);
	}
}
