/*
 * A DNS stub resolver over the host's UDP (RFC 1035 §4, one question per
 * query, recursion desired), for what RFC 3263 asks of DNS: A records,
 * SRV (RFC 2782) and NAPTR (RFC 3403). Written once for every host that
 * has an ECMA-419 UDP socket but no resolver with these record types: the
 * Moddable SDK's `embedded:network/dns/resolver/udp` asks A and AAAA only.
 *
 * Each query has its own socket, closed with its answer (a panel has about
 * ten sockets: at most MAX_PENDING queries at once, more are answered empty
 * at once); it is sent to each server in turn, TRIES times over, TIMEOUT ms
 * apart. An answer counts only from the server asked, from its port, with the
 * query's id and question (RFC 5452 §9: a blind spoofer must guess the port
 * and the id). Every failure (a name that does not exist, a refusal, no
 * answer, an answer that does not parse) answers an empty list, as
 * DnsClient promises; nothing throws out of a socket or timer callback.
 */
import type { Clock, UDPClass, UDPSocket } from "../io/types.js";
import type { DnsClient, NaptrRecord, SrvRecord } from "./resolver.js";

export const DNS_DEFAULTS = Object.freeze({
	timeout: 2000,
	tries: 2,
	maxPending: 4,
});

const TYPE_A = 1, TYPE_SRV = 33, TYPE_NAPTR = 35, CLASS_IN = 1;

export interface DnsClientOptions {
	udp: UDPClass;
	/** IPv4 addresses of the DNS servers, asked in this order. */
	servers: readonly string[];
	/** Their port: 53 (another for test benches). */
	port?: number;
	clock: Clock;
	/** Random 16-bit query ids (the host's random source). */
	random16: () => number;
	timeout?: number;
	tries?: number;
	maxPending?: number;
	log?: (line: string) => void;
}

type Parse<T> = (message: Uint8Array, at: number, length: number) => T | undefined;

/** A name without its root dot ("example.com." is "example.com"). */
function bare(name: string): string {
	return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** The query's question: name labels, type, class (RFC 1035 §4.1.2). Undefined for a name DNS cannot carry. */
export function encodeQuery(id: number, name: string, type: number): Uint8Array | undefined {
	const labels = bare(name).split(".");
	let size = 12 + 1 + 4;
	for (const label of labels) {
		if (label.length === 0 || label.length > 63)
			return undefined;
		for (let i = 0; i < label.length; i++) {
			if (label.charCodeAt(i) > 126 || label.charCodeAt(i) <= 32)
				return undefined;
		}
		size += 1 + label.length;
	}
	if (size - 16 > 255)
		return undefined;
	const q = new Uint8Array(size);
	q[0] = id >> 8;
	q[1] = id & 0xFF;
	q[2] = 0x01;	// RD: the server recurses for us
	q[5] = 1;	// QDCOUNT
	let p = 12;
	for (const label of labels) {
		q[p++] = label.length;
		for (let i = 0; i < label.length; i++)
			q[p++] = label.charCodeAt(i);
	}
	q[p++] = 0;
	q[p++] = type >> 8;
	q[p++] = type & 0xFF;
	q[p++] = 0;
	q[p] = CLASS_IN;
	return q;
}

/** A domain name at `at` (RFC 1035 §4.1.4: compression pointers, bounded): [name, the octet after it where it was written]. */
export function readName(m: Uint8Array, at: number): [string, number] | undefined {
	let name = "";
	let p = at;
	let end = -1;
	for (let jumps = 0; jumps < 16;) {
		if (p >= m.length)
			return undefined;
		const len = m[p];
		if (len === 0) {
			return [name, end < 0 ? p + 1 : end];
		}
		if ((len & 0xC0) === 0xC0) {
			if (p + 1 >= m.length)
				return undefined;
			if (end < 0)
				end = p + 2;
			p = ((len & 0x3F) << 8) | m[p + 1];
			jumps++;
			continue;
		}
		if ((len & 0xC0) !== 0 || p + 1 + len > m.length)
			return undefined;
		let label = "";
		for (let i = 1; i <= len; i++)
			label += String.fromCharCode(m[p + i]);
		name += (name ? "." : "") + label;
		if (name.length > 255)
			return undefined;
		p += 1 + len;
	}
	return undefined;
}

/** A <character-string> (RFC 1035 §3.3): [text, the octet after it]. */
function readString(m: Uint8Array, at: number, end: number): [string, number] | undefined {
	if (at >= end || at + 1 + m[at] > end)
		return undefined;
	let s = "";
	for (let i = 1; i <= m[at]; i++)
		s += String.fromCharCode(m[at + i]);
	return [s, at + 1 + m[at]];
}

const u16 = (m: Uint8Array, at: number) => (m[at] << 8) | m[at + 1];

const parseA: Parse<string> = (m, at, length) => length === 4 ? m[at] + "." + m[at + 1] + "." + m[at + 2] + "." + m[at + 3] : undefined;

const parseSrv: Parse<SrvRecord> = (m, at, length) => {
	if (length < 7)
		return undefined;
	const target = readName(m, at + 6);
	return target ? { priority: u16(m, at), weight: u16(m, at + 2), port: u16(m, at + 4), name: target[0] } : undefined;
};

const parseNaptr: Parse<NaptrRecord> = (m, at, length) => {
	const end = at + length;
	if (length < 7)
		return undefined;
	const flags = readString(m, at + 4, end);
	const service = flags && readString(m, flags[1], end);
	const regexp = service && readString(m, service[1], end);
	const replacement = regexp && readName(m, regexp[1]);
	return replacement ? { order: u16(m, at), preference: u16(m, at + 2), flags: flags[0], service: service[0], replacement: replacement[0] } : undefined;
};

/**
 * The records of `type` in an answer to query `id` for `name`; undefined when
 * the message is not that answer (another id or question: ignored, the query
 * keeps waiting); [] for a refusal, a name that does not exist, or records
 * that do not parse.
 */
export function parseAnswer<T>(m: Uint8Array, id: number, name: string, type: number, parse: Parse<T>): T[] | undefined {
	if (m.length < 12 || u16(m, 0) !== id || (m[2] & 0x80) === 0)
		return undefined;
	if (u16(m, 4) !== 1)
		return undefined;
	const question = readName(m, 12);
	if (!question || question[0].toLowerCase() !== bare(name).toLowerCase() || question[1] + 4 > m.length || u16(m, question[1]) !== type)
		return undefined;
	if ((m[3] & 0x0F) !== 0)
		return [];	// RCODE: NXDOMAIN, SERVFAIL, REFUSED...
	const out: T[] = [];
	let p = question[1] + 4;
	for (let n = u16(m, 6); n > 0; n--) {
		const owner = readName(m, p);
		if (!owner || owner[1] + 10 > m.length)
			return out;
		p = owner[1];
		const rtype = u16(m, p), rclass = u16(m, p + 2), length = u16(m, p + 8);
		p += 10;
		if (p + length > m.length)
			return out;
		// a CNAME chain comes before the records it leads to: only the type asked is kept
		if (rtype === type && rclass === CLASS_IN) {
			const record = parse(m, p, length);
			if (record !== undefined)
				out.push(record);
		}
		p += length;
	}
	return out;
}

export class UdpDnsClient implements DnsClient {
	#options: DnsClientOptions;
	#pending = 0;

	constructor(options: DnsClientOptions) {
		this.#options = options;
	}

	a(name: string, callback: (addresses: string[]) => void): void {
		this.#query(name, TYPE_A, parseA, callback);
	}
	srv(name: string, callback: (records: SrvRecord[]) => void): void {
		this.#query(name, TYPE_SRV, parseSrv, callback);
	}
	naptr(name: string, callback: (records: NaptrRecord[]) => void): void {
		this.#query(name, TYPE_NAPTR, parseNaptr, callback);
	}

	#query<T>(name: string, type: number, parse: Parse<T>, callback: (records: T[]) => void): void {
		const o = this.#options;
		const clock = o.clock, log = o.log;
		const servers = o.servers;
		const timeout = o.timeout ?? DNS_DEFAULTS.timeout;
		const sends = servers.length * (o.tries ?? DNS_DEFAULTS.tries);
		const port = o.port ?? 53;
		const id = o.random16() & 0xFFFF;
		const query = encodeQuery(id, name, type);
		let done = false;
		let socket: UDPSocket | undefined;
		let timer: unknown;
		let sent = 0;
		let server = "";
		const client = this;
		const finish = (records: T[]) => {
			if (done)
				return;
			done = true;
			client.#pending--;
			if (timer !== undefined)
				clock.clear(timer);
			try {
				socket?.close();
			}
			catch { /* already closed */ }
			try {
				callback(records);
			}
			catch (e) {
				log?.("dns: " + String(e));
			}
		};
		const send = () => {
			timer = undefined;
			if (sent === sends) {
				finish([]);
				return;
			}
			server = servers[sent++ % servers.length];
			try {
				socket!.write(query!, server, port);
			}
			catch (e) {
				log?.("dns: cannot ask " + server + ": " + String(e));
			}
			timer = clock.set(send, timeout);
		};
		if (query === undefined || servers.length === 0 || this.#pending >= (o.maxPending ?? DNS_DEFAULTS.maxPending)) {
			try {
				callback([]);
			}
			catch (e) {
				log?.("dns: " + String(e));
			}
			return;
		}
		this.#pending++;
		try {
			socket = new o.udp({
				onReadable(count: number) {
					for (let i = 0; i < count && !done; i++) {
						const d = this.read();
						if (!d)
							break;
						if (d.address !== server || d.port !== port)
							continue;	// only the server asked answers
						try {
							const records = parseAnswer(new Uint8Array(d), id, name, type, parse);
							if (records !== undefined)
								finish(records);
						}
						catch (e) {
							log?.("dns: " + String(e));
						}
					}
				},
				onError() {
					// the next try, or the timeout, answers
				},
			});
		}
		catch (e) {
			log?.("dns: no socket: " + String(e));
			finish([]);
			return;
		}
		send();
	}
}
