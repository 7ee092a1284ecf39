// SIP Outbound (RFC 5626) with Kamailio's outbound module: the station, run
// as `npm start` runs it, registers Account 1 over TLS (then over TCP) with
// +sip.instance and reg-id; it listens on no TLS port, so a call for it can
// only come over its own connection. A SIPp caller registered to Kamailio
// calls the station, which auto-answers; the caller keys the door code 1234
// by SIP INFO, relay 1 opens, and the caller's BYE ends the call, every
// in-dialog request reaching the station over the flow. When Kamailio goes
// away the account stops being registered at once, and it registers again
// when Kamailio is back.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type AdminClient, admin, freePort, startStation } from "../node/helpers.js";
import { type Kamailio, USERS, kamailioInstalled, makeCertificates, outboundModuleInstalled, startKamailio } from "./kamailio.js";
import { type Running, installed, scenarioWith, sipp } from "./peers.js";
import { until } from "./station.js";

interface Registration { id: string; registered: boolean; outbound: boolean; lastStatus: number; lastReason: string }

describe("SIP Outbound with Kamailio's outbound module (npm start)", function () {
	this.timeout(90000);
	let kamailio: Kamailio | undefined;
	let station: Awaited<ReturnType<typeof startStation>> | undefined;
	let api: AdminClient;
	let certs: ReturnType<typeof makeCertificates>;
	const running: Running[] = [];

	before(function () {
		if (!kamailioInstalled() || !outboundModuleInstalled() || !installed("sipp")) {
			process.stdout.write("\n  outbound: skipped: kamailio with its outbound module (kamailio-outbound-modules) and sipp are needed\n");
			this.skip();
		}
		certs = makeCertificates();
	});
	afterEach(async () => {
		for (const r of running.splice(0))
			await r.stop();
		await station?.stop();
		station = undefined;
		await kamailio?.stop();
		kamailio = undefined;
	});

	const status = async () => (await api.request("GET", "/api/status")).data as { registrations: Registration[]; calls: unknown[]; relays: Array<{ id: number; active: boolean }> };
	const account1 = async () => (await status()).registrations.find((r) => r.id === "1")!;

	async function waitFor(check: () => Promise<boolean>, ms: number, what: () => string): Promise<void> {
		const deadline = Date.now() + ms;
		while (!(await check())) {
			if (Date.now() > deadline)
				throw new Error("timed out: " + what());
			await new Promise((r) => setTimeout(r, 100));
		}
	}

	/** Kamailio with outbound, the station registered to it over `transport`, and a caller (1001) registered too. */
	async function setup(transport: "TLS" | "TCP", station1: Record<string, unknown> = {}) {
		const ports = { udp: await freePort(), tcp: await freePort(), tls: await freePort() };
		const options = { udpPort: ports.udp, tcpPort: ports.tcp, tlsPort: ports.tls, tls: { cert: certs.cert, key: certs.key, ca: certs.ca }, outbound: { flowTimer: 5 } };
		kamailio = await startKamailio(options);
		station = await startStation();
		api = await admin(station.base);
		const set = await api.request("PUT", "/api/config", {
			accounts: {
				"1": {
					enabled: true, server: "127.0.0.1", port: transport === "TLS" ? ports.tls : ports.tcp, transport,
					registerName: "door", password: USERS.door, expires: 300, keepAlive: 30,
					ca: transport === "TLS" ? readFileSync(certs.ca, "utf8") : "",
				},
			},
			station: { autoAnswerSip: { enabled: true, delay: 0 }, relays: [{ id: 1, holdTime: 2, dtmfCode: "1234" }], ...station1 },
		});
		assert.equal(set.status, 200, JSON.stringify(set.data));
		await waitFor(async () => (await account1()).registered, 15000, () => station!.output().slice(-1500) + kamailio!.output().slice(-2000));
		const over = transport.toLowerCase();
		await until(() => new RegExp(`registered sip:door@127.0.0.1 from 127.0.0.1:\\d+ over ${over}`).test(kamailio!.output()), 5000, () => kamailio!.output().slice(-2000));
		const registration = sipp(scenarioWith("register-auth.xml", { EXPECTED: "200", EXPIRES: "300", CONTACT_PORT: String(await freePort()) }), await freePort(), "127.0.0.1:" + ports.udp, ["-s", "1001", "-au", "1001", "-ap", USERS["1001"]]);
		assert.equal(await registration.exited, 0, "the caller registered: " + registration.output().slice(-1500));
		return { ports, options };
	}

	/** The station's binding as Kamailio logged it. */
	function binding(): string {
		const m = /binding of door: (.*)/.exec(kamailio!.output());
		assert.ok(m, "Kamailio logged the station's Contact: " + kamailio!.output().slice(-2000));
		return m[1];
	}

	/** The caller rings the station through Kamailio, keys 1234 by INFO and hangs up with BYE. */
	async function callAndOpen(udpPort: number) {
		const events = (station!.output().match(/relay 1 released/g) ?? []).length;
		const caller = sipp(scenarioWith("uac-proxied-info-code.xml", { FROM_USER: "1001", HOLD_MS: "500" }), await freePort(), "127.0.0.1:" + udpPort, ["-s", "door", "-mp", String(await freePort())]);
		running.push(caller);
		let opened = false;
		const watch = setInterval(() => { void status().then((s) => { opened ||= s.relays.some((r) => r.id === 1 && r.active); }, () => {}); }, 100);
		try {
			assert.equal(await caller.exited, 0, "answered, four INFOs and BYE answered over the flow: " + caller.output().slice(-2500) + kamailio!.output().slice(-2500));
		}
		finally {
			clearInterval(watch);
		}
		assert.ok((station!.output().match(/relay 1 released/g) ?? []).length > events, "relay 1 opened: " + station!.output().slice(-2000));
		assert.match(station!.output(), /door 1 opened by dtmf/);
		await waitFor(async () => opened || (await status()).relays.some((r) => r.id === 1 && r.active), 2000, () => "relay 1 never shown active in /api/status");
		await waitFor(async () => (await status()).calls.length === 0, 5000, () => "the call did not end");
		assert.match(station!.output(), /call incoming .*1001.* ended \(remote\)/, "the caller's BYE reached the station over the flow");
		assert.match(kamailio!.output(), /BYE in the dialog to the flow sip:127\.0\.0\.1:\d+;transport=/, "Kamailio sent the BYE over the flow");
	}

	it("over TLS: registered with +sip.instance and reg-id, no port 5061 in the Contact; a call through Kamailio arrives over the flow, 1234 opens relay 1, BYE ends it", async () => {
		const { ports } = await setup("TLS");
		const contact = binding();
		assert.match(contact, /\+sip\.instance="<urn:uuid:[0-9a-f-]{36}>"/);
		assert.match(contact, /reg-id=1/);
		assert.match(contact, /^<sips:door@/);
		assert.doesNotMatch(contact, /:5061|5061/, "no TLS port the station does not listen on");
		const reg = await account1();
		assert.equal(reg.outbound, true, "the registrar confirmed outbound: " + JSON.stringify(reg));
		await callAndOpen(ports.udp);
		assert.match(kamailio!.output(), /INVITE to the flow sip:127\.0\.0\.1:\d+;transport=tls/, "Kamailio sent the INVITE over the station's TLS flow");
		// Flow-Timer 5: pings every 4-5 s, each answered by Kamailio's pong (RFC 5626 §4.4.1), so the flow stays up
		const registrations = (kamailio!.output().match(/registered sip:door@/g) ?? []).length;
		await new Promise((r) => setTimeout(r, 16000));
		assert.doesNotMatch(station!.output(), /no keep-alive pong|flow .* was lost/, "no ping went unanswered");
		assert.equal((await account1()).registered, true);
		assert.equal((kamailio!.output().match(/registered sip:door@/g) ?? []).length, registrations, "no new registration: the same flow");
	});

	it("over TLS: the station's own BYE (it hangs up after the door opened) goes out over the flow and reaches the caller", async () => {
		const { ports } = await setup("TLS", { hangUpAfterOpen: 1 });
		const caller = sipp(scenarioWith("uac-proxied-code-hung-up.xml", { FROM_USER: "1001" }), await freePort(), "127.0.0.1:" + ports.udp, ["-s", "door", "-mp", String(await freePort())]);
		running.push(caller);
		assert.equal(await caller.exited, 0, "the caller got the station's BYE: " + caller.output().slice(-2500) + station!.output().slice(-1500) + kamailio!.output().slice(-2500));
		assert.match(station!.output(), /door 1 opened by dtmf/);
		assert.match(station!.output(), /call incoming .*1001.* ended \(local\)/, "the station hung up");
		const flow = /INVITE to the flow sip:127\.0\.0\.1:(\d+);transport=tls/.exec(kamailio!.output());
		assert.ok(flow, "the INVITE went over the flow");
		assert.match(kamailio!.output(), new RegExp(`BYE in the dialog from 127\\.0\\.0\\.1:${flow[1]} over tls`), "the station's BYE came over the same connection");
		await waitFor(async () => (await status()).calls.length === 0, 5000, () => "the call did not end");
	});

	it("over TCP: the same call arrives over the station's connection; when Kamailio goes, the account is not registered, and it registers again when Kamailio is back", async () => {
		const { ports, options } = await setup("TCP");
		const contact = binding();
		assert.match(contact, /\+sip\.instance="<urn:uuid:[0-9a-f-]{36}>"/);
		assert.match(contact, /reg-id=1/);
		await callAndOpen(ports.udp);
		assert.match(kamailio!.output(), /INVITE to the flow sip:127\.0\.0\.1:\d+;transport=tcp/, "Kamailio sent the INVITE over the station's TCP flow");
		await kamailio!.stop();
		kamailio = undefined;
		await waitFor(async () => !(await account1()).registered, 3000, () => "still registered with the connection gone");
		kamailio = await startKamailio(options);
		await waitFor(async () => (await account1()).registered, 20000, () => station!.output().slice(-1500));
		await until(() => /registered sip:door@127.0.0.1 from 127.0.0.1:\d+ over tcp/.test(kamailio!.output()), 5000, () => kamailio!.output().slice(-2000));
	});
});
