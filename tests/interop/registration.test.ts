// The station registers to Kamailio (started by the test on 127.0.0.1) over
// UDP, TCP and TLS, with MD5 and SHA-256 digest; refuses a wrong CA; comes back
// by itself after Kamailio restarts; fails over to a backup proxy.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type Kamailio, USERS, kamailioInstalled, makeCertificates, startKamailio } from "./kamailio.js";
import { nodeStack, until } from "./station.js";
import { freePort } from "../node/helpers.js";
import { type AccountConfig, Registration, type RegistrationStatus } from "../../modules/sip/registration.js";
import type { SipStack } from "../../modules/sip/stack.js";
import type { TransportName } from "../../modules/sip/transport.js";

function account(port: number, transport: TransportName, extra: Partial<AccountConfig> = {}): AccountConfig {
	return { id: "1", enabled: true, user: "door", password: USERS.door, server: "127.0.0.1", port, transport, expires: 60, ...extra };
}

describe("registration with Kamailio", function () {
	this.timeout(60000);
	let kamailio: Kamailio | undefined;
	let stacks: SipStack[] = [];
	const registrations: Registration[] = [];
	let ports: { udp: number; tcp: number; tls: number };
	let certs: ReturnType<typeof makeCertificates>;

	before(async function () {
		if (!kamailioInstalled()) {
			process.stdout.write("\n  interop: skipped: kamailio is not installed\n");
			this.skip();
		}
		certs = makeCertificates();
		ports = { udp: await freePort(), tcp: await freePort(), tls: await freePort() };
	});
	afterEach(async () => {
		// a registration keeps its refresh or retry timer on the clock until it is
		// stopped (closing its stack does not): stop each, so the suite leaves nothing running
		for (const r of registrations.splice(0))
			r.stop();
		for (const s of stacks)
			s.close();
		stacks = [];
		await kamailio?.stop();
		kamailio = undefined;
	});

	function track(reg: Registration): Registration {
		registrations.push(reg);
		return reg;
	}

	async function register(config: AccountConfig, algorithm: "MD5" | "SHA-256" = "MD5") {
		kamailio = await startKamailio({ udpPort: ports.udp, tcpPort: ports.tcp, tlsPort: ports.tls, algorithm, tls: { cert: certs.cert, key: certs.key, ca: certs.ca } });
		const { stack } = await nodeStack();
		stacks.push(stack);
		const changes: RegistrationStatus[] = [];
		const reg = track(new Registration(stack, config, (s) => changes.push(s)));
		reg.start();
		return { reg, changes, stack };
	}

	for (const [transport, algorithm] of [["UDP", "MD5"], ["TCP", "MD5"], ["UDP", "SHA-256"], ["TCP", "SHA-256"]] as const) {
		it(`registers over ${transport} with ${algorithm} digest`, async () => {
			const { reg } = await register(account(transport === "UDP" ? ports.udp : ports.tcp, transport), algorithm);
			await until(() => reg.status.registered, 10000, () => JSON.stringify(reg.status) + kamailio!.output().slice(-2000));
			assert.equal(reg.status.lastStatus, 200);
			assert.ok(reg.status.expiresAt > Date.now() + 50000);
			const logged = new RegExp(`registered sip:door@127.0.0.1 from 127.0.0.1:\\d+ over ${transport.toLowerCase()}`);
			await until(() => logged.test(kamailio!.output()), 5000, () => "no binding logged");
		});
	}

	it("registers over TLS when the server's CA is trusted", async () => {
		const { reg } = await register(account(ports.tls, "TLS", { ca: readFileSync(certs.ca, "utf8") }));
		await until(() => reg.status.registered, 10000, () => JSON.stringify(reg.status) + kamailio!.output().slice(-2000));
		await until(() => /registered sip:door@127.0.0.1 from 127.0.0.1:\d+ over tls/.test(kamailio!.output()), 5000, () => "no binding logged");
	});

	it("refuses a TLS server signed by another CA, with a clear status", async () => {
		const { reg } = await register(account(ports.tls, "TLS", { ca: readFileSync(certs.otherCa, "utf8") }));
		await until(() => reg.status.lastStatus !== 0, 10000, () => JSON.stringify(reg.status));
		assert.equal(reg.status.registered, false);
		assert.equal(reg.status.lastStatus, 503);
		assert.match(reg.status.lastReason, /certificate/i);
	});

	it("a wrong password is refused once, not retried in a loop", async () => {
		const { reg } = await register(account(ports.udp, "UDP", { password: "wrong" }));
		await until(() => reg.status.lastStatus !== 0, 10000, () => JSON.stringify(reg.status));
		assert.equal(reg.status.registered, false);
		assert.equal(reg.status.lastStatus, 401);
		assert.doesNotMatch(kamailio!.output(), /registered sip:door/);
		const challenges = (kamailio!.output().match(/REGISTER/g) ?? []).length;
		assert.ok(challenges <= 2, "no loop of attempts");
	});

	it("re-registers by itself after Kamailio is stopped and started again", async () => {
		kamailio = await startKamailio({ udpPort: ports.udp, tcpPort: ports.tcp });
		const { stack } = await nodeStack({ timers: { T1: 50 } });
		stacks.push(stack);
		const reg = track(new Registration(stack, account(ports.udp, "UDP", { expires: 4 })));
		reg.start();
		await until(() => reg.status.registered, 10000, () => JSON.stringify(reg.status));
		await kamailio.stop();
		await until(() => !reg.status.registered, 15000, () => JSON.stringify(reg.status));
		assert.equal(reg.status.lastStatus, 408, "the refresh timed out");
		kamailio = await startKamailio({ udpPort: ports.udp, tcpPort: ports.tcp });
		await until(() => reg.status.registered, 20000, () => JSON.stringify(reg.status));
		await until(() => /registered sip:door@127.0.0.1/.test(kamailio!.output()), 5000, () => "the new Kamailio has no binding");
	});

	it("over TCP, a dropped flow is noticed at once: it registers again when Kamailio is back", async function () {
		this.timeout(60000);
		kamailio = await startKamailio({ udpPort: ports.udp, tcpPort: ports.tcp });
		const { stack } = await nodeStack();
		stacks.push(stack);
		const reg = track(new Registration(stack, account(ports.tcp, "TCP", { expires: 3600 })));
		stack.onConnectionLost = (lost) => reg.flowLost(lost);	// as the user agent wires it
		reg.start();
		await until(() => reg.status.registered, 10000, () => JSON.stringify(reg.status));
		await kamailio.stop();
		// not at the refresh in an hour: the closed connection triggers a new REGISTER, which fails
		await until(() => !reg.status.registered, 5000, () => JSON.stringify(reg.status));
		assert.equal(reg.status.lastStatus, 503);
		const failedAt = Date.now();
		kamailio = await startKamailio({ udpPort: ports.udp, tcpPort: ports.tcp });
		await until(() => reg.status.registered, 15000, () => JSON.stringify(reg.status));
		assert.ok(Date.now() - failedAt >= 4000, "the retry waited for the back-off (5 s), no tight loop");
	});

	it("fails over to the backup proxy when the outbound proxy is down, and tries the main one again next time", async () => {
		kamailio = await startKamailio({ udpPort: ports.udp, tcpPort: ports.tcp });
		const { stack } = await nodeStack();
		stacks.push(stack);
		const dead = await freePort();
		const reg = track(new Registration(stack, account(ports.tcp, "TCP", {
			expires: 4,
			outboundProxy: { host: "127.0.0.1", port: dead },
			backupProxy: { host: "127.0.0.1", port: ports.tcp },
		})));
		reg.start();
		await until(() => reg.status.registered, 10000, () => JSON.stringify(reg.status));
		assert.equal(reg.status.via, "127.0.0.1:" + ports.tcp);
		// the refresh goes to the main proxy first again, then falls back
		const before = (kamailio.output().match(/registered sip:door/g) ?? []).length;
		await until(() => (kamailio!.output().match(/registered sip:door/g) ?? []).length > before, 10000, () => JSON.stringify(reg.status));
		assert.equal(reg.status.registered, true);
	});

	it("un-registers on stop", async () => {
		const { reg } = await register(account(ports.udp, "UDP"));
		await until(() => reg.status.registered, 10000, () => JSON.stringify(reg.status));
		let stopped = false;
		reg.stop(() => { stopped = true; });
		await until(() => stopped, 10000, () => "no answer to the un-REGISTER");
		assert.equal(reg.status.registered, false);
	});
});
