/*
 * The station on the local link by name (SPEC §8): a Multicast DNS responder
 * (RFC 6762) for `<name>.local`, and DNS-SD (RFC 6763) announcements of the
 * page (`_http._tcp`) and, with the built-in server on, of SIP (`_sip._udp`,
 * `_sip._tcp`), so an installer's browser or an indoor unit finds the
 * station without knowing its address.
 *
 * It runs on the host's ECMA-419 UDP with `multicast` (the same socket class
 * paging uses: Node's dgram, the SDK's lwIP socket with add() on a panel,
 * the project's own in the simulator), so the same code answers on every
 * host. It owns one socket and a bounded number of timers; it keeps no state
 * per querier, and a datagram that does not parse is dropped.
 *
 * What it does, by section of RFC 6762:
 * - §8.1 probing: three probes, 250 ms apart, for the unique names (the
 *   host name and each service instance); a response that claims one of them
 *   with other data is a conflict (§9): the name gets a number ("-2", "-3"...)
 *   and probing starts again. Simultaneous-probe tie-breaking (§8.2) is not
 *   done: the other host defends or renames, and a conflict seen later is
 *   handled as in §9.
 * - §8.3 announcing: every record twice, one second apart, unique ones with
 *   the cache-flush bit (§10.2).
 * - §6 answering: a question for our records is answered by multicast, at
 *   once for unique records and after 20-120 ms for shared ones (PTR); a
 *   record is not multicast again within one second (§6, flood protection);
 *   a question with the QU bit (§5.4) is answered by unicast; a query from a
 *   port other than 5353 (a legacy resolver, §6.7) gets a unicast answer that
 *   repeats the question and its id, with TTLs of at most 10 s. Unicast
 *   answers go only to the station's subnet (§11: a source elsewhere gets
 *   the multicast answer, a legacy one none) and at most 5 a second after a
 *   burst of 10, so a spoofed query cannot make the station a reflector.
 * - §7.1 known-answer suppression for shared records.
 * - §10.1 goodbye: every record with TTL 0 when the responder stops.
 * DNS-SD (RFC 6763 §12): an answer of PTR carries the instance's SRV, TXT
 * and the host's A as additional records; an SRV carries the A.
 */
import type { Clock, UDPClass, UDPSocket } from "../io/types.js";
import { readName } from "../sip/dns-client.js";
import { maskOfPrefix, parseIPv4 } from "./ipv4.js";

export const MDNS = Object.freeze({
	group: "224.0.0.251",
	port: 5353,
	/** TTLs of RFC 6762 §10: host names and SRV 120 s, others 75 minutes. */
	hostTtl: 120,
	otherTtl: 4500,
	/** Delayed answers waiting at once (shared records); more are dropped. */
	maxPending: 4,
	/** Unicast answers (QU, legacy resolvers): at most this many at once, then this many a second. */
	unicastBurst: 10,
	unicastPerSecond: 5,
});

const TYPE_A = 1, TYPE_PTR = 12, TYPE_TXT = 16, TYPE_SRV = 33, TYPE_ANY = 255;
const CLASS_IN = 1, CACHE_FLUSH = 0x8000, QU = 0x8000;
const SERVICES = "_services._dns-sd._udp.local";

export interface MdnsService {
	/** The service type: "_http._tcp", "_sip._udp"... */
	type: string;
	port: number;
	/** TXT strings (RFC 6763 §6: key=value); empty: one empty string. */
	txt?: readonly string[];
}

export interface MdnsOptions {
	udp: UDPClass;
	clock: Clock;
	/** The host name without ".local". */
	name: string;
	/** The station's IPv4 address: the A record, and the interface for multicast. */
	address: string;
	services: readonly MdnsService[];
	/** 5353 (another port for test benches). */
	port?: number;
	/** The station's subnet prefix length (unicast answers go only there); /24 when unknown (DHCP). */
	prefix?: number;
	/** Random numbers in [0, 1) (the host's random source): probe and answer delays. */
	random: () => number;
	log?: (line: string) => void;
	/** Called with the name in use once the probes are done (a renamed name after a conflict). */
	onName?: (name: string) => void;
}

interface MdnsRecord {
	name: string;
	/** The name, lower case, for comparisons (DNS names are case-insensitive). */
	key: string;
	type: number;
	ttl: number;
	unique: boolean;
	/** The record's data, written out. */
	data: Uint8Array;
	/** For PTR: the target's key (known-answer suppression compares it). */
	target?: string;
	/** Its place in the list: where #sent keeps when it was last multicast. */
	index: number;
}

/** A name as DNS labels (no compression: the messages are short). */
function nameBytes(name: string): number[] {
	const out: number[] = [];
	for (const label of name.split(".")) {
		out.push(label.length);
		for (let i = 0; i < label.length; i++)
			out.push(label.charCodeAt(i) & 0xFF);
	}
	out.push(0);
	return out;
}

function u16(out: number[], value: number): void {
	out.push((value >> 8) & 0xFF, value & 0xFF);
}

/** A DNS message of the given sections (RFC 1035 §4.1). */
function message(id: number, flags: number, questions: ReadonlyArray<readonly [string, number, number]>, sections: ReadonlyArray<ReadonlyArray<readonly [MdnsRecord, number]>>): Uint8Array {
	const out: number[] = [];
	u16(out, id);
	u16(out, flags);
	u16(out, questions.length);
	for (const s of sections)
		u16(out, s.length);
	for (let i = sections.length; i < 3; i++)
		u16(out, 0);
	for (const [name, type, klass] of questions) {
		for (const b of nameBytes(name))
			out.push(b);
		u16(out, type);
		u16(out, klass);
	}
	for (const section of sections) {
		for (const [r, ttl] of section) {
			for (const b of nameBytes(r.name))
				out.push(b);
			u16(out, r.type);
			u16(out, CLASS_IN | (r.unique && flags !== 0 && id === 0 ? CACHE_FLUSH : 0));
			u16(out, ttl >>> 16);
			u16(out, ttl & 0xFFFF);
			u16(out, r.data.length);
			for (let i = 0; i < r.data.length; i++)
				out.push(r.data[i]);
		}
	}
	return Uint8Array.from(out);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length)
		return false;
	for (let i = 0; i < a.length; i++) {
		if (a[i] !== b[i])
			return false;
	}
	return true;
}

/** A record read from a message: its name (lower case), type, class, TTL and where its data is. */
interface ReadRecord { key: string; type: number; klass: number; ttl: number; at: number; length: number }

export class MdnsResponder {
	#o: MdnsOptions;
	#socket: UDPSocket | undefined;
	/** When each record (by index) was last multicast (clock ms), for the one-second limit. */
	#sent: number[] = [];
	#name: string;
	#renames = 1;
	/** "probing", "announced" or "stopped". */
	#state = "probing";
	#timer: unknown;
	#step = 0;
	/** Delayed answers' timers. */
	#waiting: unknown[] = [];
	#tokens: number = MDNS.unicastBurst;
	#refilled = 0;

	constructor(options: MdnsOptions) {
		this.#o = options;
		this.#name = options.name;
		const responder = this;
		this.#socket = new options.udp({
			port: options.port ?? MDNS.port,
			multicast: MDNS.group,
			address: options.address,
			onReadable(count: number) {
				for (let i = 0; i < count; i++) {
					const d = this.read();
					if (!d)
						break;
					try {
						responder.#receive(new Uint8Array(d), d.address, d.port);
					}
					catch (e) {
						options.log?.("mdns: " + String(e));
					}
				}
			},
		});
		this.#probe(options.random() * 250);
	}

	/** The host name in use (after a conflict, with its number). */
	get name(): string {
		return this.#name;
	}

	/** Say goodbye (TTL 0, RFC 6762 §10.1) and close the socket. */
	close(): void {
		if (this.#state === "stopped")
			return;
		if (this.#state === "announced")
			this.#send(message(0, 0x8400, [], [this.#records().map((r) => [r, 0] as const)]));
		this.#state = "stopped";
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		for (const t of this.#waiting)
			this.#o.clock.clear(t);
		this.#waiting.length = 0;
		this.#socket?.close();
		this.#socket = undefined;
	}

	/**
	 * The records for the name in use: A, and per service PTR, SRV, TXT and
	 * the DNS-SD enumeration PTR. Made when a message needs them, not kept:
	 * a panel's heap holds only the times they were sent.
	 */
	#records(): MdnsRecord[] {
		const host = this.#name + ".local";
		const records: MdnsRecord[] = [];
		const add = (name: string, type: number, ttl: number, unique: boolean, data: number[], target?: string) =>
			records.push({ name, key: name.toLowerCase(), type, ttl, unique, data: Uint8Array.from(data), target, index: records.length });
		const a = parseIPv4(this.#o.address) ?? 0;
		add(host, TYPE_A, MDNS.hostTtl, true, [(a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255]);
		for (const s of this.#o.services) {
			const type = s.type + ".local";
			const instance = this.#name + "." + type;
			add(type, TYPE_PTR, MDNS.otherTtl, false, nameBytes(instance), instance.toLowerCase());
			const srv = [0, 0, 0, 0];	// priority and weight 0 (RFC 2782)
			u16(srv, s.port);
			add(instance, TYPE_SRV, MDNS.hostTtl, true, srv.concat(nameBytes(host)));
			const txt: number[] = [];
			for (const t of s.txt?.length ? s.txt : [""]) {
				txt.push(Math.min(t.length, 255));
				for (let i = 0; i < t.length && i < 255; i++)
					txt.push(t.charCodeAt(i) & 0xFF);
			}
			add(instance, TYPE_TXT, MDNS.otherTtl, true, txt);
			add(SERVICES, TYPE_PTR, MDNS.otherTtl, false, nameBytes(type), type.toLowerCase());
		}
		return records;
	}

	/** RFC 6762 §8.1: three probes 250 ms apart, asking ANY for each unique name, our records in the authority section. */
	#probe(delay: number): void {
		this.#state = "probing";
		this.#step = 0;
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		const next = () => {
			if (this.#state !== "probing")
				return;
			if (this.#step < 3) {
				const unique = this.#records().filter((r) => r.unique && r.type !== TYPE_TXT);
				const names = unique.map((r) => r.name).filter((n, i, all) => all.indexOf(n) === i);
				this.#send(message(0, 0, names.map((n) => [n, TYPE_ANY, CLASS_IN | (this.#step === 0 ? QU : 0)] as const), [[], unique.map((r) => [r, r.ttl] as const)]));
				this.#step++;
				this.#timer = this.#o.clock.set(next, 250);
				return;
			}
			this.#state = "announced";
			this.#o.log?.(`mdns: ${this.#name}.local answers for ${this.#o.address}` + (this.#o.services.length ? ", announcing " + this.#o.services.map((s) => s.type).join(" ") : ""));
			this.#o.onName?.(this.#name);
			this.#announce();
			this.#timer = this.#o.clock.set(() => this.#announce(), 1000);
		};
		this.#timer = this.#o.clock.set(next, delay);
	}

	/** RFC 6762 §8.3: every record, unsolicited. */
	#announce(): void {
		if (this.#state !== "announced")
			return;
		const now = this.#o.clock.now();
		const records = this.#records();
		for (const r of records)
			this.#sent[r.index] = now;
		this.#send(message(0, 0x8400, [], [records.map((r) => [r, r.ttl] as const)]));
	}

	#send(bytes: Uint8Array, address: string = MDNS.group, port = this.#o.port ?? MDNS.port): void {
		try {
			this.#socket?.write(bytes, address, port);
		}
		catch (e) {
			this.#o.log?.("mdns: cannot send: " + String(e));
		}
	}

	#receive(m: Uint8Array, from: string, fromPort: number): void {
		if (m.length < 12 || this.#state === "stopped")
			return;
		const id = (m[0] << 8) | m[1];
		const flags = (m[2] << 8) | m[3];
		if ((flags & 0x7800) !== 0)	// opcode 0 only (§18.3)
			return;
		const counts = [(m[4] << 8) | m[5], (m[6] << 8) | m[7], (m[8] << 8) | m[9], (m[10] << 8) | m[11]];
		let at = 12;
		const questions: Array<[string, number, number]> = [];
		for (let i = 0; i < counts[0]; i++) {
			const name = readName(m, at);
			if (!name || name[1] + 4 > m.length || questions.length === 16)
				return;
			at = name[1];
			questions.push([name[0], (m[at] << 8) | m[at + 1], (m[at + 2] << 8) | m[at + 3]]);
			at += 4;
		}
		const records: ReadRecord[] = [];
		for (let i = 0; i < counts[1] + counts[2] && i < 32; i++) {
			const name = readName(m, at);
			if (!name || name[1] + 10 > m.length)
				return;
			at = name[1];
			const length = (m[at + 8] << 8) | m[at + 9];
			if (at + 10 + length > m.length)
				return;
			records.push({ key: name[0].toLowerCase(), type: (m[at] << 8) | m[at + 1], klass: (m[at + 2] << 8) | m[at + 3], ttl: ((m[at + 4] << 24) | (m[at + 5] << 16) | (m[at + 6] << 8) | m[at + 7]) >>> 0, at: at + 10, length });
			at += 10 + length;
		}
		if (flags & 0x8000)
			this.#response(m, records, counts[1]);
		else
			this.#query(m, id, questions, records.slice(0, counts[1]), from, fromPort);
	}

	/** RFC 6762 §9: another host's answer for one of our unique names with other data is a conflict. */
	#response(m: Uint8Array, answers: ReadRecord[], count: number): void {
		const records = this.#records();
		for (let i = 0; i < count && i < answers.length; i++) {
			const a = answers[i];
			for (const r of records) {
				if (!r.unique || r.key !== a.key || r.type !== a.type || a.ttl === 0)
					continue;
				if (sameBytes(r.data, m.subarray(a.at, a.at + a.length)))
					continue;	// our own answer, looped back, or another host agreeing
				this.#conflict();
				return;
			}
		}
	}

	#conflict(): void {
		if (this.#renames >= 9) {
			this.#o.log?.(`mdns: ${this.#name}.local still taken after ${this.#renames} names: not announcing`);
			this.close();
			return;
		}
		const taken = this.#name;
		this.#renames++;
		this.#name = this.#o.name + "-" + this.#renames;
		this.#o.log?.(`mdns: ${taken}.local is taken on the network: probing ${this.#name}.local`);
		this.#sent = [];
		// §9: probing again; after a conflict, not faster than one second
		this.#probe(1000);
	}

	#query(m: Uint8Array, id: number, questions: Array<[string, number, number]>, known: ReadRecord[], from: string, fromPort: number): void {
		if (this.#state !== "announced")
			return;	// §8.1: until probing is done, the names are not ours to answer for
		const records = this.#records();
		const answers: MdnsRecord[] = [];
		let unicast = false;
		for (const [name, type, klass] of questions) {
			if ((klass & 0x7FFF) !== CLASS_IN && (klass & 0x7FFF) !== 255)
				continue;
			const key = name.toLowerCase();
			for (const r of records) {
				if (r.key !== key || (type !== r.type && type !== TYPE_ANY) || answers.includes(r))
					continue;
				// §7.1: a shared record the querier already holds with at least half its TTL
				if (!r.unique && known.some((k) => k.key === r.key && k.type === r.type && k.ttl >= r.ttl / 2 && this.#targetOf(m, k) === r.target))
					continue;
				answers.push(r);
				if (klass & QU)
					unicast = true;
			}
		}
		if (!answers.length)
			return;
		const additional: MdnsRecord[] = [];
		const addFor = (key: string, type: number) => {
			for (const r of records) {
				if (r.key === key && r.type === type && !answers.includes(r) && !additional.includes(r))
					additional.push(r);
			}
		};
		const host = (this.#name + ".local").toLowerCase();
		for (const r of answers) {
			if (r.type === TYPE_PTR && r.target && r.key !== SERVICES) {
				addFor(r.target, TYPE_SRV);
				addFor(r.target, TYPE_TXT);
				addFor(host, TYPE_A);
			}
			else if (r.type === TYPE_SRV)
				addFor(host, TYPE_A);
		}
		// §11: a unicast answer goes only to a querier on the station's own link (a source elsewhere
		// is answered by multicast, or not at all), and a few a second: no reflector for spoofed queries
		const local = this.#onLink(from);
		const legacy = fromPort !== (this.#o.port ?? MDNS.port);
		if (legacy) {
			if (!local || !this.#unicastAllowed())
				return;
			// §6.7: to the querier, with its id and question, and short TTLs (it caches as unicast DNS does)
			const ttl = (r: MdnsRecord) => Math.min(r.ttl, 10);
			this.#send(message(id, 0x8400, questions.map(([n, t, c]) => [n, t, c & 0x7FFF] as const), [answers.map((r) => [r, ttl(r)] as const), [], additional.map((r) => [r, ttl(r)] as const)]), from, fromPort);
			return;
		}
		if (unicast && local && this.#unicastAllowed()) {
			this.#send(message(0, 0x8400, [], [answers.map((r) => [r, r.ttl] as const), [], additional.map((r) => [r, r.ttl] as const)]), from, fromPort);
			return;
		}
		const respond = () => {
			const now = this.#o.clock.now();
			// §6: a record is multicast at most once a second (a querier's flood makes no flood of answers)
			const fresh = answers.filter((r) => !(now - (this.#sent[r.index] ?? -Infinity) < 1000));
			if (!fresh.length || this.#state !== "announced")
				return;
			for (const r of fresh)
				this.#sent[r.index] = now;
			this.#send(message(0, 0x8400, [], [fresh.map((r) => [r, r.ttl] as const), [], additional.map((r) => [r, r.ttl] as const)]));
		};
		if (answers.every((r) => r.unique)) {
			respond();
			return;
		}
		// §6: shared records after 20-120 ms, so that responders on the link do not answer at once
		if (this.#waiting.length >= MDNS.maxPending)
			return;
		const timer = this.#o.clock.set(() => {
			this.#waiting.splice(this.#waiting.indexOf(timer), 1);
			respond();
		}, 20 + this.#o.random() * 100);
		this.#waiting.push(timer);
	}

	/** Whether `address` is on the station's link: its subnet (options.prefix, /24 by default), or the loopback. */
	#onLink(address: string): boolean {
		const from = parseIPv4(address);
		const own = parseIPv4(this.#o.address);
		if (from === undefined || own === undefined)
			return false;
		if (from >>> 24 === 127)
			return own >>> 24 === 127;
		const mask = maskOfPrefix(this.#o.prefix ?? 24);
		return ((from & mask) >>> 0) === ((own & mask) >>> 0);
	}

	/** A token bucket for unicast answers: MDNS.unicastBurst at once, MDNS.unicastPerSecond after. */
	#unicastAllowed(): boolean {
		const now = this.#o.clock.now();
		this.#tokens = Math.min(MDNS.unicastBurst, this.#tokens + (now - this.#refilled) * MDNS.unicastPerSecond / 1000);
		this.#refilled = now;
		if (this.#tokens < 1)
			return false;
		this.#tokens--;
		return true;
	}

	/** A PTR record's target (lower case), as known-answer suppression compares it. */
	#targetOf(m: Uint8Array, r: ReadRecord): string | undefined {
		if (r.type !== TYPE_PTR)
			return undefined;
		const name = readName(m, r.at);
		return name ? name[0].toLowerCase() : undefined;
	}
}
