/*
 * ECMA-419-shaped UDP, TCP and Listener classes over node:dgram and node:net,
 * so the firmware's modules run unchanged on a PC. Like the Moddable SDK's
 * classes: an options object, callbacks with `this` the instance,
 * onReadable(count) then read(), write() of ArrayBuffer or Uint8Array.
 */
import dgram from "node:dgram";
import { type LookupOptions, lookup } from "node:dns";
import net from "node:net";
import tls from "node:tls";
import type { Datagram, ListenerOptions, ListenerSocket, TCPOptions, TCPSocket, TLSOptions, UDPOptions, UDPSocket } from "../../modules/io/types.js";

function toBuffer(data: ArrayBuffer | Uint8Array): Buffer {
	return data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

/**
 * Received bytes (a datagram, or what a stream read) as an ArrayBuffer of
 * their own, as the boards' sockets give them. Node hands each datagram over
 * in a buffer sized to it, which is used as it is; a view into a larger
 * (pooled or shared) buffer is copied.
 */
function toArrayBuffer(b: Buffer): ArrayBuffer {
	const whole = b.buffer as ArrayBuffer;
	if (b.byteOffset === 0 && b.byteLength === whole.byteLength)
		return whole;
	return new Uint8Array(b).buffer;
}

/**
 * node:dgram looks up every destination, even an address, and sends only
 * when the lookup calls back: dns.lookup does that on the next tick, so a
 * response written in the middle of handling a request left only after the
 * rest of the handling (a 200 after its call's media and events: 0.3 ms).
 * The firmware always writes to an address (its resolver has turned names
 * into addresses), and an address needs no lookup: send at once, as the
 * boards' sockets do.
 */
function literalLookup(hostname: string, options: unknown, callback: (error: Error | null, address: string, family: number) => void): void {
	if (net.isIPv4(hostname))
		callback(null, hostname, 4);
	else
		lookup(hostname, options as LookupOptions, callback as never);
}

export class UDP implements UDPSocket {
	/** Node binds after the constructor returns: a taken port is reported later, not thrown (the station need not try ports first). */
	static readonly bindsLater = true;
	#socket: dgram.Socket;
	#queue: Datagram[] = [];
	#options: UDPOptions;
	#bound: Promise<void>;
	/** The bound port, asked of the socket once (a system call each time: the SIP path reads it per message). */
	#port = 0;

	constructor(options: UDPOptions) {
		this.#options = options;
		this.#socket = dgram.createSocket({ type: "udp4", reuseAddr: options.multicast !== undefined, lookup: literalLookup });
		this.#socket.on("message", (msg, rinfo) => {
			const d = toArrayBuffer(msg) as Datagram;
			d.address = rinfo.address;
			d.port = rinfo.port;
			this.#queue.push(d);
			options.onReadable?.call(this, this.#queue.length);
		});
		this.#bound = new Promise((resolve, reject) => {
			this.#socket.once("error", reject);
			this.#socket.bind({ port: options.port ?? 0, address: options.multicast ? undefined : options.address }, () => {
				this.#socket.off("error", reject);
				try {
					if (options.multicast) {
						this.#socket.addMembership(options.multicast, options.address);
						if (options.address) {
							// what this socket sends to a group leaves by the station's interface (mDNS answers
							// on the loopback stay there), with the hop limit RFC 6762 §11 asks for
							this.#socket.setMulticastInterface(options.address);
							this.#socket.setMulticastTTL(255);
						}
					}
				}
				catch (e) {
					reject(e);
					return;
				}
				resolve();
			});
		});
		this.#bound.catch(() => {});
		this.#socket.on("error", (e) => options.onError?.call(this, e));
	}
	/** Resolves once the socket is bound (Node binds asynchronously). */
	get ready(): Promise<void> {
		return this.#bound;
	}
	get port(): number {
		return this.#port ||= this.#socket.address().port;
	}
	read(): Datagram | undefined {
		return this.#queue.shift();
	}
	/** The datagram is copied: Node sends later, and the caller may reuse its buffer as soon as write returns (as on the boards, whose stacks copy it). */
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void {
		this.#socket.send(Buffer.from(toBuffer(buffer)), port, address);
	}
	close(): void {
		this.#queue.length = 0;
		try {
			this.#socket.close();
		}
		catch { /* already closed */ }
	}
}

export class TCP implements TCPSocket {
	#socket: net.Socket;
	#chunks: Buffer[] = [];
	#available = 0;

	constructor(options: TCPOptions, connect?: () => net.Socket, connectEvent = "connect") {
		const socket = options.from instanceof net.Socket ? options.from : connect ? connect() : net.connect({ host: options.address, port: options.port ?? 0 });
		this.#socket = socket;
		if (options.from instanceof net.Socket)
			queueMicrotask(() => options.onWritable?.call(this, 65536));
		socket.on("data", (chunk) => {
			this.#chunks.push(chunk);
			this.#available += chunk.length;
			options.onReadable?.call(this, this.#available);
		});
		socket.on(connectEvent, () => options.onWritable?.call(this, 65536));
		socket.on("drain", () => options.onWritable?.call(this, 65536));
		socket.on("error", (e) => options.onError?.call(this, e));
		socket.on("close", () => options.onError?.call(this));
	}
	get remoteAddress(): string | undefined {
		return this.#socket.remoteAddress?.replace(/^::ffff:/, "");
	}
	get remotePort(): number | undefined {
		return this.#socket.remotePort;
	}
	read(count?: number): ArrayBuffer | undefined {
		if (this.#available === 0)
			return undefined;
		const all = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
		const n = count === undefined ? all.length : Math.min(count, all.length);
		const out = toArrayBuffer(all.subarray(0, n));
		const rest = all.subarray(n);
		this.#chunks = rest.length ? [rest] : [];
		this.#available = rest.length;
		return out;
	}
	write(buffer: ArrayBuffer | Uint8Array): number {
		const b = toBuffer(buffer);
		this.#socket.write(b);
		return b.length;
	}
	close(): void {
		this.#socket.destroy();
	}
}

export class Listener implements ListenerSocket {
	#server: net.Server;
	#queue: net.Socket[] = [];
	#ready: Promise<void>;

	constructor(options: ListenerOptions) {
		this.#server = net.createServer((socket) => {
			this.#queue.push(socket);
			options.onReadable?.call(this, this.#queue.length);
		});
		this.#ready = new Promise((resolve, reject) => {
			this.#server.once("error", reject);
			this.#server.listen(options.port, options.address, () => {
				this.#server.off("error", reject);
				resolve();
			});
		});
		this.#ready.catch(() => {});
		this.#server.on("error", (e) => options.onError?.call(this, e));
	}
	get ready(): Promise<void> {
		return this.#ready;
	}
	get port(): number {
		const a = this.#server.address();
		return typeof a === "object" && a ? a.port : 0;
	}
	read(): net.Socket | undefined {
		return this.#queue.shift();
	}
	close(): void {
		this.#server.close();
		for (const s of this.#queue.splice(0))
			s.destroy();
	}
}

/**
 * TLS client with the TCP shape (like the SDK's TLS socket): the server's
 * certificate is verified against `secure.ca` and the server name; a
 * handshake failure arrives as onError with the reason.
 */
export class TLS extends TCP {
	constructor(options: TLSOptions) {
		const secure = options.secure ?? {};
		super(options, () => tls.connect({
			host: options.address,
			port: options.port ?? 5061,
			ca: secure.ca as string | undefined,
			servername: secure.serverName && !net.isIP(secure.serverName) ? secure.serverName : undefined,
			checkServerIdentity: (host, cert) => tls.checkServerIdentity(secure.serverName ?? host, cert),
		}), "secureConnect");
	}
}
