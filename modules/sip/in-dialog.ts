/*
 * Requests within a dialog (RFC 3261 §12.2): the UAS side matches a request
 * to its dialog (481 when there is none), keeps the remote CSeq in order
 * (500 Out of Order) and answers BYE (§15.1.2), a re-INVITE (§14.2) or
 * UPDATE (RFC 3311) with its offer and session timer, INFO with DTMF
 * (RFC 6086; application/dtmf-relay and application/dtmf) and OPTIONS
 * (§11.2); an ACK goes to the INVITE server. The UAC side sends BYE (§15.1.1),
 * INFO and ACK to the dialog's next hop (§12.2.1.1); ACK for a 2xx goes
 * outside any transaction (§13.2.2.4, §17.1.1.3).
 *
 * One InDialog per UserAgent (see UaCore).
 */
import type { Call } from "./call.js";
import { Dialog } from "./dialog.js";
import type { SipMessage } from "./message.js";
import { createAnswer, parseSdp } from "./sdp.js";
import type { HeaderList } from "./serialize.js";
import type { RequestSpec } from "./stack.js";
import type { ServerTransaction } from "./transactions.js";
import { checkRequest } from "./uas-checks.js";
import { decodeText } from "./text.js";
import { UaRole } from "./ua-core.js";

/** @internal The in-dialog role of the user agent core. */
export class InDialog extends UaRole {
	/* ---------- UAS: a request with a To tag (§12.2.2) ---------- */

	receive(request: SipMessage, tx: ServerTransaction | undefined, toTag: string): void {
		const core = this.core;
		const method = request.method!;
		let key: string;
		try {
			key = Dialog.key(request.callId(), toTag, request.fromTag() ?? "");
		}
		catch {
			return;
		}
		const call = core.dialogs.get(key);
		if (method === "ACK") {
			if (call)
				core.server.ack(call, request);
			return;
		}
		if (!tx)
			return;
		// a request that cannot be read (a CSeq that does not parse...) is refused as outside a dialog
		const refusal = checkRequest(request, core.caps);
		if (refusal) {
			tx.respond(refusal.status, { reason: refusal.reason, headers: refusal.headers });
			return;
		}
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
		switch (method) {
			case "BYE":
				tx.respond(200);
				core.end(call, "remote");
				return;
			case "INVITE":
			case "UPDATE":
				this.#refresh(call, request, tx);
				return;
			case "INFO":
				this.#info(call, request, tx);
				return;
			case "OPTIONS":
				tx.respond(200, { headers: core.capabilityHeaders() });
				return;
		}
		tx.respond(405, { headers: [["Allow", core.caps.methods.join(", ")]] });
	}

	/** A re-INVITE or UPDATE: answer any offer, refresh the target and the session timer. */
	#refresh(call: Call, request: SipMessage, tx: ServerTransaction): void {
		const core = this.core;
		call.dialog!.updateTarget(request);
		const headers: HeaderList = [["Contact", "<" + core.stack.contactUri("door", call.dialog!.transport) + ">"]];
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
		const se = core.sessionTimer.forRequest(call, request);
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
			this.core.options.onDtmf?.(call, digit, "info");
	}

	/* ---------- UAC: requests we send in a dialog (§12.2.1) ---------- */

	info(call: Call, contentType: string, body: string): void {
		if (call.state !== "answered" || !call.dialog)
			return;
		this.send(call.dialog, call.dialog.request("INFO", [["Content-Type", contentType]], body), () => {});
	}

	ack(dialog: Dialog, cseq: number): void {
		const spec = dialog.requestAt("ACK", cseq);
		this.send(dialog, spec, undefined);
	}

	bye(dialog: Dialog, auth?: Call["auth"]): void {
		const spec = dialog.request("BYE");
		if (auth)
			Object.assign(spec, auth);
		this.send(dialog, spec, () => {});
	}

	/** BYE with the call's credentials, and the call is over. */
	byeAndEnd(call: Call, reason: string): void {
		this.bye(call.dialog!, call.auth);
		this.core.end(call, reason);
	}

	/** Send a request in a dialog to its next hop; ACK goes outside any transaction (§17.1.1.3). */
	send(dialog: Dialog, spec: RequestSpec, done: ((response: SipMessage | undefined) => void) | undefined): void {
		const hop = dialog.nextHop();
		if (!hop.host)
			return;
		this.core.stack.resolve(hop.host, hop.port, hop.transport, (target) => this.core.guard(() => {
			if (!target)
				return;
			const stack = this.core.stack;
			if (spec.method === "ACK") {
				const branch = stack.branch();
				stack.transactions.sendStateless(stack.build(spec, target.transport, branch), target);
				return;
			}
			stack.send(spec, target, {
				onResponse: (response) => {
					if (response.status >= 200)
						done?.(response);
				},
				onFailure: () => done?.(undefined),
			});
		}));
	}
}

/** RFC 4733 event codes 0-15 to their keys. */
function dtmfDigit(text: string): string | undefined {
	const codes = "0123456789*#ABCD";
	if (/^(1[0-5]|[0-9])$/.test(text) && text.length > 1)
		return codes[Number(text)];
	const upper = text.toUpperCase();
	return codes.indexOf(upper) >= 0 && upper.length === 1 ? upper : undefined;
}
