// `npm start` with remote syslog and an audio setting: the log lines reach a
// UDP log server as RFC 5424 messages; the codec preference orders the offer.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { admin, startStation } from "./helpers.js";

async function listen(): Promise<{ socket: dgram.Socket; port: number; received: string[] }> {
	const socket = dgram.createSocket("udp4");
	const received: string[] = [];
	socket.on("message", (m) => received.push(m.toString("utf8")));
	await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
	return { socket, port: socket.address().port, received };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!check() && Date.now() < deadline)
		await new Promise((r) => setTimeout(r, 50));
}

describe("remote syslog and audio settings (npm start)", function () {
	this.timeout(60000);
	let station: Awaited<ReturnType<typeof startStation>>;
	before(async () => { station = await startStation(); });
	after(async () => { await station?.stop(); });

	it("sends each log line to the log server as RFC 5424 over UDP; a bad server address is refused with its field", async () => {
		const server = await listen();
		try {
			const api = await admin(station.base);
			const bad = await api.request("PUT", "/api/config", { syslog: { enabled: true, server: "logs.example", port: 514 } });
			assert.equal(bad.status, 400);
			assert.equal(bad.data.errors[0].field, "syslog.server");
			assert.equal((await api.request("PUT", "/api/config", { syslog: { enabled: true, server: "127.0.0.1", port: server.port } })).status, 200);
			await api.request("POST", "/api/relays/1/open");
			await until(() => server.received.some((m) => m.includes("door 1 opened by api")));
			const line = server.received.find((m) => m.includes("door 1 opened by api"))!;
			assert.match(line, /^<133>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1 portier - portier - portier: door 1 opened by api$/);
		}
		finally {
			server.socket.close();
		}
	});

	it("the codec preference orders the offer of a call (PCMA first, or PCMA only)", async () => {
		const phone = await listen();
		try {
			const api = await admin(station.base);
			for (const [codecs, formats] of [["PCMA,PCMU", "8 0 101"], ["PCMA", "8 101"]] as const) {
				phone.received.length = 0;
				assert.equal((await api.request("PUT", "/api/config", { audio: { codecs } })).status, 200);
				assert.equal((await api.request("POST", "/api/call", { number: "127.0.0.1:" + phone.port })).status, 200);
				await until(() => phone.received.some((m) => m.startsWith("INVITE")));
				const invite = phone.received.find((m) => m.startsWith("INVITE"))!;
				assert.match(invite, new RegExp("m=audio \\d+ RTP/AVP " + formats + "\\r\\n"));
				await api.request("POST", "/api/hangup");
			}
		}
		finally {
			phone.socket.close();
		}
	});
});
