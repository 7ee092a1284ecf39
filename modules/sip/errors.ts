/*
 * The one error the SIP parsers raise. `reason` is short enough to be sent back
 * as the reason phrase of the answer (`400 Bad CSeq`); `status` is the answer a
 * UAS gives to a request that fails this way (400, 413, 505, 513).
 */
export class SipParseError extends Error {
	readonly reason: string;
	readonly status: number;
	/**
	 * The message as far as it could be read, when the error was found after
	 * its headers were indexed (another SIP version, a body shorter than its
	 * Content-Length): enough to answer a request with `status`.
	 */
	partial: unknown;
	constructor(reason: string, status = 400) {
		super(reason);
		this.reason = reason;
		this.status = status;
	}
	override get name(): string {
		return "SipParseError";
	}
}

export function fail(reason: string, status = 400): never {
	throw new SipParseError(reason, status);
}
