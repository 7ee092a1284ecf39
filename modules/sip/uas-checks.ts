/*
 * The checks a UAS makes on a new request before it acts on it (RFC 3261
 * §8.2.1-§8.2.3), as one pure function: given the request and what this UA
 * supports, the answer to send, or null to go on. The transaction and dialog
 * layers call it for requests outside a transaction; the RFC 4475 torture
 * tests call it to check the station's answers.
 */
import { SipParseError } from "./errors.js";
import { type SipMessage } from "./message.js";
import { type HeaderList } from "./serialize.js";

export interface UasCapabilities {
	/** Methods this UA implements (ACK and CANCEL are always understood). */
	readonly methods: readonly string[];
	/** Request-URI schemes this UA serves. */
	readonly schemes: readonly string[];
	/** Option tags of supported extensions (Require, RFC 3261 §8.2.2.3). */
	readonly extensions: readonly string[];
	/** Body types this UA can process (§8.2.3). */
	readonly contentTypes: readonly string[];
}

export interface UasAnswer {
	status: number;
	reason?: string;
	headers: HeaderList;
}

/** Methods defined by RFC 3261 and its extensions: known, so 405 rather than 501 (§21.4.6, §21.5.2). */
const KNOWN_METHODS: readonly string[] = Object.freeze([
	"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK",
	"SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH",
]);

function matchesMediaRange(range: { type: string; subtype: string }, type: string): boolean {
	if (range.type === "*")
		return true;
	const slash = type.indexOf("/");
	if (range.type !== type.slice(0, slash))
		return false;
	return range.subtype === "*" || range.subtype === type.slice(slash + 1);
}

/**
 * Returns the answer for a request this UA must refuse, or null. A malformed
 * request is answered 400 with the parser's reason; the version was checked
 * when it was parsed (505).
 */
export function checkRequest(request: SipMessage, caps: UasCapabilities): UasAnswer | null {
	const method = request.method;
	if (method === undefined)
		return null;
	try {
		request.validate();
		// RFC 4475 §3.2.1: a branch that is only the magic cookie identifies no transaction.
		const branch = request.topVia().branch;
		if (branch !== undefined && branch.toLowerCase() === "z9hg4bk")
			return { status: 400, reason: "Missing Transaction Identifier", headers: [] };
	}
	catch (e) {
		if (e instanceof SipParseError)
			return { status: e.status, reason: e.reason, headers: [] };
		throw e;
	}
	if (method === "ACK")
		return null;	// an ACK is never answered (§17.1.1.3)

	// §8.2.1 method inspection
	if (method !== "CANCEL" && caps.methods.indexOf(method) < 0) {
		const allow: HeaderList = [["Allow", caps.methods.join(", ")]];
		if (KNOWN_METHODS.indexOf(method) >= 0)
			return { status: 405, headers: allow };
		return { status: 501, headers: allow };
	}

	// §8.2.2.1 Request-URI scheme
	const scheme = request.uri.scheme;
	if (caps.schemes.indexOf(scheme) < 0)
		return { status: 416, headers: [] };

	// §8.2.2.3 Require: every option tag must be supported (not for CANCEL, nor ACK)
	if (method !== "CANCEL") {
		const unsupported: string[] = [];
		const required = request.tokens("Require");
		for (let i = 0; i < required.length; i++) {
			const tag = required[i];
			if (caps.extensions.indexOf(tag.toLowerCase()) < 0)
				unsupported.push(tag);
		}
		if (unsupported.length > 0)
			return { status: 420, headers: [["Unsupported", unsupported.join(", ")]] };
	}

	// §8.2.3 content processing: an unknown body type or encoding is refused with Accept
	if (request.bodyEnd > request.bodyStart) {
		const type = request.contentType();
		const encodings = request.tokens("Content-Encoding");
		if (!type || caps.contentTypes.indexOf(type.essence) < 0 || encodings.some((e) => e.toLowerCase() !== "identity"))
			return { status: 415, headers: [["Accept", caps.contentTypes.join(", ")], ["Accept-Encoding", "identity"]] };
	}

	// An INVITE whose Accept excludes SDP cannot be answered with a session (RFC 4475 §3.3.15, §21.4.7)
	if (method === "INVITE") {
		const accept = request.accept();
		if (accept !== undefined && !accept.some((range) => matchesMediaRange(range, "application/sdp")))
			return { status: 406, headers: [["Accept", "application/sdp"]] };
	}
	return null;
}
