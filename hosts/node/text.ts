/*
 * Native text helpers for the SIP layers on Node (see TextHelpers in
 * modules/sip/text.ts). V8 searches typed arrays natively already, so there
 * is no searchText; decode uses the runtime's UTF-8 decoder (WHATWG
 * replacement rules, the same as decodeJs): measured in Node 20, 80-150 ns for
 * 6-200 octets against 120-340 ns for decodeJs up to 64 octets and 10 µs at 200.
 *
 * encode: the runtime's UTF-8 encoder (lone surrogates become U+FFFD, as in
 * writeText). In a hot loop V8 writes octets from JavaScript as fast, but the
 * station serializes a response or two per call, long after the engine
 * forgot its code: there writeText runs a bytecode loop per character (tens
 * of µs for a 200 with SDP) where the encoder takes about one.
 */
import type { TextHelpers } from "../../modules/sip/text.js";
import { decodeJs } from "../../modules/sip/text.js";

/*
 * Buffer's own UTF-8 slice, called on any Uint8Array (Node checks only for a
 * view): no subarray object per call, and, unlike TextDecoder, it keeps a
 * leading U+FEFF as decodeJs does (TextDecoder drops a BOM at the start of
 * every range it is given).
 */
const utf8Slice = Buffer.prototype.utf8Slice as (this: Uint8Array, start: number, end: number) => string;
const encoder = new TextEncoder();

/** Up to this many octets decodeJs builds the string directly (fromCharCode), faster than a call into the decoder. */
const SHORT = 3;

export const nodeTextHelpers: TextHelpers = Object.freeze({
	decode(bytes: Uint8Array, start: number, end: number): string {
		return end - start <= SHORT ? decodeJs(bytes, start, end) : utf8Slice.call(bytes, start, end);
	},
	utf8Length(s: string): number {
		return Buffer.byteLength(s, "utf8");
	},
	encode(s: string): Uint8Array {
		return encoder.encode(s);
	},
});
