/*
 * Locating SIP servers (RFC 3263 §4): from a host name to an ordered list of
 * targets (transport, address, port) through NAPTR, SRV and A records, asked
 * of the host's DNS. Used for the "DNS-SRV" transport and for every server
 * name: an IP literal or an explicit port skips the lookups that do not apply.
 *
 * SRV records are ordered by priority, and within a priority by a weighted
 * random draw (RFC 2782); the caller fails over to the next target.
 */
import type { TransportName } from "./transport.js";
import { isIPv4 } from "./uri.js";

export interface NaptrRecord {
	order: number;
	preference: number;
	flags: string;
	service: string;
	replacement: string;
}

export interface SrvRecord {
	priority: number;
	weight: number;
	port: number;
	name: string;
}

/** The host's DNS. Each query answers once, with an empty list on failure. */
export interface DnsClient {
	a(name: string, callback: (addresses: string[]) => void): void;
	srv?(name: string, callback: (records: SrvRecord[]) => void): void;
	naptr?(name: string, callback: (records: NaptrRecord[]) => void): void;
}

export interface Located {
	transport: TransportName;
	address: string;
	port: number;
}

/** Which transports a NAPTR service or SRV prefix stands for (§4.1). */
const SERVICES: readonly (readonly [string, string, TransportName])[] = Object.freeze([
	Object.freeze(["SIPS+D2T", "_sips._tcp.", "TLS"] as const),
	Object.freeze(["SIP+D2T", "_sip._tcp.", "TCP"] as const),
	Object.freeze(["SIP+D2U", "_sip._udp.", "UDP"] as const),
]);

function defaultPort(transport: TransportName): number {
	return transport === "TLS" ? 5061 : 5060;
}

function isIp(host: string): boolean {
	const b = new Uint8Array(host.length);
	for (let i = 0; i < host.length; i++)
		b[i] = host.charCodeAt(i) & 0xFF;
	return isIPv4(b, 0, b.length);
}

/** RFC 2782 order: ascending priority; within one, repeated weighted draws (random() in [0, 1)). */
export function orderSrv(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
	const byPriority = new Map<number, SrvRecord[]>();
	for (const r of records) {
		const list = byPriority.get(r.priority);
		if (list)
			list.push(r);
		else
			byPriority.set(r.priority, [r]);
	}
	const out: SrvRecord[] = [];
	for (const priority of Array.from(byPriority.keys()).sort((a, b) => a - b)) {
		// zero weights first, so that they have a small chance when others exist (RFC 2782)
		const pool = byPriority.get(priority)!.slice().sort((a, b) => a.weight - b.weight);
		while (pool.length) {
			const total = pool.reduce((sum, r) => sum + r.weight, 0);
			let pick = 0;
			if (total > 0) {
				const draw = random() * (total + 1);
				let running = 0;
				for (pick = 0; pick < pool.length - 1; pick++) {
					running += pool[pick].weight;
					if (running >= draw)
						break;
				}
			}
			out.push(pool.splice(pick, 1)[0]);
		}
	}
	return out;
}

/**
 * The targets for a server: `transport` undefined means "DNS-SRV" (choose by
 * NAPTR, then SRV, RFC 3263 §4.1); `port` undefined means look for SRV records.
 */
export function locate(dns: DnsClient, host: string, transport: TransportName | undefined, port: number | undefined, random: () => number, callback: (targets: Located[]) => void): void {
	const viaA = (t: TransportName, p: number, done: (targets: Located[]) => void) => {
		if (isIp(host)) {
			done([{ transport: t, address: host, port: p }]);
			return;
		}
		dns.a(host, (addresses) => done(addresses.map((address) => ({ transport: t, address, port: p }))));
	};
	if (isIp(host) || port !== undefined) {
		// §4.2: a numeric address or an explicit port is used as it is
		const t = transport ?? "UDP";
		viaA(t, port ?? defaultPort(t), callback);
		return;
	}
	const fromSrv = (records: SrvRecord[], t: TransportName, done: (targets: Located[]) => void) => {
		const ordered = orderSrv(records, random);
		const out: Located[] = [];
		let i = 0;
		const next = () => {
			if (i === ordered.length) {
				done(out);
				return;
			}
			const r = ordered[i++];
			if (isIp(r.name)) {
				out.push({ transport: t, address: r.name, port: r.port });
				next();
				return;
			}
			dns.a(r.name, (addresses) => {
				for (const address of addresses)
					out.push({ transport: t, address, port: r.port });
				next();
			});
		};
		next();
	};
	const trySrv = (candidates: readonly (readonly [string, string, TransportName])[], done: (targets: Located[]) => void) => {
		let i = 0;
		const next = () => {
			if (i === candidates.length || !dns.srv) {
				done([]);
				return;
			}
			const [, prefix, t] = candidates[i++];
			dns.srv!(prefix + host, (records) => {
				if (records.length)
					fromSrv(records, t, (targets) => (targets.length ? done(targets) : next()));
				else
					next();
			});
		};
		next();
	};
	if (transport !== undefined) {
		// §4.2: the transport is known: SRV for it, else A with the default port
		const candidate = SERVICES.filter((s) => s[2] === transport);
		trySrv(candidate, (targets) => (targets.length ? callback(targets) : viaA(transport, defaultPort(transport), callback)));
		return;
	}
	// §4.1: NAPTR picks the transport; without NAPTR, SRV for each transport; else UDP to the A record
	const afterNaptr = () => trySrv(SERVICES, (targets) => (targets.length ? callback(targets) : viaA("UDP", 5060, callback)));
	if (!dns.naptr) {
		afterNaptr();
		return;
	}
	dns.naptr(host, (records) => {
		const usable = records
			.filter((r) => r.flags.toLowerCase() === "s" && SERVICES.some((s) => s[0] === r.service.toUpperCase()))
			.sort((a, b) => a.order - b.order || a.preference - b.preference);
		if (!usable.length) {
			afterNaptr();
			return;
		}
		let i = 0;
		const next = () => {
			if (i === usable.length) {
				afterNaptr();
				return;
			}
			const r = usable[i++];
			const t = SERVICES.find((s) => s[0] === r.service.toUpperCase())![2];
			dns.srv ? dns.srv(r.replacement, (srv) => (srv.length ? fromSrv(srv, t, (targets) => (targets.length ? callback(targets) : next())) : next())) : next();
		};
		next();
	});
}
