/*
 * The station's web server on the ECMA-419 HTTP server shape: the SDK's
 * `embedded:network/http/server` on the device, the Node host's adapter of
 * node:http in development. It reads a bounded request body, asks the
 * handler for the answer (synchronously: the API never waits), and writes the
 * answer as the connection becomes writable.
 *
 * The client's address comes from the connection's `remoteAddress` when the
 * host's server gives one (the Node host does, and the firmware adds it to the
 * SDK's server); otherwise it is "" and the login counts such clients together.
 */
import type { HTTPConnection, HTTPRequest, HTTPResponse, HTTPServerClass, ListenerClass, Log } from "../io/types.js";
import { decodeText, encodeText } from "../sip/text.js";

export interface WebRequest {
	method: string;
	/** The path without the query. */
	path: string;
	query: string;
	/** Header names in lower case. */
	headers: Map<string, string>;
	body: string;
	/** The client's address as the host tells it (IPv4 dotted, IPv6 without the IPv4-mapped prefix); "" when the host cannot tell. */
	remote: string;
}

export interface WebAnswer {
	status: number;
	/** Content type (default application/json). */
	type?: string;
	body: string | Uint8Array;
	headers?: Array<[string, string]>;
}

/**
 * Where a streamed request body goes (a firmware upload): each chunk as it
 * arrives, never gathered; end() gives the answer once the body is in;
 * abort() when the connection fails first.
 */
export interface BodySink {
	write(bytes: Uint8Array): void;
	end(): WebAnswer;
	abort(reason: string): void;
}

/** The host's HTTP server, and how it treats connections. */
export interface WebHost {
	io: HTTPServerClass;
	port: number;
	address?: string;
	listener?: ListenerClass;
	/**
	 * The server closes each connection after its answer (the SDK's
	 * `embedded:network/http/server` does): every answer then says
	 * `Connection: close`, as RFC 9112 §9.6 requires of a server that does not
	 * keep connections, so that no client sends its next request on a
	 * connection that is going away (where nothing answers it).
	 */
	closesConnections?: boolean;
}

export interface WebServerOptions {
	http: WebHost;
	handler: (request: WebRequest) => WebAnswer;
	/**
	 * Asked, once a request's headers are in, whether its body is streamed
	 * rather than read whole: a sink takes the body chunk by chunk; an answer
	 * refuses it at once (its body is read and dropped); undefined, the body is
	 * read whole (within maxBody) and handed to `handler`. `length` is the
	 * Content-Length (NaN when there is none).
	 */
	stream?: (request: WebRequest, length: number) => BodySink | WebAnswer | undefined;
	/** Largest request body accepted (bytes); larger ones get 413. */
	maxBody?: number;
	log?: Log;
}

interface Exchange {
	request: WebRequest;
	body: Uint8Array;
	received: number;
	tooLarge: boolean;
	/** The streamed body's sink; or the answer given before the body, which is dropped. */
	sink: BodySink | undefined;
	early: WebAnswer | undefined;
	answer: Uint8Array | undefined;
	sent: number;
}

/** The connection's remote address, if the host gives one (an IPv4-mapped IPv6 address as IPv4). */
function remoteOf(connection: HTTPConnection): string {
	try {
		const address = (connection as { readonly remoteAddress?: unknown }).remoteAddress;
		if (typeof address !== "string" || address.length > 64)
			return "";
		return address.slice(0, 7).toLowerCase() === "::ffff:" && address.indexOf(".") > 0 ? address.slice(7) : address;
	}
	catch {
		return "";
	}
}

export class WebServer {
	#server: { close(): void; readonly port?: number; readonly ready?: Promise<void> };

	constructor(options: WebServerOptions) {
		const maxBody = options.maxBody ?? 16384;
		const log = options.log;
		const closes = options.http.closesConnections === true;
		this.#server = new options.http.io({
			io: options.http.listener,
			port: options.http.port,
			address: options.http.address,
			onConnect(connection: HTTPConnection) {
				const remote = remoteOf(connection);
				const x: Exchange = { request: { method: "", path: "", query: "", headers: new Map(), body: "", remote }, body: new Uint8Array(0), received: 0, tooLarge: false, sink: undefined, early: undefined, answer: undefined, sent: 0 };
				try {
					connection.accept({
						onRequest(request: HTTPRequest) {
							const q = request.path.indexOf("?");
							x.request = { method: request.method.toUpperCase(), path: q < 0 ? request.path : request.path.slice(0, q), query: q < 0 ? "" : request.path.slice(q + 1), headers: request.headers, body: "", remote };
							const header = request.headers.get("content-length");
							x.sink = undefined;
							x.early = undefined;
							if (options.stream) {
								let streamed: BodySink | WebAnswer | undefined;
								try {
									streamed = options.stream(x.request, header === undefined ? NaN : Number(header));
								}
								catch (e) {
									log?.("web: " + String(e));
									streamed = { status: 500, body: JSON.stringify({ error: "internal error" }) };
								}
								if (streamed && "write" in streamed)
									x.sink = streamed;
								else if (streamed)
									x.early = streamed;
								if (streamed)
									return;
							}
							const length = Number(header ?? 0);
							if (!(length >= 0) || length > maxBody)
								x.tooLarge = true;
							else
								x.body = new Uint8Array(length);
						},
						onReadable(count: number) {
							const data = this.read(count);
							if (!data)
								return;
							const bytes = new Uint8Array(data);
							if (x.sink) {
								x.sink.write(bytes);
								return;
							}
							if (x.early)
								return;
							if (x.received + bytes.length > x.body.length)
								x.tooLarge = true;
							else
								x.body.set(bytes, x.received);
							x.received += bytes.length;
						},
						onResponse(response: HTTPResponse) {
							let answer: WebAnswer;
							if (x.sink || x.early) {
								try {
									answer = x.early ?? x.sink!.end();
								}
								catch (e) {
									log?.("web: " + String(e));
									answer = { status: 500, body: JSON.stringify({ error: "internal error" }) };
								}
								x.sink = undefined;
							}
							else if (x.tooLarge)
								answer = { status: 413, body: JSON.stringify({ error: "request body larger than " + maxBody + " bytes" }) };
							else {
								try {
									x.request.body = decodeText(x.body, 0, x.received);
									answer = options.handler(x.request);
								}
								catch (e) {
									log?.("web: " + String(e));
									answer = { status: 500, body: JSON.stringify({ error: "internal error" }) };
								}
							}
							// HEAD: the status and headers of the GET, no body (and a length of 0, so every host ends the answer)
							const body = x.request.method === "HEAD" ? new Uint8Array(0) : typeof answer.body === "string" ? encodeText(answer.body) : answer.body;
							x.answer = body;
							response.status = answer.status;
							response.headers.set("content-type", answer.type ?? "application/json");
							response.headers.set("content-length", body.length);
							response.headers.set("cache-control", "no-store");
							response.headers.set("x-content-type-options", "nosniff");
							response.headers.set("x-frame-options", "DENY");
							if (closes)
								response.headers.set("connection", "close");
							for (const [name, value] of answer.headers ?? [])
								response.headers.set(name, value);
							this.respond(response);
						},
						onWritable(count: number) {
							const body = x.answer;
							if (!body || x.sent >= body.length)
								return;
							const end = Math.min(body.length, x.sent + count);
							const part = body.subarray(x.sent, end);
							x.sent = end;
							this.write(part);
						},
						onError() {
							x.answer = undefined;
							const sink = x.sink;
							x.sink = undefined;
							try {
								sink?.abort("the connection broke off");
							}
							catch (e) {
								log?.("web: " + String(e));
							}
						},
					});
				}
				catch (e) {
					log?.("web: cannot accept: " + String(e));
					connection.close();
				}
			},
		});
	}

	/** When the host's server binds asynchronously (Node), it resolves once listening. */
	get ready(): Promise<void> | undefined {
		return (this.#server as { ready?: Promise<void> }).ready;
	}

	get port(): number | undefined {
		return this.#server.port;
	}

	close(): void {
		this.#server.close();
	}
}
