// The Node host's HTTP server is bounded like a panel: idle connections are
// closed, at most a few are held at once, and a normal request is served
// afterwards. Over real sockets on 127.0.0.1; waits for close events.
import assert from "node:assert/strict";
import net from "node:net";
import { HTTPServer, type HTTPLimits } from "../../hosts/node/http.js";
import type { HTTPConnection } from "../../modules/io/types.js";

function start(limits: HTTPLimits): HTTPServer {
	return new HTTPServer({
		port: 0, address: "127.0.0.1", limits,
		onConnect(connection: HTTPConnection) {
			const body = new TextEncoder().encode("{\"ok\":true}");
			connection.accept({
				onResponse(response) {
					response.headers.set("content-type", "application/json");
					response.headers.set("content-length", body.length);
					this.respond(response);
				},
				onWritable() {
					this.write(body);
				},
			});
		},
	});
}

/** Open idle connections (they send nothing); resolves with them once all are connected or closed. */
function idle(port: number, n: number): { sockets: net.Socket[]; closed: Array<Promise<void>> } {
	const sockets: net.Socket[] = [];
	const closed: Array<Promise<void>> = [];
	for (let i = 0; i < n; i++) {
		const socket = net.connect(port, "127.0.0.1");
		socket.on("error", () => { /* reset by the server */ });
		sockets.push(socket);
		closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
	}
	return { sockets, closed };
}

/** Resolves when `count` of the promises have settled. */
function settled(promises: Array<Promise<void>>, count: number): Promise<void> {
	let done = 0;
	return new Promise((resolve) => {
		for (const p of promises) {
			void p.then(() => {
				if (++done === count)
					resolve();
			});
		}
	});
}

/** Resolves once the server has seen its side of the connections close. */
async function drained(server: HTTPServer): Promise<void> {
	while (server.connections.open > 0)
		await new Promise((resolve) => setImmediate(resolve));
}

describe("Node host HTTP server: bounded connections", () => {
	let server: HTTPServer | undefined;
	afterEach(() => server?.close());

	it("holds at most 8 of 50 idle connections; the others are closed as they arrive", async () => {
		server = start({ idle: 60000, keepAlive: 60000, headers: 60000, request: 60000 });
		await server.ready;
		const { sockets, closed } = idle(server.port, 50);
		await settled(closed, 42);
		assert.equal(server.connections.open, 8);
		assert.equal(server.connections.peak, 8);
		for (const s of sockets)
			s.destroy();
		await Promise.all(closed);
		// the server notices the clients went; then a request is served
		await drained(server);
		const r = await fetch(`http://127.0.0.1:${server.port}/api/health`);
		assert.equal(r.status, 200);
		assert.deepEqual(await r.json(), { ok: true });
		assert.ok(server.connections.peak <= 8);
	});

	it("closes idle connections by itself, then serves a normal request", async () => {
		server = start({ idle: 200, keepAlive: 100, headers: 300, request: 400 });
		await server.ready;
		const { closed } = idle(server.port, 50);
		await Promise.all(closed);
		assert.ok(server.connections.peak <= 8, "peak " + server.connections.peak);
		await drained(server);
		const r = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { connection: "close" } });
		assert.equal(r.status, 200);
		assert.equal(await r.text(), "{\"ok\":true}");
	});

	it("closes a connection whose headers never end (slow client)", async () => {
		server = start({ idle: 60000, keepAlive: 60000, headers: 200, request: 300 });
		await server.ready;
		const socket = net.connect(server.port, "127.0.0.1");
		socket.on("error", () => { /* closed by the server */ });
		const closed = new Promise<string>((resolve) => {
			let text = "";
			socket.on("data", (d: Buffer) => text += d.toString());
			socket.once("close", () => resolve(text));
		});
		socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
		// keep it busy but never finish the headers
		const trickle = setInterval(() => socket.writable && socket.write("X-A: b\r\n"), 50);
		const text = await closed;
		clearInterval(trickle);
		assert.match(text, /^HTTP\/1\.1 408/);
		await drained(server);
	});
});
