/*
 * An ECMA-419-shaped UDP socket for tests of clients written over the host's
 * UDP class (DNS, SNTP): it keeps every socket made and what each wrote, and
 * delivers datagrams as the host would (onReadable with this socket as
 * `this`). Plain code, so the same tests run under Node and inside XS.
 */
import type { Datagram, UDPOptions } from "../../modules/io/types.js";

export interface Written {
	socket: FakeUDP;
	bytes: Uint8Array;
	address: string;
	port: number;
}

export class FakeUDP {
	/** Every socket made since the last reset(), oldest first. */
	static made: FakeUDP[] = [];
	/** Told of every write, in order, whichever socket made it. */
	static onWrite: ((w: Written) => void) | undefined;
	static reset(): void {
		FakeUDP.made = [];
		FakeUDP.onWrite = undefined;
	}

	options: UDPOptions;
	written: Written[] = [];
	closed = false;
	#queue: Datagram[] = [];
	constructor(options: UDPOptions) {
		this.options = options;
		FakeUDP.made.push(this);
	}
	read(): Datagram | undefined {
		return this.#queue.shift();
	}
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void {
		const w = { socket: this, bytes: Uint8Array.from(buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer)), address, port };
		this.written.push(w);
		FakeUDP.onWrite?.(w);
	}
	close(): void {
		this.closed = true;
	}
	deliver(bytes: Uint8Array, address: string, port: number): void {
		const d = bytes.slice().buffer as Datagram;
		d.address = address;
		d.port = port;
		this.#queue.push(d);
		this.options.onReadable?.call(this as never, this.#queue.length);
	}
}
