/*
 * The composition root: the user agent, the door logic and one RTP stream per
 * answered call, wired together over what the host provides (sockets, clock,
 * hash, randomness, DNS, relays, audio). The same code runs on Node, in the
 * simulator and on a panel; only the `host` object differs.
 */
import type { Clock, ListenerClass, Log, TCPClass, TLSClass, UDPClass } from "../io/types.js";
import type { CallState } from "../sip/call.js";
import { MediaSession, type MediaSessionOptions } from "../media/session.js";
import type { G711Law } from "../media/g711.js";
import { type PagingGroup, PagingListener } from "../media/paging.js";
import type { HashFunction } from "../sip/digest.js";
import type { AccountConfig, RegistrationStatus } from "../sip/registration.js";
import type { DnsClient } from "../sip/resolver.js";
import { type Call, type SessionTimerConfig, UserAgent } from "../sip/ua.js";
import type { StationConfig } from "./config.js";
import type { SipMessage } from "../sip/message.js";
import type { Source } from "../sip/transport.js";
import { SipUri } from "../sip/uri.js";
import { type LocalClock, type RelayDriver, Station, type StationEvent } from "./station.js";
import { Hotspot, type HotspotConfig } from "./hotspot.js";
import { allowedAddress } from "./trust.js";

/** What the station's listeners hear: door and station events, call states (with the state of that moment), registrations. */
export type AppEvent = StationEvent | { type: "call"; call: Call; state: CallState } | { type: "registration"; status: RegistrationStatus };

export interface StationHost {
	/** The station's SIP Outbound instance (RFC 5626 §4.1): the same at every start (absent: a new one per start). */
	instanceId?: string;
	udp: UDPClass;
	tcp?: TCPClass;
	listener?: ListenerClass;
	tls?: TLSClass;
	clock: Clock;
	hash: HashFunction;
	/** 16 hex digits per call. */
	random: () => string;
	dns?: DnsClient;
	relays: RelayDriver;
	/** GET a URL without waiting for it (the push button's HTTP action). */
	httpGet?: (url: string) => void;
	/** The microphone: fills 20 ms frames (160 samples at 8 kHz). */
	microphone?: (callId: string) => ((frame: Int16Array) => void) | undefined;
	/** The speaker: takes each received 20 ms frame. */
	speaker?: (callId: string) => ((frame: Int16Array) => void) | undefined;
	log?: Log;
	/** Local time for call schedules, undefined while the clock is not set (see StationOptions). */
	localTime?: LocalClock;
}

const DEFAULT_CODECS: readonly ("PCMU" | "PCMA")[] = Object.freeze(["PCMU", "PCMA"] as const);

export interface StationAppConfig {
	sipPort: number;
	bind?: string;
	/** The address put in Via, Contact and SDP. */
	host: string;
	/** RTP ports: even ports from first to last. */
	rtpPorts: { first: number; last: number };
	/** ms without RTP before a call is ended (0: never). */
	rtpTimeout: number;
	accounts: AccountConfig[];
	sessionTimer?: SessionTimerConfig;
	station: StationConfig;
	userAgent?: string;
	/** Multicast paging: groups to listen to, Paging Barge, Paging Priority Active. */
	paging?: { groups: PagingGroup[]; barge: number; priorityActive: boolean };
	/** The G.711 codecs offered, first preferred (default PCMU, PCMA). */
	codecs?: readonly ("PCMU" | "PCMA")[];
}

/** The built-in server's call settings (its registrar is the user agent's). */
export interface ServerCalls extends HotspotConfig {
	/** Concurrent subscriptions: the user agent makes room for a call to each. */
	limit: number;
	button: "both" | "units" | "contacts";
	fallback: number;
}

/**
 * One answered call's media options. The session calls onDtmf and onTimeout
 * as methods of this object: they sit on the prototype, so a call costs this
 * object and no closures (every closure is about 11 XS slots, 176 bytes on an
 * ESP32).
 */
class CallMedia implements MediaSessionOptions {
	udp: MediaSessionOptions["udp"];
	clock: Clock;
	remote: { address: string; port: number };
	codec: { payloadType: number; name: G711Law };
	telephoneEvent: number | undefined;
	random: () => number;
	source: ((frame: Int16Array) => void) | undefined;
	sink: ((frame: Int16Array) => void) | undefined;
	timeout: number;
	log: Log | undefined;
	latch: boolean;
	#station: Station;
	#call: Call;

	constructor(app: { station: Station; random32: () => number }, host: StationHost, config: StationAppConfig, call: Call, port: number) {
		const audio = call.audio!;
		this.udp = { io: host.udp, port, address: config.bind };
		this.clock = host.clock;
		this.remote = { address: audio.remoteAddress, port: audio.remotePort };
		this.codec = audio.codec;
		this.telephoneEvent = audio.telephoneEvent;
		this.random = app.random32;
		this.source = host.microphone?.(call.id);
		this.sink = host.speaker?.(call.id);
		this.timeout = config.rtpTimeout;
		this.log = host.log;
		// an untrusted caller's SDP may name anyone: send only where the signalling came from, or after its RTP (RFC 4961)
		this.latch = !call.trusted && call.signalAddress !== "" && audio.remoteAddress !== call.signalAddress;
		this.#station = app.station;
		this.#call = call;
	}
	onDtmf(key: string): void {
		this.#station.dtmf(this.#call, key);
	}
	onTimeout(): void {
		this.log?.("station: no RTP from the peer, ending the call");
		this.#call.hangup();
	}
}

/** Calls at once without the built-in server (the user agent's own default). */
const BASE_CALLS = 4;

export class StationApp {
	readonly ua: UserAgent;
	readonly station: Station;
	readonly paging: PagingListener | undefined;
	readonly hotspot: Hotspot;
	#host: StationHost;
	#config: StationAppConfig;
	#media = new Map<Call, MediaSession>();
	#ports = new Map<string, number>();	// Call-ID -> RTP port
	#accountsTimer: unknown;
	#events: Array<(e: AppEvent) => void> = [];

	constructor(host: StationHost, config: StationAppConfig) {
		this.#host = host;
		this.#config = config;
		if (config.codecs)
			this.codecs = config.codecs;
		const app = this;
		this.ua = new UserAgent({
			udp: { io: host.udp, port: config.sipPort, address: config.bind },
			listener: host.listener ? { io: host.listener, port: config.sipPort, address: config.bind } : undefined,
			tcp: host.tcp ? { io: host.tcp } : undefined,
			tls: host.tls ? { io: host.tls } : undefined,
			clock: host.clock,
			host: config.host,
			hash: host.hash,
			random: host.random,
			dns: host.dns,
			userAgent: config.userAgent ?? "portier/0.1",
			instanceId: host.instanceId,
			accounts: config.accounts,
			sessionTimer: config.sessionTimer,
			media: (callId) => ({ address: config.host, port: this.#allocate(callId), codecs: this.codecs, telephoneEvent: 101, sessionId: String(app.random32()), version: 1 }),
			onIncomingCall: (call) => {
				if (!app.hotspot.incoming(call))
					app.station.incomingCall(call);
			},
			screen: (request, source) => app.#screen(request, source),
			trusted: (request, source) => allowedAddress(app.station.config.whitelist, source.address, fromUser(request)),
			onCallState: (call) => app.#callState(call),
			onDtmf: (call, key) => app.station.dtmf(call, key),
			onRegistration: (status) => app.#emit({ type: "registration", status }),
			log: host.log,
		});
		this.station = new Station({
			dialer: this.ua,
			clock: host.clock,
			relays: host.relays,
			httpGet: host.httpGet,
			config: config.station,
			onEvent: (e) => this.#emit(e),
			log: host.log,
			localTime: host.localTime,
		});
		this.hotspot = new Hotspot({
			dial: (destination, options) => this.ua.call(destination, options),
			registrar: () => this.ua.registrar,
			config: { ringMode: "host", groups: [] },
			onBridged: (caller) => this.station.release(caller),
			log: host.log,
		});
		const paging = config.paging;
		if (paging && paging.groups.length) {
			const speaker = host.speaker?.("paging");
			this.paging = new PagingListener({
				udp: { io: host.udp, address: config.bind && config.bind !== "0.0.0.0" ? config.bind : undefined }, clock: host.clock, groups: paging.groups, barge: paging.barge, priorityActive: paging.priorityActive,
				inCall: () => this.ua.calls.some((c) => c.state === "answered"),
				sink: (frame) => speaker?.(frame),
				onPage: (group) => host.log?.(group ? `station: paging from ${group.address}:${group.port}` : "station: paging ended"),
				log: host.log,
			});
		}
	}

	/** A call refused before it rang (Prevent SIP hacking): for the history; not a station event. */
	onRefused: ((remote: string, address: string, status: number) => void) | undefined;

	/** The codecs offered in new calls, first preferred. */
	codecs: readonly ("PCMU" | "PCMA")[] = DEFAULT_CODECS;

	get clock(): Clock {
		return this.#host.clock;
	}

	/**
	 * The built-in server's call settings (undefined: it is off): who rings
	 * for the station's number, groups, what the call button rings, and room
	 * for a call to every unit at once.
	 */
	setServer(server: ServerCalls | undefined): void {
		this.hotspot.config = server ?? { ringMode: "host", groups: [] };
		this.station.units = server ? {
			registered: () => (this.ua.registrar?.bindings ?? []).map((b) => b.user),
			button: server.button,
			fallback: server.fallback,
		} : undefined;
		this.ua.maxCalls = BASE_CALLS + (server ? server.limit : 0);
	}

	/**
	 * New settings from the configuration: the door logic and the accounts
	 * change at once (an account whose settings changed registers again);
	 * the SIP port and the paging groups are bound at start, so they apply at
	 * the next start.
	 */
	apply(o: { station: StationConfig; accounts: AccountConfig[]; sessionTimer?: SessionTimerConfig; codecs?: readonly ("PCMU" | "PCMA")[] }): void {
		this.station.config = o.station;
		if (o.codecs)
			this.codecs = o.codecs;
		// a lock type changed: idle relays take their new idle level
		this.station.idleRelays();
		this.ua.sessionTimer = o.sessionTimer;
		// the accounts register again on the next turn, from a short call chain: a
		// change arrives deep in the web server's, and a TLS handshake on top of it
		// would overflow the 512-slot XS stack of a device
		const clock = this.#host.clock;
		clock.clear(this.#accountsTimer);
		this.#accountsTimer = clock.set(() => {
			this.#accountsTimer = undefined;
			try {
				this.ua.setAccounts(o.accounts);
			}
			catch (e) {
				this.#host.log?.("station: accounts: " + String(e));
			}
		}, 0);
	}

	/** Listen to what happens: door events, call states, registrations. */
	on(listener: (e: AppEvent) => void): void {
		this.#events.push(listener);
	}

	/** Stop listening. */
	off(listener: (e: AppEvent) => void): void {
		this.#events = this.#events.filter((l) => l !== listener);
	}

	start(): void {
		this.station.idleRelays();
		this.ua.start();
	}

	stop(done?: () => void): void {
		this.#host.clock.clear(this.#accountsTimer);
		this.paging?.close();
		for (const m of this.#media.values())
			m.stop();
		this.#media.clear();
		this.station.close();
		this.ua.stop(done);
	}

	/**
	 * "Prevent SIP hacking" (SPEC §1): an INVITE is accepted only from a
	 * whitelisted caller, and one that claims an account only from that
	 * account's server; anything else gets 403 before anything rings. Scanners
	 * that spray INVITEs at port 5060 never make the door ring.
	 */
	#screen(request: SipMessage, source: Source): number | undefined {
		const status = this.#screenCall(request, source);
		if (status && this.onRefused) {
			try {
				this.onRefused(fromUser(request).slice(0, 64) + "@" + source.address, source.address, status);
			}
			catch { /* the history must not take SIP down */ }
		}
		return status;
	}

	#screenCall(request: SipMessage, source: Source): number | undefined {
		const c = this.station.config;
		if (!c.preventSipHacking || request.method !== "INVITE")
			return undefined;
		const user = fromUser(request);
		const list = c.whitelist;
		const viaAccount = this.ua.accountOf(source) !== undefined;
		if (viaAccount)
			return list.indexOf(user) >= 0 ? undefined : 403;
		// a direct call: the sender's address (or its user at that address, or its network) must be listed
		return allowedAddress(list, source.address, user) ? undefined : 403;
	}

	/** An even RTP port not in use (RFC 3550 §11: RTP on even ports). */
	#allocate(callId: string): number {
		const existing = this.#ports.get(callId);
		if (existing)
			return existing;
		const used = new Set(this.#ports.values());
		const { first, last } = this.#config.rtpPorts;
		for (let p = first + (first & 1); p <= last; p += 2) {
			// a port another program holds is skipped: the SDP must name one the call can bind
			if (!used.has(p) && this.#bindable(p)) {
				this.#ports.set(callId, p);
				return p;
			}
		}
		return first;
	}

	/**
	 * Can an RTP socket bind this port now? Tried by opening and closing one:
	 * the SDK's sockets throw at once when the port is taken ("bind failed").
	 * A host whose sockets bind later (Node: `bindsLater`) cannot tell, and is
	 * not asked: trying costs a socket (about a millisecond on Node, in the
	 * path of the 100 Trying), and a taken port is reported when the media starts.
	 */
	#bindable(port: number): boolean {
		if ((this.#host.udp as UDPClass & { bindsLater?: boolean }).bindsLater)
			return true;
		try {
			new this.#host.udp({ port, address: this.#config.bind }).close();
			return true;
		}
		catch {
			return false;
		}
	}

	#callState(call: Call): void {
		this.station.callState(call);
		this.hotspot.callState(call);
		this.#emit({ type: "call", call, state: call.state });
		if (call.state === "answered" && call.audio && !this.#media.has(call))
			this.#startMedia(call);
		else if (call.state === "ended") {
			this.#media.get(call)?.stop();
			this.#media.delete(call);
			this.#ports.delete(call.id);
		}
	}

	/** 32 random bits (RTP's SSRC, first sequence number and timestamp; the SDP session id), one function for every call. */
	readonly random32 = () => parseInt(this.#host.random().slice(0, 8), 16);

	#startMedia(call: Call): void {
		const host = this.#host;
		try {
			const session = new MediaSession(new CallMedia(this, host, this.#config, call, this.#allocate(call.id)));
			this.#media.set(call, session);
			session.start();
		}
		catch (e) {
			host.log?.("station: cannot start media: " + String(e));
		}
	}

	/**
	 * Tell the listeners (log, history, MQTT, action URLs). What happens while
	 * a SIP message is handled is told once the responses of that receive have
	 * gone out: the caller does not wait for the station's log lines and
	 * records (about 0.1 ms of an auto-answered call's set-up on a PC, more on
	 * a panel), and the listeners run with the receive's frames off the stack.
	 * Events keep their order; a call event carries the state it was sent in.
	 */
	#emit(e: AppEvent): void {
		this.ua.stack.transport.afterResponses(() => this.#tell(e));
	}

	#tell(e: AppEvent): void {
		const listeners = this.#events;	// off() replaces the array: a listener removed while this runs is still told this once
		for (let i = 0; i < listeners.length; i++) {
			const l = listeners[i];
			try {
				l(e);
			}
			catch (err) {
				this.#host.log?.("station: listener: " + String(err));
			}
		}
	}
}

/** The user of a request's From URI ("" when it has none or cannot be read). */
function fromUser(request: SipMessage): string {
	try {
		const uri = request.from().uri;
		return uri instanceof SipUri ? uri.user ?? "" : "";
	}
	catch {
		return "";
	}
}
