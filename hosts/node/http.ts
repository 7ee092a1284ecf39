/*
 * node:http in the shape of the SDK's ECMA-419 HTTP server
 * (`embedded:network/http/server`), so the station's web code is the same on
 * a PC and on the device: onConnect gets a connection, accept() takes the
 * route callbacks, which run with `this` the connection.
 *
 * Bounded like the device: a panel has about ten sockets, so the server holds
 * at most 8 connections (more are closed as they arrive) and closes idle ones
 * soon: a connection that sends nothing for 10 s, a kept-alive one after 5 s,
 * one whose headers take more than 5 s or whose request takes more than 10 s.
 */
import http from "node:http";
import type { Socket } from "node:net";
import type { HTTPConnection, HTTPResponse, HTTPRoute, HTTPServerOptions } from "../../modules/io/types.js";

const WINDOW = 16384;

class NodeConnection implements HTTPConnection {
	#req: http.IncomingMessage;
	#res: http.ServerResponse;
	#route: HTTPRoute = {};
	/** The client's address (IPv4-mapped IPv6 addresses as IPv4). */
	readonly remoteAddress: string;
	#chunks: Buffer[] = [];
	#remaining = -1;
	#ended = false;

	constructor(req: http.IncomingMessage, res: http.ServerResponse) {
		this.#req = req;
		this.#res = res;
		const address = req.socket.remoteAddress ?? "";
		this.remoteAddress = address.startsWith("::ffff:") && address.indexOf(".") > 0 ? address.slice(7) : address;
	}

	accept(route: HTTPRoute): void {
		this.#route = route;
		const req = this.#req;
		const headers = new Map<string, string>();
		for (const [name, value] of Object.entries(req.headers)) {
			if (value !== undefined)
				headers.set(name, Array.isArray(value) ? value.join(", ") : value);
		}
		this.#call(() => route.onRequest?.call(this, { method: req.method ?? "GET", path: req.url ?? "/", headers }));
		req.on("data", (chunk: Buffer) => {
			this.#chunks.push(chunk);
			this.#call(() => route.onReadable?.call(this, this.#available()));
		});
		req.on("end", () => this.#call(() => {
			const response: HTTPResponse = { status: 200, headers: new Map() };
			if (route.onResponse)
				route.onResponse.call(this, response);
			else
				this.respond(response);
		}));
		req.on("error", (e) => this.#call(() => route.onError?.call(this, e)));
		this.#res.on("close", () => {
			if (!this.#ended)
				this.#call(() => route.onError?.call(this, new Error("connection closed")));
		});
	}

	#available(): number {
		let n = 0;
		for (const c of this.#chunks)
			n += c.length;
		return n;
	}

	read(count?: number): ArrayBuffer | undefined {
		const all = Buffer.concat(this.#chunks);
		if (!all.length)
			return undefined;
		const n = count === undefined ? all.length : Math.min(count, all.length);
		this.#chunks = n < all.length ? [all.subarray(n)] : [];
		return new Uint8Array(all.subarray(0, n)).buffer;
	}

	respond(response: HTTPResponse): void {
		const headers: Record<string, string> = {};
		for (const [name, value] of response.headers)
			headers[name] = String(value);
		const length = response.headers.get("content-length");
		this.#remaining = length === undefined ? -1 : Number(length);
		this.#res.writeHead(response.status, headers);
		if (this.#remaining === 0)
			this.#finish();
		else
			setImmediate(() => this.#pump());
	}

	#pump(): void {
		while (!this.#ended && !this.#res.writableNeedDrain && !this.#res.destroyed) {
			const before = this.#remaining;
			this.#call(() => this.#route.onWritable?.call(this, this.#remaining > 0 ? Math.min(WINDOW, this.#remaining) : WINDOW));
			if (this.#remaining === before)
				break;	// nothing written: wait to be called again
		}
		if (!this.#ended && this.#res.writableNeedDrain)
			this.#res.once("drain", () => this.#pump());
	}

	write(data?: ArrayBuffer | Uint8Array): number {
		if (this.#ended)
			throw new Error("bad state");
		if (!data) {
			this.#finish();
			return 0;
		}
		const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
		this.#res.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
		if (this.#remaining > 0) {
			this.#remaining -= bytes.byteLength;
			if (this.#remaining <= 0)
				this.#finish();
		}
		return this.#ended ? 0 : WINDOW;
	}

	#finish(): void {
		if (this.#ended)
			return;
		this.#ended = true;
		this.#res.end();
		this.#call(() => this.#route.onDone?.call(this));
	}

	close(): void {
		this.#ended = true;
		this.#res.destroy();
	}

	#call(fn: () => void): void {
		try {
			fn();
		}
		catch {
			this.close();
		}
	}
}

/** The limits of the Node host's HTTP server (tests make the timeouts short). */
export interface HTTPLimits {
	/** Connections held at once; more are closed as they arrive. */
	maxConnections?: number;
	/** A connection that sends and receives nothing for this long (ms) is closed. */
	idle?: number;
	/** A kept-alive connection waits this long (ms) for its next request. */
	keepAlive?: number;
	/** The headers of a request must arrive within this (ms). */
	headers?: number;
	/** A whole request must arrive within this (ms). */
	request?: number;
}

const LIMITS: Required<HTTPLimits> = Object.freeze({ maxConnections: 8, idle: 10000, keepAlive: 5000, headers: 5000, request: 10000 });

export class HTTPServer {
	#server: http.Server;
	#open = new Set<Socket>();
	#peak = 0;
	/** Resolves once listening (Node binds asynchronously). */
	readonly ready: Promise<void>;

	constructor(options: HTTPServerOptions & { limits?: HTTPLimits }) {
		const limits = { ...LIMITS, ...options.limits };
		// Node checks the headers and request timeouts at this interval
		const checking = Math.max(10, Math.min(1000, limits.headers, limits.request));
		this.#server = http.createServer({ connectionsCheckingInterval: checking }, (req, res) => {
			const connection = new NodeConnection(req, res);
			try {
				options.onConnect.call(this, connection);
			}
			catch {
				connection.close();
			}
		});
		this.#server.maxConnections = limits.maxConnections;
		this.#server.keepAliveTimeout = limits.keepAlive;
		this.#server.headersTimeout = limits.headers;
		this.#server.requestTimeout = limits.request;
		// with no 'timeout' listener, Node destroys a socket idle this long
		this.#server.setTimeout(limits.idle);
		this.#server.on("connection", (socket) => {
			this.#open.add(socket);
			this.#peak = Math.max(this.#peak, this.#open.size);
			socket.once("close", () => this.#open.delete(socket));
		});
		this.ready = new Promise((resolve, reject) => {
			this.#server.once("error", reject);
			this.#server.listen(options.port, options.address ?? "0.0.0.0", () => resolve());
		});
	}

	/** Connections held now, and the most held at once since the start. */
	get connections(): { open: number; peak: number } {
		return { open: this.#open.size, peak: this.#peak };
	}

	get port(): number {
		const a = this.#server.address();
		return a && typeof a === "object" ? a.port : 0;
	}

	close(): void {
		this.#server.close();
		this.#server.closeAllConnections();
	}
}
