/*
 * An SNTP client (RFC 4330; the on-wire protocol of NTPv4, RFC 5905 §7),
 * written once over the host's ECMA-419 UDP class, so the same code runs on a
 * panel, in the simulator and on Node.
 *
 * A round asks the configured servers in turn, one request each (client mode,
 * RFC 4330 §5), until one gives a sane answer; it then waits the poll
 * interval. When a whole round fails, the next one comes after a back-off
 * that starts at 16 s (RFC 4330 §10: never more often than every 15 s) and
 * doubles up to the poll interval. A server name is looked up (A record)
 * through the host's resolver, when there is one; an IP literal needs none.
 *
 * The client measures; it sets nothing. `onTime(offset)` gets the clock
 * offset θ = ((T2 - T1) + (T3 - T4)) / 2 (RFC 5905 §8, RFC 4330 §5) in ms,
 * against the time `now()` gives; whoever owns the clock applies it.
 *
 * One socket, open only while a request is out: nothing is held between polls.
 */
import type { Clock, Datagram, Log, UDPClass, UDPSocket } from "../io/types.js";
import type { DnsClient } from "../sip/resolver.js";
import { isIPv4 } from "../sip/uri.js";

export interface SntpOptions {
	udp: UDPClass;
	/** Timers (and, unless `now` is given, T1 and T4). */
	clock: Clock;
	/** The time the offset is measured against (ms since 1970): the station's wall clock. */
	now?: () => number;
	dns?: DnsClient;
	/** Server names or addresses, each with an optional ":port" (default 123). */
	servers: readonly string[];
	/** Seconds between polls after a good answer. */
	interval: number;
	/** ms to wait for each answer (default 3000). */
	timeout?: number;
	/** 16 hex digits: the request's transmit timestamp (see #request); default the time. */
	random?: () => string;
	onTime(offset: number, sample: SntpSample): void;
	log?: Log;
}

/** A good answer: who gave it and what it said. */
export interface SntpSample {
	server: string;
	address: string;
	/** The clock offset, ms (add it to now() for the server's time). */
	offset: number;
	/** The round-trip delay δ, ms. */
	delay: number;
	stratum: number;
}

/** What the status page shows. */
export interface SntpStatus {
	/** The server asked last, or being asked. */
	server: string;
	/** Why the last request failed (empty after a good answer). */
	error: string;
	/** Servers that sent DENY or RSTR: not asked again (RFC 5905 §7.4). */
	denied: string[];
	/** Seconds until the next poll. */
	retry: number;
}

/** Seconds from 1900 (NTP era 0) to 1970. */
const UNIX_EPOCH = 2208988800;
const TWO32 = 4294967296;
const FIRST_RETRY = 16;
/** ms a name lookup may take (the SDK's resolver gives up after 5 s per DNS server). */
const LOOKUP_TIMEOUT = 15000;
const PACKET = 48;

/** An NTP timestamp (seconds, fraction) as ms since 1970; era by RFC 4330 §3 (MSB clear: 2036-2104). */
export function ntpToMs(seconds: number, fraction: number): number {
	const s = seconds >= 0x80000000 ? seconds : seconds + TWO32;
	return (s - UNIX_EPOCH) * 1000 + fraction * 1000 / TWO32;
}

/** ms since 1970 as an NTP timestamp written at `at` in `view`. */
export function writeNtp(view: DataView, at: number, ms: number): void {
	const seconds = Math.floor(ms / 1000);
	view.setUint32(at, (seconds + UNIX_EPOCH) % TWO32);
	view.setUint32(at + 4, Math.floor((ms - seconds * 1000) / 1000 * TWO32) % TWO32);
}

/** "name", "name:port", "1.2.3.4:1123" -> host and port; undefined when the port is not 1-65535. */
export function splitServer(entry: string): { host: string; port: number } | undefined {
	const colon = entry.lastIndexOf(":");
	if (colon < 0)
		return { host: entry, port: 123 };
	const port = Number(entry.slice(colon + 1));
	if (!Number.isInteger(port) || port < 1 || port > 65535 || colon === 0)
		return undefined;
	return { host: entry.slice(0, colon), port };
}

function isIp(host: string): boolean {
	const b = new Uint8Array(host.length);
	for (let i = 0; i < host.length; i++)
		b[i] = host.charCodeAt(i) & 0xFF;
	return isIPv4(b, 0, b.length);
}

/**
 * Check an answer (RFC 4330 §5, RFC 5905 §8): "" when it is good, "bogus" when
 * it is not an answer to our request (ignored), "kiss:CODE" for a
 * kiss-o'-death, else why it is refused.
 */
export function checkReply(reply: Uint8Array, sent: Uint8Array): string {
	if (reply.length < PACKET)
		return "short packet";
	// the originate timestamp must echo our transmit timestamp, or it answers another request (or a forger)
	for (let i = 0; i < 8; i++) {
		if (reply[24 + i] !== sent[40 + i])
			return "bogus";
	}
	const li = reply[0] >> 6, vn = (reply[0] >> 3) & 7, mode = reply[0] & 7;
	if (mode !== 4)
		return "mode " + mode + " (not a server's answer)";
	if (vn < 3 || vn > 4)
		return "version " + vn;
	const stratum = reply[1];
	if (stratum === 0) {
		// the kiss code: four ASCII letters in the reference identifier (RFC 5905 §7.4)
		let code = "";
		for (let i = 12; i < 16; i++)
			code += reply[i] >= 0x20 && reply[i] < 0x7f ? String.fromCharCode(reply[i]) : "?";
		return "kiss:" + code;
	}
	if (li === 3)
		return "server not synchronised (leap indicator 3)";
	if (stratum > 15)
		return "stratum " + stratum + " (not synchronised)";
	let zero = true;
	for (let i = 40; i < 48 && zero; i++)
		zero = reply[i] === 0;
	if (zero)
		return "zero transmit timestamp";
	return "";
}

export class SntpClient {
	#o: SntpOptions;
	#socket: UDPSocket | undefined;
	#timer: unknown;
	/** Index of the server being asked in this round. */
	#index = 0;
	#retry = FIRST_RETRY;
	#denied: string[] = [];
	#server = "";
	#error = "";
	#address = "";
	#port = 0;
	#sent = new Uint8Array(PACKET);
	#t1 = 0;
	#next = 0;
	/** Bumped by every request and by stop(): a late DNS answer for an old one is dropped. */
	#generation = 0;
	#running = false;
	/** What the pending timer is for: "round" (the next round), else the failure to report when it fires. */
	#due = "round";

	constructor(options: SntpOptions) {
		this.#o = options;
	}

	get status(): SntpStatus {
		return {
			server: this.#server, error: this.#error, denied: this.#denied.slice(),
			retry: this.#running ? Math.max(0, Math.round((this.#next - this.#o.clock.now()) / 1000)) : 0,
		};
	}

	/** Start polling: the first round at once. */
	start(): void {
		if (this.#running)
			return;
		this.#running = true;
		this.#round(0);
	}

	stop(): void {
		this.#running = false;
		this.#generation++;
		this.#close();
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		this.#timer = undefined;
	}

	#now(): number {
		return this.#o.now ? this.#o.now() : this.#o.clock.now();
	}

	/** The next round after `seconds`. */
	#round(seconds: number): void {
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		this.#next = this.#o.clock.now() + seconds * 1000;
		this.#due = "round";
		this.#timer = this.#o.clock.set(this.#tick, seconds * 1000);
	}

	/** Ask the server at #index, or end the round when none is left. */
	#ask(): void {
		if (!this.#running)
			return;
		const servers = this.#o.servers;
		while (this.#index < servers.length && this.#denied.indexOf(servers[this.#index]) >= 0)
			this.#index++;
		if (this.#index >= servers.length) {
			// the whole round failed: back off (RFC 4330 §10), doubling up to the poll interval
			const wait = Math.min(this.#retry, Math.max(FIRST_RETRY, this.#o.interval));
			this.#retry = Math.min(this.#retry * 2, Math.max(FIRST_RETRY, this.#o.interval));
			if (servers.length > this.#denied.length)
				this.#round(wait);
			return;
		}
		const entry = servers[this.#index];
		this.#server = entry;
		const target = splitServer(entry);
		if (!target || !target.host)
			return this.#fail("not a server name or address");
		const generation = ++this.#generation;
		if (isIp(target.host))
			return this.#send(target.host, target.port, generation);
		const dns = this.#o.dns;
		if (!dns)
			return this.#fail("no resolver on this host for a name");
		// a resolver that never answers must not stall the client
		this.#due = "name lookup timed out";
		this.#timer = this.#o.clock.set(this.#tick, LOOKUP_TIMEOUT);
		try {
			dns.a(target.host, (addresses) => {
				if (generation !== this.#generation)
					return;
				if (!addresses.length)
					this.#fail("name not found");
				else
					this.#send(addresses[0], target.port, generation);
			});
		}
		catch (e) {
			this.#fail("resolver: " + String(e));
		}
	}

	/** One request (RFC 4330 §5): mode 3, version 4, and a transmit timestamp that the answer must echo. */
	#send(address: string, port: number, generation: number): void {
		this.#close();
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		this.#timer = undefined;
		const client = this;
		try {
			this.#socket = new this.#o.udp({
				onReadable(count: number) {
					try {
						// an answer handled closes this socket (the generation moves on): read no further
						for (let i = 0; i < count && client.#generation === generation; i++) {
							const d = this.read();
							if (!d)
								break;
							client.#reply(d);
						}
					}
					catch (e) {
						client.#o.log?.("time: " + String(e));
					}
				},
				onError() {
					try {
						if (client.#generation === generation)
							client.#fail("socket error");
					}
					catch (e) {
						client.#o.log?.("time: " + String(e));
					}
				},
			});
		}
		catch (e) {
			return this.#fail("socket: " + String(e));
		}
		this.#address = address;
		this.#port = port;
		const sent = this.#sent;
		sent.fill(0);
		sent[0] = 0x23;	// LI 0, VN 4, mode 3 (client)
		const view = new DataView(sent.buffer);
		this.#t1 = this.#now();
		// RFC 5905 §9.1 lets the client put any value here; 64 random bits (RFC 9109's
		// advice against revealing the clock) make a forged answer that echoes it unlikely
		const random = this.#o.random?.();
		if (random && random.length >= 16) {
			for (let i = 0; i < 8; i++)
				sent[40 + i] = parseInt(random.slice(2 * i, 2 * i + 2), 16) & 0xFF;
		}
		else
			writeNtp(view, 40, this.#t1);
		this.#due = "no answer";
		this.#timer = this.#o.clock.set(this.#tick, this.#o.timeout ?? 3000);
		try {
			this.#socket.write(sent, address, port);
		}
		catch (e) {
			this.#fail("send: " + String(e));
		}
	}

	#reply(d: Datagram): void {
		const t4 = this.#now();
		// an answer comes from where the request went (RFC 4330 §5)
		if (d.address !== this.#address || d.port !== this.#port)
			return;
		const reply = new Uint8Array(d);
		const problem = checkReply(reply, this.#sent);
		if (problem === "bogus")
			return;	// not ours: keep waiting for the answer until the time-out
		if (problem.startsWith("kiss:")) {
			const code = problem.slice(5);
			if (code === "DENY" || code === "RSTR") {
				// the server refuses us for good: never ask it again (RFC 5905 §7.4)
				this.#denied.push(this.#server);
				this.#o.log?.("time: " + this.#server + " refuses to serve (kiss-o'-death " + code + "): not asked again");
			}
			else if (code === "RATE")
				this.#retry = Math.min(this.#retry * 2, Math.max(FIRST_RETRY, this.#o.interval));	// slow down (RFC 5905 §7.4)
			return this.#fail("kiss-o'-death " + code);
		}
		if (problem)
			return this.#fail(problem);
		const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
		const t2 = ntpToMs(view.getUint32(32), view.getUint32(36));
		const t3 = ntpToMs(view.getUint32(40), view.getUint32(44));
		const t1 = this.#t1;
		const offset = ((t2 - t1) + (t3 - t4)) / 2;
		const delay = Math.max(0, (t4 - t1) - (t3 - t2));
		this.#generation++;
		this.#close();
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		this.#timer = undefined;
		this.#error = "";
		this.#retry = FIRST_RETRY;
		this.#round(Math.max(FIRST_RETRY, this.#o.interval));
		try {
			this.#o.onTime(offset, { server: this.#server, address: this.#address, offset, delay, stratum: reply[1] });
		}
		catch (e) {
			this.#o.log?.("time: " + String(e));
		}
	}

	/** This server failed: the next one in the round. */
	#fail(reason: string): void {
		this.#close();
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		this.#timer = undefined;
		this.#error = reason;
		this.#generation++;
		this.#index++;
		this.#ask();
	}

	/**
	 * The one timer callback, made once (not a closure per timer): the next
	 * round, or the failure #due names. Nothing may escape a timer callback
	 * (it would abort a panel).
	 */
	#tick = (): void => {
		this.#timer = undefined;
		try {
			if (this.#due === "round") {
				this.#index = 0;
				this.#ask();
			}
			else
				this.#fail(this.#due);
		}
		catch (e) {
			this.#o.log?.("time: " + String(e));
		}
	};

	#close(): void {
		try {
			this.#socket?.close();
		}
		catch {
			// closed already
		}
		this.#socket = undefined;
	}
}
