/*
 * A stateless SIP server on UDP and TCP (RFC 3261 §8.2 checks, §11.2 OPTIONS,
 * §18.2 response routing, RFC 3581 rport): it answers OPTIONS with the
 * station's capabilities and refuses every other request with the answer the
 * UAS checks give (405 with Allow for methods it does not serve). Malformed
 * requests get 400 with the reason, responses and ACKs are dropped.
 *
 * Sockets come from the host in the ECMA-419 way (`udp: {io: UDP}`...).
 * Nothing escapes a socket callback; TCP connections are limited in number
 * and a broken stream is closed.
 */
import type { Datagram, ListenerClass, ListenerSocket, Log, TCPClass, TCPSocket, UDPClass, UDPSocket } from "../io/types.js";
import { SipParseError } from "./errors.js";
import { SipStreamFramer } from "./framer.js";
import type { Via } from "./headers.js";
import { type SipMessage, SipParser } from "./message.js";
import { type HeaderList, createResponse } from "./serialize.js";
import { type UasCapabilities, checkRequest } from "./uas-checks.js";

export interface StatelessServerOptions {
	udp?: { io: UDPClass; port: number; address?: string };
	listener?: { io: ListenerClass; port: number; address?: string };
	tcp?: { io: TCPClass };
	capabilities: UasCapabilities;
	userAgent?: string;
	log?: Log;
	/** Most TCP connections kept at once; the oldest is closed beyond it. */
	maxConnections?: number;
}

interface Connection {
	socket: TCPSocket;
	framer: SipStreamFramer;
}

export class StatelessServer {
	#udp: UDPSocket | undefined;
	#listener: ListenerSocket | undefined;
	#connections: Connection[] = [];
	#parser = new SipParser();
	#options: StatelessServerOptions;
	#log: Log;
	#maxConnections: number;

	constructor(options: StatelessServerOptions) {
		this.#options = options;
		this.#log = options.log ?? (() => {});
		this.#maxConnections = options.maxConnections ?? 16;
		const server = this;
		if (options.udp) {
			this.#udp = new options.udp.io({
				port: options.udp.port,
				address: options.udp.address,
				onReadable(count) {
					for (let i = 0; i < count; i++) {
						const d = this.read();
						if (!d)
							break;
						server.#datagram(d);
					}
				},
				onError(e) {
					server.#log("sip: udp error " + (e ? e.message : ""));
				},
			});
		}
		if (options.listener && options.tcp) {
			const TCP = options.tcp.io;
			this.#listener = new options.listener.io({
				port: options.listener.port,
				address: options.listener.address,
				onReadable(count) {
					for (let i = 0; i < count; i++) {
						const from = this.read();
						if (from)
							server.#accept(TCP, from);
					}
				},
			});
		}
	}

	get udp(): UDPSocket | undefined {
		return this.#udp;
	}
	get listener(): ListenerSocket | undefined {
		return this.#listener;
	}
	get connectionCount(): number {
		return this.#connections.length;
	}

	close(): void {
		this.#udp?.close();
		this.#listener?.close();
		for (const c of this.#connections.splice(0))
			c.socket.close();
	}

	#datagram(d: Datagram): void {
		try {
			const bytes = new Uint8Array(d);
			let message: SipMessage;
			try {
				message = this.#parser.parse(bytes);
			}
			catch (e) {
				if (!(e instanceof SipParseError))
					throw e;
				this.#log("sip: dropped a malformed datagram from " + d.address + ":" + d.port + " (" + e.reason + ")");
				return;
			}
			const reply = this.#answer(message, d.address, d.port, true);
			if (reply)
				this.#udp!.write(reply.bytes, reply.address, reply.port);
		}
		catch (e) {
			this.#log("sip: error handling a datagram: " + String(e));
		}
	}

	#accept(TCP: TCPClass, from: unknown): void {
		const server = this;
		let connection: Connection;
		try {
			const socket = new TCP({
				from,
				onReadable(count) {
					try {
						const data = this.read(count);
						if (data && !connection.framer.push(new Uint8Array(data)))
							server.#drop(connection);
					}
					catch (e) {
						server.#log("sip: error on a connection: " + String(e));
						server.#drop(connection);
					}
				},
				onError() {
					server.#drop(connection);
				},
			});
			const framer = new SipStreamFramer({
				parser: this.#parser,
				onMessage(message) {
					const reply = server.#answer(message, socket.remoteAddress ?? "", socket.remotePort ?? 0, false);
					if (reply)
						socket.write(reply.bytes);
				},
				onKeepAlive(ping) {
					if (ping)
						socket.write(PONG);	// RFC 5626 §4.4.1
				},
				onError(e) {
					server.#log("sip: closing a stream: " + e.reason);
				},
				onBadMessage(e) {
					server.#log("sip: dropped a malformed message on a stream (" + e.reason + ")");
				},
			});
			connection = { socket, framer };
			this.#connections.push(connection);
			if (this.#connections.length > this.#maxConnections)
				this.#drop(this.#connections[0]);
		}
		catch (e) {
			this.#log("sip: cannot accept a connection: " + String(e));
		}
	}

	#drop(connection: Connection | undefined): void {
		if (!connection)
			return;
		const i = this.#connections.indexOf(connection);
		if (i >= 0) {
			this.#connections.splice(i, 1);
			connection.socket.close();
		}
	}

	/** The response to a request and where it goes (RFC 3261 §18.2.2, RFC 3581 §4). */
	#answer(request: SipMessage, address: string, port: number, datagram: boolean): { bytes: Uint8Array; address: string; port: number } | undefined {
		if (!request.isRequest || request.method === "ACK")
			return undefined;
		const caps = this.#options.capabilities;
		let vias: Via[];
		try {
			vias = request.vias();
			if (vias.length === 0)
				return undefined;	// nowhere to send an answer
		}
		catch (e) {
			if (!(e instanceof SipParseError))
				throw e;
			return undefined;	// without a readable Via no answer can be routed
		}
		const top = vias[0];
		if (top.host !== address)
			top.params.set("received", address);
		const rport = top.params.has("rport");
		if (rport)
			top.params.set("rport", String(port));
		let target = { address, port };
		if (datagram && !rport)
			target = { address, port: top.port ?? 5060 };

		const refusal = checkRequest(request, caps);
		const headers: HeaderList = [];
		let status = 200;
		let reason: string | undefined;
		if (refusal) {
			status = refusal.status;
			reason = refusal.reason;
			headers.push(...refusal.headers);
		}
		else if (request.method === "OPTIONS") {
			headers.push(["Allow", caps.methods.join(", ")], ["Accept", caps.contentTypes.join(", ")]);
			if (caps.extensions.length)
				headers.push(["Supported", caps.extensions.join(", ")]);
		}
		else
			return undefined;
		if (this.#options.userAgent)
			headers.push(["Server", this.#options.userAgent]);
		this.#log("sip: " + request.method + " from " + address + ":" + port + " -> " + status);
		return { bytes: createResponse(request, status, { reason, toTag: "st" + request.cseq().seq.toString(36), vias, headers }), ...target };
	}
}

const PONG = Uint8Array.of(13, 10);
