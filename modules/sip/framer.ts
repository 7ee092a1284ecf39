/*
 * Stream framing for SIP over TCP and TLS (RFC 3261 §18.3): a message is its
 * header section plus Content-Length octets; messages may arrive split over
 * many reads or several in one read. Between messages, RFC 5626 §4.4.1
 * keep-alives: a double CRLF is a ping (answer with a single CRLF), a single
 * CRLF is the pong.
 *
 * Memory is bounded: the buffer never holds more than one message of the
 * parser's maxSize; anything larger loses the framing and the stream must be
 * closed (onError is called once, later input is ignored).
 */
import { SipParseError } from "./errors.js";
import { type SipMessage, type SipParser } from "./message.js";
import { CR, LF } from "./text.js";

export interface FramerOptions {
	parser: SipParser;
	onMessage(this: SipStreamFramer, message: SipMessage): void;
	/** ping: the peer sent CRLFCRLF and expects CRLF back; otherwise it answered our ping. */
	onKeepAlive?(this: SipStreamFramer, ping: boolean): void;
	/** The stream is unusable (framing lost, message too large, unparsable header section). */
	onError?(this: SipStreamFramer, error: SipParseError): void;
	/** A message arrived whole but is malformed; the stream goes on (answer it 400 if it was a request). */
	onBadMessage?(this: SipStreamFramer, error: SipParseError, bytes: Uint8Array): void;
}

export class SipStreamFramer {
	#parser: SipParser;
	#buf: Uint8Array;
	#len = 0;
	#scan = 0;	// where the search for the end of the header section resumes
	#headEnd = -1;	// end of the header section of the message being completed, once known
	#failed = false;
	#onMessage: FramerOptions["onMessage"];
	#onKeepAlive: FramerOptions["onKeepAlive"];
	#onError: FramerOptions["onError"];
	#onBadMessage: FramerOptions["onBadMessage"];

	constructor(options: FramerOptions) {
		this.#parser = options.parser;
		this.#buf = new Uint8Array(options.parser.maxSize);
		this.#onMessage = options.onMessage;
		this.#onKeepAlive = options.onKeepAlive;
		this.#onError = options.onError;
		this.#onBadMessage = options.onBadMessage;
	}
	/** Octets waiting for the rest of their message. */
	get buffered(): number {
		return this.#len;
	}
	get failed(): boolean {
		return this.#failed;
	}

	/** Feed octets read from the stream. Returns false once the stream must be closed. */
	push(chunk: Uint8Array): boolean {
		let offset = 0;
		while (!this.#failed && offset < chunk.length) {
			const room = this.#buf.length - this.#len;
			if (room === 0) {
				this.#fail(new SipParseError("Message Too Large", 513));
				break;
			}
			const n = Math.min(room, chunk.length - offset);
			this.#buf.set(chunk.subarray(offset, offset + n), this.#len);
			this.#len += n;
			offset += n;
			this.#drain();
		}
		return !this.#failed;
	}

	#drain(): void {
		const buf = this.#buf;
		let thrown: { error: unknown } | undefined;
		while (!this.#failed && this.#len > 0) {
			const len = this.#len;
			// Keep-alives and stray line ends between messages.
			if (buf[0] === CR || buf[0] === LF) {
				if (len >= 4 && buf[0] === CR && buf[1] === LF && buf[2] === CR && buf[3] === LF) {
					this.#consume(4);
					this.#keepAlive(true);
					continue;
				}
				if (len >= 2 && buf[0] === CR && buf[1] === LF) {
					if (len === 2 || buf[2] !== CR) {
						this.#consume(2);
						this.#keepAlive(false);
						continue;
					}
					break;	// CRLF CR: wait for the rest of a ping
				}
				if (buf[0] === LF) {
					this.#consume(1);
					continue;
				}
				break;
			}
			// End of the header section: an empty line.
			let headEnd = this.#headEnd;
			for (let i = this.#scan; headEnd < 0 && i < len; i++) {
				if (buf[i] !== LF)
					continue;
				if (i + 1 < len && buf[i + 1] === LF) {
					headEnd = i + 2;
					break;
				}
				if (i + 2 < len && buf[i + 1] === CR && buf[i + 2] === LF) {
					headEnd = i + 3;
					break;
				}
			}
			if (headEnd < 0) {
				this.#scan = Math.max(0, len - 2);
				break;
			}
			let total: number;
			try {
				const declared = this.#parser.contentLengthOf(buf, 0, headEnd);
				// Without Content-Length a stream message has no body (§18.3 makes it mandatory).
				total = headEnd + (declared < 0 ? 0 : declared);
			}
			catch (e) {
				this.#fail(e instanceof SipParseError ? e : new SipParseError("Bad header section"));
				break;
			}
			if (total > buf.length) {
				this.#fail(new SipParseError("Message Too Large", 513));
				break;
			}
			if (total > len) {
				this.#headEnd = headEnd;	// only the body is missing
				break;
			}
			const bytes = buf.slice(0, total);
			this.#consume(total);
			let message: SipMessage | undefined;
			try {
				message = this.#parser.parse(bytes);
			}
			catch (e) {
				// Framing is intact (the length was known), so only this message is lost.
				this.#report(e instanceof SipParseError ? e : new SipParseError("Bad message"), bytes);
			}
			if (message) {
				// A throwing callback must not hold back the messages behind it: deliver them, then rethrow.
				try {
					this.#onMessage.call(this, message);
				}
				catch (e) {
					thrown ??= { error: e };
				}
			}
		}
		if (thrown)
			throw thrown.error;
	}

	/** Drop n octets from the front; done before any callback so a throwing callback cannot replay them. */
	#consume(n: number): void {
		this.#buf.copyWithin(0, n, this.#len);
		this.#len -= n;
		this.#scan = 0;
		this.#headEnd = -1;
	}

	#report(error: SipParseError, bytes: Uint8Array): void {
		if (this.#onBadMessage)
			this.#onBadMessage.call(this, error, bytes);
	}

	#keepAlive(ping: boolean): void {
		if (this.#onKeepAlive)
			this.#onKeepAlive.call(this, ping);
	}

	#fail(error: SipParseError): void {
		this.#failed = true;
		this.#len = 0;
		if (this.#onError)
			this.#onError.call(this, error);
	}
}
