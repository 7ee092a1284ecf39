// Fakes of the ECMA-419 socket classes: what the station sends is recorded,
// what a peer sends is injected through onReadable, exactly as a host would.
import type { Datagram, UDPOptions, UDPSocket } from "../../modules/io/types.js";
import { parseMessage, type SipMessage } from "../../modules/sip/message.js";

export interface Sent {
	bytes: Uint8Array;
	address: string;
	port: number;
	at: number;
}

export class FakeUDP implements UDPSocket {
	static last: FakeUDP | undefined;
	static all: FakeUDP[] = [];
	readonly sent: Sent[] = [];
	#queue: Datagram[] = [];
	#options: UDPOptions;
	closed = false;
	constructor(options: UDPOptions) {
		this.#options = options;
		FakeUDP.last = this;
		FakeUDP.all.push(this);
	}
	get options(): UDPOptions {
		return this.#options;
	}
	get port(): number {
		return this.#options.port ?? 5060;
	}
	read(): Datagram | undefined {
		return this.#queue.shift();
	}
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void {
		const bytes = buffer instanceof Uint8Array ? buffer.slice() : new Uint8Array(buffer.slice(0));
		this.sent.push({ bytes, address, port, at: Date.now() });
	}
	close(): void {
		this.closed = true;
	}
	/** A datagram from a peer. */
	deliver(data: string | Uint8Array, address = "192.0.2.1", port = 5060): void {
		const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
		const d = bytes.slice().buffer as Datagram;
		d.address = address;
		d.port = port;
		this.#queue.push(d);
		this.#options.onReadable?.call(this, 1);
	}
	/** What was sent, parsed (keep-alives left out). */
	messages(): SipMessage[] {
		return this.sent.filter((s) => s.bytes.length > 4).map((s) => parseMessage(s.bytes));
	}
}

export function lines(...l: string[]): string {
	return l.join("\r\n");
}
