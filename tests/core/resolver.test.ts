import { deepEqual, equal } from "../lib/assert.js";
import { type DnsClient, type Located, type NaptrRecord, type SrvRecord, locate, orderSrv } from "../../modules/sip/resolver.js";

/** A DNS with fixed records that answers at once and counts queries. */
function fakeDns(records: { a?: Record<string, string[]>; srv?: Record<string, SrvRecord[]>; naptr?: Record<string, NaptrRecord[]> }) {
	const asked: string[] = [];
	const dns: DnsClient = {
		a: (name, cb) => { asked.push("A " + name); cb(records.a?.[name] ?? []); },
		srv: (name, cb) => { asked.push("SRV " + name); cb(records.srv?.[name] ?? []); },
		naptr: (name, cb) => { asked.push("NAPTR " + name); cb(records.naptr?.[name] ?? []); },
	};
	return { dns, asked };
}

function run(dns: DnsClient, host: string, transport: "UDP" | "TCP" | "TLS" | undefined, port: number | undefined, random = () => 0.5): Located[] {
	let out: Located[] = [];
	locate(dns, host, transport, port, random, (t) => { out = t; });
	return out;
}

const srv = (priority: number, weight: number, port: number, name: string): SrvRecord => ({ priority, weight, port, name });

describe("locating SIP servers (RFC 3263)", () => {
	it("an IP address or an explicit port needs no SRV", () => {
		const { dns, asked } = fakeDns({ a: { "pbx.example.com": ["192.0.2.5"] } });
		deepEqual(run(dns, "192.0.2.1", "TCP", undefined), [{ transport: "TCP", address: "192.0.2.1", port: 5060 }]);
		deepEqual(run(dns, "pbx.example.com", "UDP", 5070), [{ transport: "UDP", address: "192.0.2.5", port: 5070 }]);
		deepEqual(asked, ["A pbx.example.com"]);
	});

	it("NAPTR chooses the transport in order, then SRV and A (§4.1)", () => {
		const { dns, asked } = fakeDns({
			naptr: { "example.com": [
				{ order: 50, preference: 50, flags: "s", service: "SIP+D2U", replacement: "_sip._udp.example.com" },
				{ order: 10, preference: 50, flags: "s", service: "SIP+D2T", replacement: "_sip._tcp.example.com" },
				{ order: 5, preference: 10, flags: "s", service: "SIP+D2X", replacement: "_sip._sctp.example.com" },
			] },
			srv: { "_sip._tcp.example.com": [srv(10, 0, 5062, "a.example.com")] },
			a: { "a.example.com": ["192.0.2.10", "192.0.2.11"] },
		});
		deepEqual(run(dns, "example.com", undefined, undefined), [
			{ transport: "TCP", address: "192.0.2.10", port: 5062 },
			{ transport: "TCP", address: "192.0.2.11", port: 5062 },
		]);
		deepEqual(asked, ["NAPTR example.com", "SRV _sip._tcp.example.com", "A a.example.com"]);
	});

	it("without NAPTR, SRV for each transport; without SRV, UDP on 5060 at the A record", () => {
		const a = fakeDns({ srv: { "_sip._udp.example.org": [srv(1, 0, 5060, "192.0.2.20")] } });
		deepEqual(run(a.dns, "example.org", undefined, undefined), [{ transport: "UDP", address: "192.0.2.20", port: 5060 }]);
		deepEqual(a.asked, ["NAPTR example.org", "SRV _sips._tcp.example.org", "SRV _sip._tcp.example.org", "SRV _sip._udp.example.org"]);
		const b = fakeDns({ a: { "example.net": ["192.0.2.30"] } });
		deepEqual(run(b.dns, "example.net", undefined, undefined), [{ transport: "UDP", address: "192.0.2.30", port: 5060 }]);
	});

	it("a known transport asks SRV for it only, and falls back to A with the default port (§4.2)", () => {
		const { dns, asked } = fakeDns({ a: { "pbx.example.com": ["192.0.2.5"] } });
		deepEqual(run(dns, "pbx.example.com", "TLS", undefined), [{ transport: "TLS", address: "192.0.2.5", port: 5061 }]);
		deepEqual(asked, ["SRV _sips._tcp.pbx.example.com", "A pbx.example.com"]);
	});

	it("orders SRV records by priority, then by weight (RFC 2782)", () => {
		const records = [srv(20, 0, 1, "backup"), srv(10, 10, 2, "light"), srv(10, 90, 3, "heavy")];
		const names = (r: number) => orderSrv(records, () => r).map((x) => x.name);
		deepEqual(names(0.99), ["heavy", "light", "backup"]);
		deepEqual(names(0.05), ["light", "heavy", "backup"]);
		let heavyFirst = 0;
		for (let i = 0; i < 100; i++)
			heavyFirst += orderSrv(records, () => i / 100)[0].name === "heavy" ? 1 : 0;
		equal(heavyFirst >= 85 && heavyFirst <= 92, true, "about 90 of 100 draws pick the heavy one: " + heavyFirst);
	});
});
