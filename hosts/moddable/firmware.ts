/*
 * The station on the Moddable SDK (the simulator and ESP32 panels): the
 * SDK's ECMA-419 sockets (UDP, TCP, listener, TLS), HTTP server, MQTT client,
 * audio in/out, Timer, crypt Digest and Preference handed to the same modules
 * that run on Node: the whole device (configuration, user agent, door logic,
 * RTP, the page and its API).
 *
 * Started by main. This module is preloaded: it makes nothing at load (the
 * board, the page's resource and the audio are made by start()), and what it
 * imports is bound at build time. Imported by the run-time main instead, the
 * SDK's modules cost RAM (measured in the simulator: the two audio classes
 * alone about 5 KB of an ESP32's heap).
 *
 * The manifest config sets the SIP port, the page's port (httpPort, 0:
 * none), the address (host; by default the board's: its DHCP address on a
 * panel) and audio (1, the default; 0: none); account1Server=... (with
 * account1User, account1Password, account1Port, account1Transport,
 * account1Expires) provisions Account 1 at start, for test benches; so do
 * trust=ADDRESS (that address or network on the whitelist, its direct calls
 * auto-answered at once) and doorCode=KEYS (relay 1's door code): the factory
 * settings trust no caller and have no door code. journals=0 keeps the
 * history and the log out of Preference (in RAM only); dnsServer (and, on
 * test benches, dnsPort) is where names are asked unless the Network tab
 * names DNS servers (then DHCP's, then 1.1.1.1: fillDnsServers); timing=1 times the
 * station's SIP answers inside the engine (hosts/moddable/sip-timing, for
 * tools/bench-sim.js). traceWeb=1 traces
 * each page connection's steps on the console (connect, onRequest,
 * onResponse, onWritable, onError: "webtrace N: ..."), for a test bench that
 * must tell a request the firmware never saw from one it did not answer.
 * updateKey=HEX (130 hex digits: tools/sign-firmware.js public KEY.pem) is
 * the public key firmware upgrades from the page must be signed with; a
 * build without it takes no upgrade (docs/update.md). mdnsPort=N moves mDNS
 * off 5353 (test benches; 0: no mDNS).
 * safeAccept=1 (set for every ESP32 build by the manifest) hands an accepted
 * TCP connection over only once its first bytes are in (SafeListener below:
 * the SDK's lwIP socket could lose them). In the simulator,
 * Preference is the project's (hosts/sim/preference): values in files, out
 * of the XS heap, as a panel's NVS keeps them.
 */
/// <reference path="./tls.d.ts" />
import UDP from "embedded:io/socket/udp";
import TCP from "embedded:io/socket/tcp";
import SdkTLS from "embedded:io/socket/tcp/tls";
import Listener from "embedded:io/socket/listener";
import Timer from "timer";
import Time from "time";
import { Digest } from "crypt";
import verifySignature from "update-verify";
import config from "mc/config";
import Preference from "preference";
import HTTPServer from "embedded:network/http/server";
import Resource from "Resource";
import SdkMQTTClient from "embedded:network/mqtt/client";
import Resolver from "embedded:network/dns/resolver/udp";
import { timedUdp } from "sip-timing";
import type { AudioInClass, AudioOutClass, Clock, HTTPConnection, HTTPServerClass, HTTPServerOptions, ListenerClass, MQTTClientClass, MQTTClientOptions, TCPClass, TLSClass, TLSOptions, UDPClass, UDPOptions } from "io/types";
import { certificatesOf } from "io/pem";
import type { DigestAlgorithm } from "sip/digest";
import type { DnsClient } from "sip/resolver";
import { UdpDnsClient } from "sip/dns-client";
import { httpGetter } from "http-get";
import type { PreferenceStorage } from "config/store";
import { Device, type ProductHost } from "device";
import { Board } from "host/board";
import { bringUp, dnsServers as hostDnsServers } from "host/network";
import { ConfigStore } from "config/store";
import { type NetworkSettings, resetNetwork } from "config/network";
import { watchPowerOnHold } from "io/power-on-hold";
import MulticastUDP from "host/multicast";
import AudioIn from "embedded:io/audio/in";
import AudioOut from "embedded:io/audio/out";
import { PanelAudio } from "media/panel-audio";
import TextDecoder from "text/decoder";
import TextEncoder from "text/encoder";
import { setTextHelpers } from "sip/text";
import { moddableTextHelpers } from "text-helpers";
import xsHeap from "xs-heap";
import platformUpdate from "host/update";
import type { IncrementalDigest } from "update/image";

const settings = config as unknown as Record<string, string | number | undefined>;

/**
 * How far SNTP moved the system time (ms). The station's clock subtracts it:
 * the count its timers and durations run on never jumps, while what reads
 * Date itself (the SDK's TLS stack checks certificate dates) sees the real
 * time once SNTP answered. The station's wall clock is that count plus the
 * SNTP offset (modules/time/wall-clock.ts).
 */
let moved = 0;

const clock: Clock = {
	now: () => Date.now() - moved,
	set: (callback: () => void, ms: number) => Timer.set(callback, ms),
	repeat: (callback: () => void, ms: number) => Timer.repeat(callback, ms),
	clear: (id: unknown) => Timer.clear(id as Timer),
};

const HEX = "0123456789abcdef";
function hex(buffer: ArrayBuffer): string {
	const bytes = new Uint8Array(buffer);
	let out = "";
	for (let i = 0; i < bytes.length; i++)
		out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
	return out;
}

function hash(algorithm: DigestAlgorithm, text: string): string {
	const digest = new Digest(algorithm === "SHA-256" ? "SHA256" : "MD5");
	digest.write(text);
	return hex(digest.close());
}

/* On the ESP32, XS's Math.random draws from esp_random(), the hardware RNG. */
function randomHex(digits: number): string {
	let out = "";
	for (let i = 0; i < digits; i++)
		out += HEX[(Math.random() * 16) | 0];
	return out;
}
const random = () => randomHex(16);

/** An incremental SHA-256 on the SDK's crypt Digest (firmware upgrades). */
function sha256(): IncrementalDigest {
	const digest = new Digest("SHA256");
	return {
		write: (bytes: Uint8Array) => digest.write(bytes as unknown as ArrayBuffer),
		close: () => new Uint8Array(digest.close()),
	};
}

/** The update key built into the firmware (manifest config updateKey): the uncompressed P-256 point. */
function updateKey(): Uint8Array | undefined {
	const hex = settings.updateKey;
	if (typeof hex !== "string" || hex.length !== 130 || hex.slice(0, 2) !== "04")
		return undefined;
	const key = new Uint8Array(65);
	for (let i = 0; i < 65; i++) {
		key[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
		if (!(key[i] >= 0))
			return undefined;
	}
	return key;
}

/**
 * Whether `signature` (r || s) is the update key's ECDSA P-256 signature,
 * with SHA-256, of the 32 bytes `digest` (modules/update/image.ts): the
 * SDK's ECDSA and curve arithmetic (hosts/moddable/update-verify.js).
 */
function verifyUpdate(digest: Uint8Array, signature: Uint8Array): boolean {
	const key = updateKey();
	if (!key)
		return false;
	const started = Date.now();
	const good = verifySignature(key, digest, signature);
	log(`update: signature checked in ${Date.now() - started} ms`);
	return good;
}

/**
 * Firmware upgrades from the page: the platform's update device and boot
 * state (host/update: the SDK's embedded:update and ESP-IDF's rollback on a
 * panel, files in the simulator), this chip (ESP32: esp_chip_id_t 0) and
 * the key. Frozen at build time: it costs no heap.
 */
const update = Object.freeze({
	device: platformUpdate,
	boot: platformUpdate,
	sha256,
	get verify() {
		return updateKey() ? verifyUpdate : undefined;
	},
	chip: 0,
	get maxSize() {
		return platformUpdate.maxSize;
	},
	get restart() {
		return platformUpdate.restart;
	},
});
/** The running image's version, build date and time, in brackets, where the update device knows them (a panel). */
function runningImage(): string {
	const running = (platformUpdate as { running?(): string }).running;
	try {
		return running ? ` (${running()})` : "";
	}
	catch {
		return "";
	}
}
const token = () => randomHex(32);

const sipPort = settings.sipPort === undefined ? undefined : Number(settings.sipPort);
const httpPort = Number(settings.httpPort ?? 80);
const log = (line: string) => trace(line + "\n");

/**
 * The DNS servers every lookup of the firmware asks (SIP servers, SNTP,
 * MQTT): the installer's (Network tab), else the build's dnsServer (test
 * benches), else what DHCP gave, else 1.1.1.1. One array, made at boot and
 * filled again when the settings change, read by each lookup (a binding set
 * at run time: a preloaded module's objects are read-only).
 */
let dnsServers: string[] | undefined;

/** The station that runs now (set at each boot). */
let running: Device | undefined;

function fillDnsServers(servers: string[], network: NetworkSettings): void {
	const given = settings.dnsServer !== undefined ? [String(settings.dnsServer)] : [];
	const chosen = network.dns.length ? network.dns : given.length ? given : hostDnsServers();
	servers.length = 0;
	for (const server of chosen.length ? chosen : ["1.1.1.1"])
		servers.push(server);
}

function currentDns(): string[] {
	return dnsServers && dnsServers.length ? dnsServers.slice() : [String(settings.dnsServer ?? "1.1.1.1")];
}

/**
 * SNTP server names (pool.ntp.org) as A records, through the SDK's resolver
 * and the DNS server of the manifest's dnsServer: one resolver per lookup,
 * closed with its answer, so nothing stays between polls. Its callbacks run
 * from its timer: nothing may escape them.
 */
const sntpDns: DnsClient = Object.freeze({
	a(name: string, callback: (addresses: string[]) => void): void {
		const resolver = new Resolver({ servers: currentDns(), socket: { io: UDP } } as unknown as ConstructorParameters<typeof Resolver>[0]);
		const answer = (addresses: string[]) => {
			resolver.close();
			try {
				callback(addresses);
			}
			catch (e) {
				log("time: " + String(e));
			}
		};
		// the SDK's own typings of its resolver (used by mcconfig) differ from hosts/moddable/sdk.d.ts
		resolver.resolve({ host: name, onResolved: (_host: string, address: string) => answer([address]), onError: () => answer([]) } as unknown as Parameters<typeof resolver.resolve>[0]);
	},
});

/** Set the system time (a panel's Date counts from power-on); a no-op in the simulator, whose Date is the PC's. */
function setSystemTime(ms: number): void {
	const before = Date.now();
	Time.set(Math.round(ms / 1000));
	moved += Date.now() - before;
}

/** What lives from power-on to power-off, across soft reboots. */
interface Panel {
	/** The relays and inputs: the panel's pins (hosts/esp32/board), simulated in the simulator (hosts/sim/board). */
	board: Board;
	/** The station's address; a DHCP address that comes after the station started replaces it (a soft restart). */
	host: string;
	/** The network settings the interface was brought up with: a restart after they changed is a hard one. */
	network: string;
	page: { html: Uint8Array };
	audio: PanelAudio | undefined;
}


/**
 * Accepted TCP connections (the page's and SIP's) on the SDK's lwIP sockets
 * lost their first bytes now and then: the client's request counted as read
 * by lwIP (the instruments' "Network bytes read"), the connection accepted
 * ("webtrace N: connect"), and no onReadable ever, so the client waited for
 * an answer that never came. Seen on the ESP32 in QEMU in most runs of `npm
 * run test:esp32` (the page's status polled after a series of calls; a SIP
 * OPTIONS over TCP once). The SDK's socket takes over the listener's
 * connection in its constructor (`new TCP({from})`): it copies the bytes the
 * listener's socket holds, frees that socket, and only then points lwIP's
 * receive callback at itself and asks for onReadable. Bytes that lwIP hands
 * over in between (it keeps a segment it could not deliver before the
 * connection was accepted and retries it from its own task, on the other
 * core, at any moment) go to the freed socket or arrive unannounced.
 *
 * That retry comes with lwIP's fast timer (every 250 ms of ticks). So the
 * wait for the first bytes is counted in polls, ticks of the same timers
 * (50 polls of 20 ms: 1 s on a panel), not read on the clock: where the
 * timers run behind the clock (QEMU, loaded: 4-6 times), a wait of 1 s by the
 * clock ended before the retry had come, the connection went over empty, and
 * its bytes came during the hand-over and were lost ("handed over after
 * 1077 ms with 0 bytes read", a SIP OPTIONS over TCP unanswered).
 *
 * The project avoids the hand-over while bytes may come: SafeListener takes
 * each connection from the SDK's listener at once (from then on lwIP delivers
 * into it), reads it once its first bytes are in (polled every 20 ms, for up
 * to 1 s), and then reads nothing more: lwIP's receive window is opened only
 * by reads, so a client that sends everything at once (a browser's upload)
 * fills it and stops, and one that sends its request and waits (HTTP, SIP)
 * has nothing more to send. Two polls later the connection is passed on,
 * with the bytes read attached; AdoptingTCP, the socket that takes it over,
 * serves them first, and the socket's buffers go over with it. (Reading
 * until the client paused, as before, read a streamed upload for the whole
 * second: 43 KB held in the XS heap, or bytes lost when the hand-over came
 * while they streamed in; docs/update.md.) As a last guard AdoptingTCP also
 * reads, 100 ms after it is made, what it holds if no onReadable has come,
 * and announces it.
 */
interface Waiting {
	socket: TCP;
	since: number;
	/** What the first read brought (then nothing more is read: see SafeListener). */
	bytes: Uint8Array | undefined;
	/** Polls since the first bytes came. */
	polls: number;
	/** Polls that found no bytes yet. */
	empty: number;
}

/** Polls (every 20 ms of ticks) that a connection may stay without bytes before it is handed over empty. */
const EMPTY_POLLS = 50;

class SafeListener extends Listener {
	#ready: TCP[] = [];
	#direct = false;

	constructor(options: ConstructorParameters<typeof Listener>[0] & { onReadable?(this: unknown, count: number): void }) {
		if (!settings.safeAccept) {
			// the simulator's Linux sockets count what they can read only once the owner's callbacks are
			// in place: nothing to poll there (the manifest sets safeAccept for the ESP32's lwIP sockets)
			super(options);
			this.#direct = true;
			return;
		}
		const onReadable = options.onReadable;
		const ready: TCP[] = [];
		const waiting: Waiting[] = [];
		let timer: unknown;
		let self: SafeListener | undefined = undefined;
		const poll = () => {
			timer = undefined;
			const now = clock.now();
			let passed = 0;
			for (let i = 0; i < waiting.length;) {
				const w = waiting[i];
				if (!w.bytes) {
					w.empty++;
					// read once, for the first bytes: lwIP's retry of the segment refused before the accept
					// has then come, and the request has begun
					let data: ArrayBuffer | undefined;
					try {
						data = w.socket.read() as ArrayBuffer | undefined;
					}
					catch {
						data = undefined;	// closed or failed: passed on as it is, its socket reports it
					}
					if (data && data.byteLength > 0)
						w.bytes = new Uint8Array(data);
				}
				else
					w.polls++;
				// once the first bytes are in nothing more is read: what comes next stays in the socket
				// (its buffers go over to the new socket with it), and, as it is not read, lwIP's window
				// (CONFIG_LWIP_TCP_WND_DEFAULT) is not opened again: a sender that sends its whole
				// request at once (a browser's upload) fills it within two polls and stops, so no byte
				// is on its way during the hand-over
				if (w.polls >= 2 || (!w.bytes && w.empty >= EMPTY_POLLS)) {
					if (settings.traceWeb)
						trace(`safe: handed over after ${now - w.since} ms with ${w.bytes ? w.bytes.length : 0} bytes read\n`);
					if (w.bytes)
						Object.defineProperty(w.socket, "early", { value: w.bytes });
					ready.push(w.socket);
					waiting.splice(i, 1);
					passed++;
					continue;
				}
				i++;
			}
			if (waiting.length)
				timer = Timer.set(poll, 20);
			if (passed && onReadable) {
				try {
					onReadable.call(self, ready.length);
				}
				catch (e) {
					log("listener: " + String(e));
				}
			}
		};
		super({
			...options,
			onReadable(this: Listener, count: number) {
				for (let i = 0; i < count; i++) {
					const socket = Listener.prototype.read.call(this) as TCP | undefined;
					if (socket)
						waiting.push({ socket, since: clock.now(), bytes: undefined, polls: 0, empty: 0 });
				}
				if (waiting.length && timer === undefined)
					timer = Timer.set(poll, 0);
			},
		} as ConstructorParameters<typeof Listener>[0]);
		self = this;
		this.#ready = ready;
	}

	/** A connection whose first bytes are in, for `new AdoptingTCP({from})`. */
	override read(): TCP | undefined {
		return this.#direct ? super.read() : this.#ready.shift();
	}
}

/** The SDK's TCP socket: taking over a connection from SafeListener, it serves the bytes that came with it first (see SafeListener). */
class AdoptingTCP extends TCP {
	#kept: Uint8Array | undefined;
	#at = 0;

	constructor(options: ConstructorParameters<typeof TCP>[0] & { from?: unknown; onReadable?(this: unknown, count: number): void }) {
		const onReadable = options.onReadable;
		if (!options.from || !onReadable) {
			super(options as ConstructorParameters<typeof TCP>[0]);
			return;
		}
		const early = (options.from as { early?: Uint8Array }).early;
		let heard = false;
		let self: AdoptingTCP | undefined = undefined;
		super({
			...options,
			onReadable(this: unknown, count: number) {
				heard = true;
				onReadable.call(this, count + (self ? self.#left() : 0));
			},
		} as ConstructorParameters<typeof TCP>[0]);
		self = this;
		if (early && early.length) {
			this.#kept = early;
			// announced on the next turn: the owner has not kept its socket yet
			Timer.set(() => {
				if (heard || !this.#left())
					return;
				heard = true;
				try {
					onReadable.call(this, this.#left());
				}
				catch (e) {
					log("tcp: " + String(e));
				}
			}, 0);
			return;
		}
		Timer.set(() => {
			if (heard)
				return;
			let data: ArrayBuffer | undefined;
			try {
				const format = this.format;
				this.format = "buffer";
				data = super.read() as ArrayBuffer | undefined;
				this.format = format;
			}
			catch {
				return;	// closed meanwhile
			}
			if (!data || !data.byteLength)
				return;
			this.#kept = new Uint8Array(data);
			this.#at = 0;
			log(`tcp: ${data.byteLength} bytes held without onReadable for 100 ms, announced`);
			try {
				onReadable.call(this, this.#kept.length);
			}
			catch (e) {
				log("tcp: " + String(e));
			}
		}, 100);
	}

	#left(): number {
		return this.#kept ? this.#kept.length - this.#at : 0;
	}

	/** Bytes served to the owner (counted for traceWeb). */
	#served = 0;

	override close(): void {
		if (settings.traceWeb)
			trace(`tcp: closed after serving ${this.#served} bytes\n`);
		super.close();
	}

	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	override read(count?: any): any {
		const result = this.#read(count);
		if (settings.traceWeb && result !== undefined)
			this.#served += typeof result === "number" ? 1 : (result as ArrayBuffer).byteLength;
		return result;
	}

	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	#read(count?: any): any {
		// XS gives a private method no home object: no super here
		const read = TCP.prototype.read as (this: TCP, count?: number) => unknown;
		const kept = this.#kept;
		if (!kept || (count !== undefined && typeof count !== "number"))
			return count === undefined ? read.call(this) : read.call(this, count);
		if (this.format === "number") {
			const byte = kept[this.#at++];
			if (this.#at >= kept.length)
				this.#kept = undefined;
			return byte;
		}
		const n = count === undefined ? kept.length - this.#at : Math.min(count, kept.length - this.#at);
		const out = kept.slice(this.#at, this.#at + n);
		this.#at += n;
		if (this.#at >= kept.length)
			this.#kept = undefined;
		if (count === undefined || count <= n)
			return out.buffer;
		const more = read.call(this, count - n) as ArrayBuffer | undefined;
		if (!more)
			return out.buffer;
		const all = new Uint8Array(n + more.byteLength);
		all.set(out, 0);
		all.set(new Uint8Array(more), n);
		return all.buffer;
	}
}

/**
 * The SDK's TLS socket (its JavaScript TLS 1.2 stack) over this board's TCP:
 * the server name is checked and sent as SNI, and the configured CA, kept as
 * PEM, is handed over as DER. Without a CA nothing is trusted: the handshake
 * fails, as it must. The SDK's socket lets a failed handshake (a certificate
 * it does not trust) throw out of its TCP callbacks, which would abort the
 * device: its TCP callbacks are guarded here, and the failure reaches the
 * transport's onError like any broken connection. Its callbacks also run
 * with `this` an internal object: they are called here with the socket.
 */
class TLS extends SdkTLS {
	constructor(options: TLSOptions) {
		const secure = options.secure ?? {};
		const serverName = secure.serverName ?? String(options.address);
		const der = typeof secure.ca === "string" ? certificatesOf(secure.ca) : [];
		const failed = options.onError as ((error?: Error) => void) | undefined;	// the transport's, which needs no this
		const guard = (callback: ((count: number) => void) | undefined) => (count: number) => {
			try {
				callback?.(count);
			}
			catch (e) {
				log("tls: " + String(e));
				failed?.(e instanceof Error ? e : new Error(String(e)));
			}
		};
		class GuardedTCP extends TCP {
			constructor(o: ConstructorParameters<typeof TCP>[0] & { onReadable?(count: number): void; onWritable?(count: number): void }) {
				super({ ...o, onReadable: guard(o.onReadable), onWritable: guard(o.onWritable) } as ConstructorParameters<typeof TCP>[0]);
			}
		}
		// the SDK's socket calls back with `this` its internal callbacks object: ECMA-419 says the socket
		let socket: TLS | undefined;
		const own = <T extends unknown[]>(callback: ((...args: T) => void) | undefined) => callback && ((...args: T) => callback.apply(socket, args));
		super({
			...options, onReadable: own(options.onReadable as ((count: number) => void) | undefined), onWritable: own(options.onWritable as ((count: number) => void) | undefined),
			onError: own(failed), TCP: { io: GuardedTCP }, host: serverName, secure: { serverName, certificate: der[0] },
		} as unknown as ConstructorParameters<typeof SdkTLS>[0]);
		socket = this;
	}
}

/** The SDK's MQTT client with this board's TCP (or TLS) socket and DNS resolver. */
class MQTTClient extends SdkMQTTClient {
	constructor(options: MQTTClientOptions) {
		const socket = options.secure ? { io: TLS, secure: { ca: options.secure.ca, serverName: options.host } } : { io: TCP };
		// the SDK's typings lag its client (onControl gets the message; the will takes an ArrayBuffer)
		super({ ...options, socket, dns: { io: Resolver, servers: currentDns(), socket: { io: UDP } } } as unknown as ConstructorParameters<typeof SdkMQTTClient>[0]);
	}
}

/**
 * The SDK's HTTP server, telling each connection's client address (the
 * login's lock-out is per address). Its Connection keeps the socket private,
 * so the listener notes the address of each socket it hands over, and
 * onConnect, which the server calls right after taking that socket in the
 * same turn, passes it on as the connection's remoteAddress. Without one, the
 * web server counts the client with the others whose address is unknown.
 */
class AddressedHTTPServer {
	#server: HTTPServer;

	constructor(options: HTTPServerOptions) {
		let accepted: string | undefined;
		let webSerial = 0;
		class AddressedListener extends SafeListener {
			override read(): TCP | undefined {
				const socket = super.read();
				// the SDK's HTTP server takes the connection over with new from.constructor({from, ...})
				if (socket)
					Object.defineProperty(socket, "constructor", { value: AdoptingTCP });
				accepted = undefined;
				try {
					accepted = socket?.remoteAddress;
				}
				catch {
					// no address: counted with the unknown ones
				}
				return socket;
			}
		}
		const onConnect = options.onConnect;
		const serverOptions: HTTPServerOptions = {
			...options,
			io: AddressedListener as unknown as ListenerClass,
			onConnect(this: unknown, connection: HTTPConnection) {
				const remote = accepted;
				accepted = undefined;
				if (remote)
					(connection as HTTPConnection & { remoteAddress?: string }).remoteAddress = remote;
				if (settings.traceWeb) {
					const n = ++webSerial;
					trace(`webtrace ${n}: connect\n`);
					const c = connection as unknown as { accept(o: Record<string, ((...a: unknown[]) => void) | undefined>): void };
					const accept = c.accept;
					Object.defineProperty(c, "accept", { value: function (this: unknown, o: Record<string, ((...a: unknown[]) => void) | undefined>) {
						const wrap = (name: string) => {
							const f = o[name];
							return f && function (this: unknown, ...a: unknown[]) { trace(`webtrace ${n}: ${name} ${name === "onRequest" ? (a[0] as { path: string }).path : a[0]}\n`); f.apply(this, a); trace(`webtrace ${n}: ${name} done\n`); };
						};
						accept.call(this, { ...o, onRequest: wrap("onRequest"), onResponse: wrap("onResponse"), onWritable: wrap("onWritable"), onError: wrap("onError"), onReadable: wrap("onReadable") });
					} });
				}
				onConnect.call(this, connection);
			},
		};
		// the SDK's own declaration of its server differs from the typings package's
		this.#server = new HTTPServer(serverOptions as unknown as ConstructorParameters<typeof HTTPServer>[0]);
	}

	get port(): number {
		return this.#server.port;
	}

	close(): void {
		this.#server.close();
	}
}

/** The station's address, set at boot: where a multicast group is joined. */
let stationAddress = "";

/**
 * The station's UDP: the SDK's socket, or, for a multicast group (paging),
 * the platform's listening socket (the SDK's joins with add() on a panel; the
 * simulator's is the project's own: hosts/sim/multicast-udp), joined on the
 * interface of the station's address unless the station names one. A class
 * of the module (in flash): one made at boot would cost heap.
 */
class StationUDP {
	constructor(options: UDPOptions) {
		const Socket = (options.multicast !== undefined ? MulticastUDP : UDP) as unknown as UDPClass;
		return new Socket(options.multicast !== undefined ? { ...options, address: options.address ?? stationAddress } : options);
	}
}

function boot(panel: Panel): void {
	const { board, host, page, audio } = panel;
	stationAddress = host;
	const servers: string[] = [];
	dnsServers = servers;
	const dns = new UdpDnsClient({
		udp: UDP as unknown as UDPClass, servers,
		port: settings.dnsPort === undefined ? undefined : Number(settings.dnsPort),
		clock, random16: () => (Math.random() * 65536) | 0, log,
	});
	const device: Device = new Device({
		// timing=1 (tools/bench-sim.js): SIP's socket timed; paging is not used there
		udp: settings.timing ? timedUdp(UDP as unknown as UDPClass) : StationUDP as unknown as UDPClass,
		tcp: AdoptingTCP as unknown as TCPClass,
		tls: TLS as unknown as TLSClass,
		listener: SafeListener as unknown as ListenerClass,
		clock,
		hash,
		random,
		token,
		storage: Preference as unknown as PreferenceStorage,
		http: httpPort ? { io: AddressedHTTPServer as unknown as HTTPServerClass, port: httpPort, closesConnections: true } : undefined,
		page,
		mqtt: { io: MQTTClient as unknown as MQTTClientClass },
		// a soft restart: everything stops and starts again from the stored configuration; after a
		// change of the network settings a panel restarts whole (its interface is set up at power-on)
		reboot: () => {
			const restart = platformUpdate.restart as (() => void) | undefined;	// none in the simulator
			if (restart && JSON.stringify(device.settings.config.network) !== panel.network) {
				// the API's reboot has written the journals already
				log("portier: network settings changed: restarting the panel");
				restart();
				return;
			}
			device.stop(() => Timer.set(() => boot(panel), 100));
		},
		// the device page: the board's model, address and MAC; the XS heap (read after a full
		// collection: free is what the heap created at start has left)
		info: () => {
			const heap = xsHeap();
			return { ...board.info, freeHeap: heap.free, heapUsed: heap.chunks + heap.slots };
		},
		// SIP servers by name (RFC 3263: NAPTR, SRV, A) through the project's stub resolver: the
		// SDK's asks A and AAAA only, and takes any answer with the right id; this one keeps
		// answers from the server asked, for its id and question (RFC 5452 §9), which matters
		// where the PBX's address is trusted. Made at boot: a preloaded object is read-only.
		dns,
		// action URLs and the push-button URL: the SDK's HTTP client, names through the same DNS
		httpGet: httpGetter({ tcp: TCP, dns, clock, log }),
		// Date counts from power-on here: the station's wall clock is set by SNTP (modules/time)
		sntp: { dns: sntpDns, setSystemTime },
		update,
		relays: board,
		microphone: audio && ((callId: string) => audio.microphone(callId)),
		speaker: audio && ((callId: string) => audio.speaker(callId)),
		log,
	} satisfies ProductHost, {
		host,
		sipPort,
		rtpPorts: { first: 40000, last: 40020 },
		rtpTimeout: 30000,
		// on a panel, with the running image's descriptor: after an upgrade the page shows which image runs
		version: "0.1.0" + runningImage(),
		journals: settings.journals !== 0 && settings.journals !== "0",
		// <name>.local and DNS-SD on the panel's network; mdnsPort=N for test benches (0: none)
		mdnsPort: settings.mdnsPort === undefined ? 5353 : Number(settings.mdnsPort),
	});
	running = device;
	fillDnsServers(servers, device.settings.config.network);
	device.settings.onChange((next) => fillDnsServers(servers, next.network));
	if (settings.account1Server) {
		const result = device.settings.update({
			accounts: {
				"1": {
					enabled: true,
					registerName: String(settings.account1User ?? "door"),
					password: String(settings.account1Password ?? ""),
					server: String(settings.account1Server),
					port: Number(settings.account1Port ?? 5060),
					transport: String(settings.account1Transport ?? "UDP").toUpperCase(),
					expires: Number(settings.account1Expires ?? 3600),
				},
			},
		});
		if (result.errors.length)
			log("portier: account1 settings refused: " + result.errors.map((e) => e.field + ": " + e.message).join("; "));
	}
	if (settings.trust || settings.doorCode) {
		const station = device.settings.config.station;
		const result = device.settings.update({
			station: {
				...(settings.trust ? { whitelist: [String(settings.trust)], autoAnswerIp: { enabled: true, delay: 0, mode: "audio" } } : {}),
				...(settings.doorCode ? { relays: station.relays.map((r) => r.id === 1 ? { ...r, dtmfCode: String(settings.doorCode) } : r) } : {}),
			},
		});
		if (result.errors.length)
			log("portier: trust/doorCode settings refused: " + result.errors.map((e) => e.field + ": " + e.message).join("; "));
	}
	if (audio) {
		device.app.on((e) => {
			if (e.type === "call" && e.state === "ended")
				audio.release(e.call.id);
		});
	}
	device.start();
	board.attach(device.app.station, settings.controlPort ? { io: UDP as unknown as UDPClass, port: Number(settings.controlPort) } : undefined);
	trace(`portier: SIP on udp and tcp port ${sipPort ?? device.settings.config.sip.port}${httpPort ? ", page and API on port " + httpPort : ""}\n`);
}
/** Power-on: the panel's parts, then the station. */
export function start(): void {
	setTextHelpers(moddableTextHelpers(new TextDecoder(), new TextEncoder()));
	const board = new Board(clock);
	// the network first, from the stored settings (read here: the station is not made yet)
	const store = new ConfigStore({ storage: Preference as unknown as PreferenceStorage });
	const stored = store.load().config;
	const exit = stored.station.inputs.find((input) => input.kind === "exit");
	watchPowerOnHold({
		level: () => (exit ? board.inputLevel(exit.id) : undefined),
		activeLevel: exit?.activeLevel ?? 0,
		clock,
		led: (on) => board.led(on),
		done: (held) => {
			let network = stored.network;
			if (held) {
				const reset = resetNetwork(network);
				network = reset.settings;
				try {
					store.save({ ...stored, network });
					log("network: reset at the panel (exit button held at power-on): " + (reset.changed.join("; ") || "DHCP already"));
				}
				catch (e) {
					log("network: reset at the panel not saved: " + String(e));
				}
			}
			let panel: Panel | undefined;
			bringUp({
				settings: network,
				log,
				onReady: (address) => {
					panel = {
						board,
						host: String(settings.host ?? address),
						network: JSON.stringify(network),
						page: { html: new Uint8Array(new Resource("page.html") as unknown as ArrayBuffer) },
						audio: Number(settings.audio ?? 1) ? new PanelAudio({ input: AudioIn as unknown as AudioInClass, output: AudioOut as unknown as AudioOutClass, clock, log }) : undefined,
					};
					boot(panel);
				},
				// DHCP answered after the station started (a cable plugged in later): Via, Contact and
				// SDP must carry the new address, so the station starts again on it
				onAddress: (address) => {
					if (!panel || settings.host !== undefined || address === panel.host || !running)
						return;
					log(`portier: address ${address}: restarting the station on it`);
					panel.host = address;
					const device = running;
					running = undefined;
					device.stop(() => Timer.set(() => boot(panel!), 100));
				},
			});
		},
	});
}
