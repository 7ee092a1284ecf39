// The page's server on a host whose HTTP server closes each connection after
// its answer (the SDK's, on the panel and in the simulator): every answer says
// `Connection: close` (RFC 9112 §9.6), so a client that keeps connections
// alive opens a new one for its next request instead of writing it to one
// that is going away. Over real sockets on 127.0.0.1, with the Node host's
// server (which keeps connections) standing in for the host.
import assert from "node:assert/strict";
import http from "node:http";
import { HTTPServer } from "../../hosts/node/http.js";
import { WebServer } from "../../modules/web/server.js";

function get(port: number, agent: http.Agent): Promise<{ connection: string | undefined; localPort: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: "127.0.0.1", port, path: "/ping", agent }, (res) => {
			let body = "";
			res.setEncoding("utf8");
			res.on("data", (d) => { body += d; });
			res.on("end", () => resolve({ connection: res.headers.connection, localPort: req.socket!.localPort!, body }));
		});
		req.on("error", reject);
		req.end();
	});
}

describe("web server: connections the host closes", () => {
	let web: WebServer | undefined;
	let agent: http.Agent | undefined;
	afterEach(() => {
		web?.close();
		agent?.destroy();
	});

	async function serve(closesConnections: boolean | undefined): Promise<number> {
		web = new WebServer({ http: { io: HTTPServer, port: 0, address: "127.0.0.1", closesConnections }, handler: () => ({ status: 200, body: "{\"ok\":true}" }) });
		await web.ready;
		return web.port!;
	}

	it("says Connection: close on every answer when the host closes connections, so a kept-alive client opens a new one", async () => {
		const port = await serve(true);
		agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
		const first = await get(port, agent);
		const second = await get(port, agent);
		assert.equal(first.body, "{\"ok\":true}");
		assert.equal(first.connection, "close");
		assert.equal(second.connection, "close");
		assert.notEqual(second.localPort, first.localPort, "the second request went on a connection of its own");
	});

	it("leaves the connection to the host otherwise (the Node host keeps it alive)", async () => {
		const port = await serve(undefined);
		agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
		const first = await get(port, agent);
		const second = await get(port, agent);
		assert.equal(first.connection, "keep-alive");
		assert.equal(second.localPort, first.localPort, "the second request reused the first connection");
	});
});
