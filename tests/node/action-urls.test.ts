// Action URLs of `npm start`: configured over the API, each event sends its
// GET (placeholders filled in, URL-encoded) to an HTTP server started here.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fillUrl } from "../../modules/events/action-urls.js";
import { admin, startStation } from "./helpers.js";
import { until } from "../interop/station.js";

describe("action URLs", function () {
	this.timeout(30000);

	it("fills placeholders, URL-encoded, and leaves unknown ones", () => {
		assert.equal(fillUrl("http://h/x?r={remote}&n={nothing}", [["remote", "<sip:1001@pbx>"]]), "http://h/x?r=%3Csip%3A1001%40pbx%3E&n={nothing}");
	});

	it("a door opened through the API sends its GET; a bad URL is refused naming the field", async () => {
		const requests: string[] = [];
		const server = http.createServer((req, res) => {
			requests.push(req.url ?? "");
			res.end("ok");
		});
		await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
		const port = (server.address() as AddressInfo).port;
		const station = await startStation();
		try {
			const api = await admin(station.base);
			const set = await api.request("PUT", "/api/config", { actionUrls: { doorOpened: `http://127.0.0.1:${port}/door?relay={relay}&by={by}`, input: "not a url" } });
			assert.equal(set.status, 400);
			assert.deepEqual(set.data.errors, [{ field: "actionUrls.input", message: "empty, or an http:// or https:// URL" }]);
			assert.equal((await api.request("PUT", "/api/config", { actionUrls: { doorOpened: `http://127.0.0.1:${port}/door?relay={relay}&by={by}` } })).status, 200);
			assert.equal((await api.request("POST", "/api/relays/1/open")).status, 200);
			await until(() => requests.length > 0, 5000, () => station.output());
			assert.deepEqual(requests, ["/door?relay=1&by=api"]);
			await until(() => /GET http:\/\/127\.0\.0\.1:\d+\/door\?relay=1&by=api -> 200/.test(station.output()), 5000, () => station.output());
		}
		finally {
			await station.stop();
			server.close();
		}
	});
});
