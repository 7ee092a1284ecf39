/*
 * Native text helpers for the SIP layers on the Moddable SDK (see TextHelpers
 * in modules/sip/text.ts), installed by firmware's start(): XS reads a typed
 * array element in tens of nanoseconds, so decoding byte ranges and searching
 * messages in JavaScript costs more than the native routines.
 *
 * - decode: String.fromArrayBuffer (device builds; xst compiles it out) for
 *   ranges that turn out ASCII, the SDK's TextDecoder (WHATWG replacement
 *   rules, the same as decodeJs) for everything else.
 * - searchText: the same decoding of a whole message; when it has as many
 *   characters as octets, every octet is one character (a valid multi-octet
 *   sequence, or an invalid one of several octets, always shortens the
 *   string), so offsets match and String indexOf, native, finds line ends.
 *
 * - utf8Length: the SDK's TextEncoder (0.8 µs for a 210-character SDP body in
 *   xst, against 25 µs for charCodeAt in a loop).
 * - encode: the same encoder, kept only when the text is ASCII (as many
 *   octets as characters): XS keeps strings as UTF-8 and its encoder copies
 *   them, so a lone surrogate would come out as it is stored, where the
 *   serializer writes U+FFFD; other texts are left to the serializer's
 *   JavaScript. Writing a message's text octet by octet in JavaScript cost
 *   tens of microseconds per response in xst.
 * - copyingConcat: XS copies both strings on every concatenation, so the text
 *   serializer joins its header lines once instead of appending each to the
 *   message so far (only the text form uses it: the benchmarks' path, see
 *   docs/speed.md; the station writes octets).
 *
 * The helpers are made once, at start, never at preload.
 */
import type { TextHelpers } from "sip/text";

interface Utf8Decoder {
	decode(input: Uint8Array): string;
}

interface Utf8Encoder {
	encode(input: string): Uint8Array;
}

type FromArrayBuffer = (buffer: ArrayBufferLike, offset: number, length: number) => string;

export function moddableTextHelpers(decoder: Utf8Decoder, encoder?: Utf8Encoder): TextHelpers {
	const fromArrayBuffer = (String as unknown as { fromArrayBuffer?: FromArrayBuffer }).fromArrayBuffer;
	const decode = fromArrayBuffer === undefined
		? (bytes: Uint8Array, start: number, end: number): string => decoder.decode(bytes.subarray(start, end))
		: (bytes: Uint8Array, start: number, end: number): string => {
			try {
				// accepts any well-formed UTF-8 shape (overlong forms too): only an ASCII result is kept
				const s = fromArrayBuffer(bytes.buffer, bytes.byteOffset + start, end - start);
				if (s.length === end - start)
					return s;
			}
			catch {
				// invalid UTF-8: the decoder below replaces it
			}
			return decoder.decode(bytes.subarray(start, end));
		};
	return {
		decode,
		utf8Length: encoder === undefined ? undefined : (s: string): number => encoder.encode(s).length,
		encode: encoder === undefined ? undefined : (s: string): Uint8Array | undefined => {
			const bytes = encoder.encode(s);
			return bytes.length === s.length ? bytes : undefined;
		},
		copyingConcat: true,
		searchText(bytes: Uint8Array, start: number, end: number): string | undefined {
			if (end <= start)
				return undefined;
			const s = decode(bytes, start, end);
			return s.length === end - start ? s : undefined;
		},
	};
}
