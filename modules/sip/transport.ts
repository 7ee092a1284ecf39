/*
 * The SIP transport layer (RFC 3261 §18): UDP, TCP (client and listener) and
 * TLS (client) over the host's ECMA-419 sockets.
 *
 * - Datagrams are parsed one per read; streams are framed by Content-Length.
 * - Outgoing TCP/TLS connections are reused per destination and opened on
 *   demand; writes wait for the connection (onWritable) in a bounded queue.
 * - Keep-alives keep NAT bindings and flows open: CRLFCRLF pings on TCP/TLS
 *   (RFC 5626 §4.4.1; a peer's ping is answered with CRLF) and a CRLFCRLF
 *   datagram on UDP. On a flow registered with SIP Outbound the pong (CRLF)
 *   is awaited: without one in time the flow has failed (§4.4.1) and the
 *   connection is closed, which the registration takes as a lost flow.
 * - Requests are delivered with their source, from which responses are routed
 *   back (§18.2.2, RFC 3581 rport).
 *
 * Nothing escapes a socket callback; connections are limited in number.
 */
import type { Clock, Datagram, ListenerClass, ListenerSocket, Log, SecureOptions, TCPClass, TCPSocket, TLSClass, UDPClass, UDPSocket } from "../io/types.js";
import { SipParseError } from "./errors.js";
import { SipStreamFramer } from "./framer.js";
import type { Via } from "./headers.js";
import { type SipMessage, SipParser } from "./message.js";

export type TransportName = "UDP" | "TCP" | "TLS";

/** Where a message goes: a resolved address (IPv4 dotted or a host name the socket resolves). */
export interface Target {
	transport: TransportName;
	address: string;
	port: number;
	/** For TLS: what to trust and which name to verify. */
	secure?: SecureOptions;
}

/** Where a message came from; for streams, the connection it came on. */
export interface Source {
	transport: TransportName;
	address: string;
	port: number;
	connection?: Connection;
}

export interface TransportOptions {
	udp?: { io: UDPClass; port: number; address?: string };
	listener?: { io: ListenerClass; port: number; address?: string };
	tcp?: { io: TCPClass };
	tls?: { io: TLSClass };
	clock: Clock;
	/** The address this station puts in Via and Contact. */
	host: string;
	log?: Log;
	onRequest(message: SipMessage, source: Source): void;
	onResponse(message: SipMessage, source: Source): void;
	/** A datagram or stream message that failed to parse (a request may deserve a 400). */
	onMalformed?(error: SipParseError, bytes: Uint8Array, source: Source): void;
	/** A TCP/TLS connection we opened was closed or failed. */
	onConnectionLost?(target: Target): void;
	maxConnections?: number;
	/** Octets queued per connection while it connects; beyond, sends fail. */
	maxQueued?: number;
	/** Connections idle this long (ms) are closed, unless kept alive. */
	idleTimeout?: number;
}

const CRLFCRLF = Uint8Array.of(13, 10, 13, 10);
const CRLF = Uint8Array.of(13, 10);

export const TRANSPORT_DEFAULTS = Object.freeze({ maxConnections: 16, maxQueued: 65536, idleTimeout: 120000 });

/** A TCP or TLS connection, accepted or opened by us. */
export class Connection {
	readonly transport: "TCP" | "TLS";
	address: string;
	port: number;
	readonly outgoing: boolean;
	socket: TCPSocket | undefined;
	framer: SipStreamFramer | undefined;
	writable = false;
	closed = false;
	queue: Uint8Array[] = [];
	queued = 0;
	lastUsed = 0;
	keepAlive: unknown = undefined;
	/** Running while a ping waits for its pong (RFC 5626 §4.4.1). */
	pongTimer: unknown = undefined;
	errorHandlers: Array<(reason: string) => void> = [];

	constructor(transport: "TCP" | "TLS", address: string, port: number, outgoing: boolean) {
		this.transport = transport;
		this.address = address;
		this.port = port;
		this.outgoing = outgoing;
	}
}

function connectionKey(transport: string, address: string, port: number): string {
	return transport + " " + address + " " + port;
}

export class SipTransport {
	#options: TransportOptions;
	#clock: Clock;
	#log: Log;
	#parser = new SipParser();
	#udp: UDPSocket | undefined;
	#listener: ListenerSocket | undefined;
	#connections = new Map<string, Connection>();
	#udpKeepAlives = new Map<string, unknown>();
	#maxConnections: number;
	#maxQueued: number;
	#idleTimeout: number;
	#sweeper: unknown;
	#closed = false;
	/** Messages being handled now (a handler may send one to ourselves), and what waits for them to return. */
	#delivering = 0;
	#after: Array<() => void> = [];
	#late: Array<() => void> = [];

	constructor(options: TransportOptions) {
		this.#options = options;
		this.#clock = options.clock;
		this.#log = options.log ?? (() => {});
		this.#maxConnections = options.maxConnections ?? TRANSPORT_DEFAULTS.maxConnections;
		this.#maxQueued = options.maxQueued ?? TRANSPORT_DEFAULTS.maxQueued;
		this.#idleTimeout = options.idleTimeout ?? TRANSPORT_DEFAULTS.idleTimeout;
		const transport = this;
		if (options.udp) {
			this.#udp = new options.udp.io({
				port: options.udp.port,
				address: options.udp.address,
				onReadable(count) {
					for (let i = 0; i < count; i++) {
						const d = this.read();
						if (!d)
							break;
						transport.#datagram(d);
					}
				},
				onError(e) {
					transport.#log("sip: udp error " + (e ? e.message : ""));
				},
			});
		}
		if (options.listener && options.tcp) {
			this.#listener = new options.listener.io({
				port: options.listener.port,
				address: options.listener.address,
				onReadable(count) {
					for (let i = 0; i < count; i++) {
						const from = this.read();
						if (from)
							transport.#accept(from);
					}
				},
			});
		}
		this.#sweep();
	}

	get host(): string {
		return this.#options.host;
	}
	/**
	 * The port this station listens on for a transport, or undefined when it
	 * has none: TLS is client-only (requests from the server come back over
	 * the station's own connection, RFC 5626), and TCP without a listener.
	 * Nothing may advertise a port that is not listened on.
	 */
	localPort(transport: TransportName): number | undefined {
		if (transport === "UDP")
			return this.#udp ? this.#udp.port ?? this.#options.udp?.port ?? 5060 : undefined;
		if (transport === "TCP")
			return this.#listener ? this.#listener.port ?? this.#options.listener?.port ?? 5060 : undefined;
		return undefined;
	}
	get udpSocket(): UDPSocket | undefined {
		return this.#udp;
	}
	get listenerSocket(): ListenerSocket | undefined {
		return this.#listener;
	}
	get connectionCount(): number {
		return this.#connections.size;
	}
	/** Whether a TCP/TLS connection to the target is open now. */
	isConnected(target: Target): boolean {
		const c = this.#connections.get(connectionKey(target.transport, target.address, target.port));
		return c !== undefined && c.writable && !c.closed;
	}

	/**
	 * Send bytes. On a stream the connection to the target is reused or
	 * opened; `connection` (a request's source) wins when it is still open.
	 * onError is called, at most once and never synchronously from a socket
	 * callback of ours, if the bytes cannot be delivered (§17.1.4 transport error).
	 */
	send(bytes: Uint8Array, target: Target, onError?: (reason: string) => void, connection?: Connection): void {
		if (this.#closed) {
			onError?.("transport closed");
			return;
		}
		try {
			if (target.transport === "UDP") {
				if (!this.#udp)
					throw new Error("no UDP socket");
				this.#udp.write(bytes, target.address, target.port);
				return;
			}
			let c = connection && !connection.closed ? connection : this.#connections.get(connectionKey(target.transport, target.address, target.port));
			if (!c || c.closed)
				c = this.#connect(target);
			// Until the connection is up, a failure to connect fails the queued sends.
			if (onError && !c.writable)
				c.errorHandlers.push(onError);
			this.#write(c, bytes);
		}
		catch (e) {
			this.#log("sip: cannot send to " + target.transport + " " + target.address + ":" + target.port + ": " + String(e));
			if (onError)
				this.#later(() => onError(String(e)));
		}
	}

	/**
	 * Keep the flow to a target open and its NAT binding alive: CRLFCRLF every
	 * `interval` ms (0 stops). For TCP/TLS the connection must be open (the
	 * one the registration went over). With `pongTimeout` (ms) each ping must
	 * be answered by a CRLF pong in time, else the flow has failed (RFC 5626
	 * §4.4.1: 10 s): the connection is closed and onConnectionLost reports it.
	 * Only a server that supports outbound promises pongs, so only then ask.
	 */
	keepAlive(target: Target, interval: number, pongTimeout = 0): void {
		const key = connectionKey(target.transport, target.address, target.port);
		if (target.transport === "UDP") {
			const old = this.#udpKeepAlives.get(key);
			if (old !== undefined)
				this.#clock.clear(old);
			this.#udpKeepAlives.delete(key);
			if (interval > 0) {
				const tick = () => {
					this.send(CRLFCRLF, target);
					this.#udpKeepAlives.set(key, this.#clock.set(tick, interval));
				};
				this.#udpKeepAlives.set(key, this.#clock.set(tick, interval));
			}
			return;
		}
		const c = this.#connections.get(key);
		if (!c)
			return;
		this.#stopKeepAlive(c);
		if (interval > 0) {
			const tick = () => {
				c.keepAlive = undefined;
				if (c.closed)
					return;
				try {
					this.#write(c, CRLFCRLF);
				}
				catch (e) {
					this.#drop(c, String(e));
					return;
				}
				if (pongTimeout > 0 && c.pongTimer === undefined)
					c.pongTimer = this.#clock.set(() => {
						c.pongTimer = undefined;
						this.#log("sip: no keep-alive pong from " + c.transport + " " + c.address + ":" + c.port + ": the flow failed");
						this.#drop(c, "no keep-alive pong");
					}, pongTimeout);
				c.keepAlive = this.#clock.set(tick, interval);
			};
			c.keepAlive = this.#clock.set(tick, interval);
		}
	}

	#stopKeepAlive(c: Connection): void {
		if (c.keepAlive !== undefined)
			this.#clock.clear(c.keepAlive);
		c.keepAlive = undefined;
		if (c.pongTimer !== undefined)
			this.#clock.clear(c.pongTimer);
		c.pongTimer = undefined;
	}

	/** The Via values for a response to a request from source: received and rport filled in (§18.2.1, RFC 3581 §4). */
	responseVias(request: SipMessage, source: Source): Via[] {
		const vias = request.vias();
		const top = vias[0];
		if (top) {
			if (top.host !== source.address)
				top.params.set("received", source.address);
			if (top.params.has("rport"))
				top.params.set("rport", String(source.port));
		}
		return vias;
	}

	/** Where a response to a request goes (§18.2.2): the same connection, or received/rport, or the sent-by. */
	responseTarget(request: SipMessage, source: Source): { target: Target; connection?: Connection } {
		if (source.connection && !source.connection.closed)
			return { target: { transport: source.transport, address: source.address, port: source.port }, connection: source.connection };
		const top = request.topVia();
		const maddr = top.params.get("maddr");
		if (source.transport === "UDP" && maddr)
			return { target: { transport: "UDP", address: maddr, port: top.port ?? 5060 } };
		const port = top.params.has("rport") ? source.port : (top.port ?? (source.transport === "TLS" ? 5061 : 5060));
		return { target: { transport: source.transport, address: source.address, port } };
	}

	close(): void {
		this.#closed = true;
		if (this.#sweeper !== undefined)
			this.#clock.clear(this.#sweeper);
		for (const id of this.#udpKeepAlives.values())
			this.#clock.clear(id);
		this.#udpKeepAlives.clear();
		for (const c of Array.from(this.#connections.values()))
			this.#drop(c, "transport closed");
		this.#udp?.close();
		this.#listener?.close();
	}

	/* ---------- receiving ---------- */

	#datagram(d: Datagram): void {
		try {
			const bytes = new Uint8Array(d);
			const source: Source = { transport: "UDP", address: d.address, port: d.port };
			if (bytes.length <= 4 && isKeepAlive(bytes))
				return;	// CRLF keep-alives from peers
			let message: SipMessage;
			try {
				message = this.#parser.parse(bytes);
			}
			catch (e) {
				if (!(e instanceof SipParseError))
					throw e;
				this.#options.onMalformed?.(e, bytes, source);
				return;
			}
			this.#deliver(message, source);
		}
		catch (e) {
			this.#log("sip: error handling a datagram: " + String(e));
		}
	}

	#deliver(message: SipMessage, source: Source): void {
		this.#delivering++;
		try {
			if (message.isRequest)
				this.#options.onRequest(message, source);
			else
				this.#options.onResponse(message, source);
		}
		finally {
			if (--this.#delivering === 0 && (this.#after.length || this.#late.length))
				this.#runAfter();
		}
	}

	/**
	 * Run `fn` once the message being handled now has been handled: still
	 * within this receive, before the next datagram or timer, but with the
	 * handlers' frames off the stack (a panel's XS stack is 512 slots); at
	 * once when no message is being handled. What it throws is logged.
	 */
	afterDelivery(fn: () => void): void {
		if (this.#delivering > 0)
			this.#after.push(fn);
		else
			this.#run(fn);
	}

	/**
	 * Run `fn` once the message being handled now has been handled and what
	 * waits in afterDelivery has run (the responses of this receive have gone
	 * out): for work the peer does not wait for, such as telling the
	 * application what happened. At once when no message is being handled.
	 */
	afterResponses(fn: () => void): void {
		// while the after-work runs, what it starts (an answer's "answered") waits behind what came before
		if (this.#delivering > 0 || this.#late.length)
			this.#late.push(fn);
		else
			this.#run(fn);
	}

	#run(fn: () => void): void {
		try {
			fn();
		}
		catch (e) {
			this.#log("sip: error after a message: " + String(e));
		}
	}

	#runAfter(): void {
		// taken one at a time: what runs may queue more (no message is being handled then, so
		// that runs at once); the late ones wait until no response is left to send
		for (;;) {
			const fn = this.#after.shift() ?? this.#late.shift();
			if (!fn)
				return;
			this.#run(fn);
		}
	}

	#accept(from: unknown): void {
		try {
			const tcp = this.#options.tcp!.io;
			const c = new Connection("TCP", "", 0, false);
			const socket = new tcp({ from, ...this.#callbacks(c) });
			c.socket = socket;
			c.address = socket.remoteAddress ?? "";
			c.port = socket.remotePort ?? 0;
			c.writable = true;
			c.lastUsed = this.#clock.now();
			this.#attach(c);
		}
		catch (e) {
			this.#log("sip: cannot accept a connection: " + String(e));
		}
	}

	#connect(target: Target): Connection {
		if (target.transport === "TLS" && !this.#options.tls)
			throw new Error("no TLS");
		if (target.transport === "TCP" && !this.#options.tcp)
			throw new Error("no TCP");
		const c = new Connection(target.transport as "TCP" | "TLS", target.address, target.port, true);
		c.lastUsed = this.#clock.now();
		this.#attach(c);
		const callbacks = this.#callbacks(c);
		if (target.transport === "TLS")
			c.socket = new this.#options.tls!.io({ address: target.address, port: target.port, secure: target.secure, ...callbacks });
		else
			c.socket = new this.#options.tcp!.io({ address: target.address, port: target.port, ...callbacks });
		return c;
	}

	#attach(c: Connection): void {
		const key = connectionKey(c.transport, c.address, c.port);
		const old = this.#connections.get(key);
		if (old && old !== c)
			this.#drop(old, "replaced");
		this.#connections.set(key, c);
		const transport = this;
		c.framer = new SipStreamFramer({
			parser: this.#parser,
			onMessage(message) {
				transport.#deliver(message, { transport: c.transport, address: c.address, port: c.port, connection: c });
			},
			onKeepAlive(ping) {
				if (ping) {
					if (!c.closed)
						transport.#write(c, CRLF);
				}
				else if (c.pongTimer !== undefined) {
					// the pong to our ping: the flow is alive (RFC 5626 §4.4.1)
					transport.#clock.clear(c.pongTimer);
					c.pongTimer = undefined;
				}
			},
			onError(e) {
				transport.#log("sip: closing " + c.transport + " " + c.address + ":" + c.port + ": " + e.reason);
			},
			onBadMessage(e, bytes) {
				transport.#options.onMalformed?.(e, bytes, { transport: c.transport, address: c.address, port: c.port, connection: c });
			},
		});
		if (this.#connections.size > this.#maxConnections) {
			let oldest: Connection | undefined;
			for (const other of this.#connections.values()) {
				if (other !== c && other.keepAlive === undefined && (!oldest || other.lastUsed < oldest.lastUsed))
					oldest = other;
			}
			if (oldest)
				this.#drop(oldest, "too many connections");
		}
	}

	#callbacks(c: Connection) {
		const transport = this;
		return {
			onReadable(this: TCPSocket, count: number) {
				try {
					const data = this.read(count);
					if (!data || c.closed)
						return;
					c.lastUsed = transport.#clock.now();
					if (!c.framer!.push(new Uint8Array(data)))
						transport.#drop(c, "framing lost");
				}
				catch (e) {
					transport.#log("sip: error on " + c.transport + " " + c.address + ":" + c.port + ": " + String(e));
					transport.#drop(c, String(e));
				}
			},
			onWritable() {
				try {
					if (c.closed)
						return;
					c.writable = true;
					transport.#flush(c);
				}
				catch (e) {
					transport.#drop(c, String(e));
				}
			},
			onError(error?: Error) {
				try {
					transport.#drop(c, error ? error.message : "connection closed");
				}
				catch (e) {
					transport.#log("sip: " + String(e));
				}
			},
		};
	}

	#write(c: Connection, bytes: Uint8Array): void {
		if (c.closed)
			throw new Error("connection closed");
		c.lastUsed = this.#clock.now();
		if (!c.writable) {
			if (c.queued + bytes.length > this.#maxQueued)
				throw new Error("send queue full");
			c.queue.push(bytes.slice());
			c.queued += bytes.length;
			return;
		}
		c.socket!.write(bytes);
	}

	#flush(c: Connection): void {
		const queue = c.queue;
		c.queue = [];
		c.queued = 0;
		c.errorHandlers = [];
		for (const bytes of queue)
			c.socket!.write(bytes);
	}

	#drop(c: Connection, reason: string): void {
		if (c.closed)
			return;
		c.closed = true;
		c.writable = false;
		this.#stopKeepAlive(c);
		const key = connectionKey(c.transport, c.address, c.port);
		if (this.#connections.get(key) === c)
			this.#connections.delete(key);
		try {
			c.socket?.close();
		}
		catch { /* already closed */ }
		const handlers = c.errorHandlers;
		c.errorHandlers = [];
		c.queue = [];
		if (handlers.length)
			this.#later(() => {
				for (const h of handlers)
					h(reason);
			});
		if (c.outgoing && !this.#closed && reason !== "idle" && reason !== "replaced" && this.#options.onConnectionLost) {
			const lost: Target = { transport: c.transport, address: c.address, port: c.port };
			this.#later(() => this.#options.onConnectionLost!(lost));
		}
	}

	/** Close idle connections that nobody keeps alive. */
	#sweep(): void {
		const tick = () => {
			const now = this.#clock.now();
			for (const c of Array.from(this.#connections.values())) {
				if (c.keepAlive === undefined && now - c.lastUsed > this.#idleTimeout)
					this.#drop(c, "idle");
			}
			this.#sweeper = this.#clock.set(tick, Math.max(1000, this.#idleTimeout / 4));
		};
		this.#sweeper = this.#clock.set(tick, Math.max(1000, this.#idleTimeout / 4));
	}

	#later(fn: () => void): void {
		this.#clock.set(() => {
			try {
				fn();
			}
			catch (e) {
				this.#log("sip: " + String(e));
			}
		}, 0);
	}
}

function isKeepAlive(bytes: Uint8Array): boolean {
	for (let i = 0; i < bytes.length; i++) {
		if (bytes[i] !== 13 && bytes[i] !== 10)
			return false;
	}
	return true;
}
