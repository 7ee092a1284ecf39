// Action URLs on the Moddable host: configured through the page's API, the
// firmware's HTTP GET (the SDK's HTTP client, hosts/moddable/http-get) reaches
// an HTTP server of this test's own on 127.0.0.1 when a call rings and when
// it is answered, with the placeholders filled in; an https URL is refused
// with a log line.
import assert from "node:assert/strict";
import http from "node:http";
import { freePort, admin } from "../node/helpers.js";
import { type SimRun, buildStation, findSdk, runSimulator } from "./simulator.js";
import { until } from "../interop/station.js";
import { installed, sipp } from "../interop/peers.js";

describe("the station in the Moddable simulator: action URLs on the SDK's HTTP client", function () {
	this.timeout(360000);
	let sim: SimRun | undefined;
	let server: http.Server | undefined;
	const hits: string[] = [];
	let sipPort = 0, httpPort = 0, webPort = 0;

	before(async function () {
		const sdk = findSdk();
		if (typeof sdk === "string" || !installed("sipp")) {
			process.stdout.write(`\n  sim action URLs: skipped: ${typeof sdk === "string" ? sdk : "needs sipp"}\n`);
			this.skip();
		}
		webPort = await freePort();
		server = http.createServer((req, res) => {
			hits.push(String(req.url));
			res.end("ok");
		});
		await new Promise<void>((r) => server!.listen(webPort, "127.0.0.1", r));
		sipPort = await freePort();
		httpPort = await freePort();
		const so = buildStation(sdk, { sipPort, httpPort, trust: "127.0.0.1" });
		sim = await runSimulator(sdk, so, await freePort(), "portier: SIP on");
	});
	after(async () => {
		await sim?.stop();
		await new Promise((r) => server ? server.close(r) : r(undefined));
	});

	it("a call that rings and is answered GETs the configured URLs, placeholders filled", async () => {
		const api = await admin(`http://127.0.0.1:${httpPort}`);
		const put = await api.request("PUT", "/api/config", { actionUrls: { ring: `http://127.0.0.1:${webPort}/ring?from={remote}`, connected: `http://127.0.0.1:${webPort}/talk?d={direction}`, ended: "https://127.0.0.1/ended" } });
		assert.equal(put.status, 200, JSON.stringify(put.data));
		const call = sipp("uac", await freePort(), "127.0.0.1:" + sipPort, ["-s", "door", "-d", "500", "-m", "1", "-timeout", "30s"]);
		assert.equal(await call.exited, 0, call.output().slice(-1500));
		await until(() => hits.length >= 2, 10000, () => JSON.stringify(hits) + "\n" + sim!.output().slice(-1500));
		assert.ok(hits.some((h) => /^\/ring\?from=[^&]*sipp/.test(h)), JSON.stringify(hits));
		assert.ok(hits.includes("/talk?d=incoming"), JSON.stringify(hits));
		await until(() => /portier: GET http:\/\/127\.0\.0\.1:\d+\/talk\?d=incoming -> 200/.test(sim!.output()), 5000, () => sim!.output().slice(-1500));
		await until(() => /GET https:\/\/127\.0\.0\.1\/ended not sent: https is not supported/.test(sim!.output()), 5000, () => sim!.output().slice(-1500));
	});
});
