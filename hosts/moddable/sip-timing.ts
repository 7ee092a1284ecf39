/*
 * The station's own hot paths timed inside the engine: a UDP class that notes
 * when each SIP datagram is read and, for every SIP datagram written while it
 * is being handled, how many microseconds after (an INVITE read, its 200
 * written: the engine's whole handling of it, from the datagram in JavaScript
 * to the answer handed to the socket). Outside the engine, the simulator's
 * socket adds its own delay: the SDK's Linux UDP polls its socket every 20 ms.
 *
 * Only in builds made with `timing=1` (the benchmark's, tools/bench-sim.js):
 * the firmware then gives this class to the station instead of the SDK's. The
 * figures are kept in one fixed table (the last 128), read and cleared
 * through the simulator's control port ("timing").
 */
import microseconds from "microseconds";
import type { Datagram, UDPClass, UDPOptions, UDPSocket } from "io/types";

const SIZE = 128;
/**
 * Per entry: the method read (index in METHODS; -1 a response, -3 another
 * method), the status written (0: a request), microseconds. Made at the first
 * figure: a typed array made while the firmware is preloaded is read-only.
 */
let table: Float64Array | undefined;
let next = 0;
let count = 0;

const METHODS: readonly string[] = Object.freeze(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "REGISTER", "UPDATE", "NOTIFY", "SUBSCRIBE", "MESSAGE", "REFER", "PRACK", "PUBLISH"]);

let handling = false;
let readAt = 0;
let readMethod = -2;	// -2: nothing read that is SIP

/** SIP starts with a letter (a method or "SIP/2.0"); RTP's first octet is 0x80 or more. */
function isSip(bytes: Uint8Array): boolean {
	return bytes.length > 8 && bytes[0] >= 65 && bytes[0] <= 90;
}

/** The index of the method read in METHODS; -1: a response; -3: another method. */
function methodOf(bytes: Uint8Array): number {
	let s = "";
	for (let i = 0; i < 10 && i < bytes.length && bytes[i] !== 32; i++)
		s += String.fromCharCode(bytes[i]);
	const k = METHODS.indexOf(s);
	return s === "SIP/2.0" ? -1 : k >= 0 ? k : -3;
}

function statusOf(bytes: Uint8Array): number {
	if (bytes[0] !== 83 || bytes[1] !== 73 || bytes[2] !== 80 || bytes[3] !== 47)
		return 0;
	return (bytes[8] - 48) * 100 + (bytes[9] - 48) * 10 + (bytes[10] - 48);
}

function record(method: number, status: number, us: number): void {
	table ??= new Float64Array(SIZE * 3);
	const at = next * 3;
	table[at] = method;
	table[at + 1] = status;
	table[at + 2] = us;
	next = (next + 1) % SIZE;
	if (count < SIZE)
		count++;
}

const view = (buffer: ArrayBuffer | Uint8Array): Uint8Array => buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);

export function timedUdp(Base: UDPClass): UDPClass {
	const Socket = Base as unknown as new (options: UDPOptions) => UDPSocket;
	return class TimedUDP extends Socket {
		constructor(options: UDPOptions) {
			const onReadable = options.onReadable;
			super(onReadable === undefined ? options : {
				...options,
				onReadable(this: UDPSocket, n: number): void {
					handling = true;
					try {
						onReadable.call(this, n);
					}
					finally {
						handling = false;
						readMethod = -2;
					}
				},
			});
		}
		override read(): Datagram | undefined {
			const d = super.read();
			if (handling && d !== undefined) {
				const bytes = new Uint8Array(d);
				if (isSip(bytes)) {
					readMethod = methodOf(bytes);
					readAt = microseconds();
				}
				else
					readMethod = -2;
			}
			return d;
		}
		override write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void {
			if (handling && readMethod !== -2) {
				const bytes = view(buffer);
				if (isSip(bytes))
					record(readMethod, statusOf(bytes), microseconds() - readAt);
			}
			super.write(buffer, address, port);
		}
	} as unknown as UDPClass;
}

/** The figures noted since the last report, oldest first, one per line ("INVITE 200 812.5"), and forget them. */
export function timingReport(): string {
	let text = "";
	for (let i = 0; table !== undefined && i < count; i++) {
		const at = ((next - count + i + SIZE) % SIZE) * 3;
		const method = table[at];
		text += (method === -1 ? "response" : method >= 0 ? METHODS[method] : "other") + " " + table[at + 1] + " " + table[at + 2].toFixed(1) + "\n";
	}
	count = 0;
	return text;
}
