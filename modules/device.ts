/*
 * The whole device, wired once for every host: the stored configuration, the
 * station built from it (and changed with it), the administrator, and the web
 * server with the API and the page. A host (Node, the simulator, a panel)
 * passes its I/O and services; nothing else differs.
 */
import { type MdnsService, MdnsResponder } from "./network/mdns.js";
import { parseIPv4, prefixOfMask } from "./network/ipv4.js";
import type { MQTTClientClass } from "./io/types.js";
import { MqttEvents } from "./events/mqtt.js";
import { ActionUrls } from "./events/action-urls.js";
import { RecentLog } from "./events/recent-log.js";
import { Journal } from "./events/journal.js";
import { History } from "./events/history.js";
import { Syslog } from "./events/syslog.js";
import { applyLevel } from "./media/panel-audio.js";
import { Registrar, type RegistrarSettings } from "./sip/registrar.js";
import { type DeviceConfig, accountsOf, sessionTimerOf } from "./config/device.js";
import { Settings } from "./config/settings.js";
import { ConfigStore, type PreferenceStorage } from "./config/store.js";
import { StationApp, type StationHost } from "./station/app.js";
import { AdminAuth } from "./web/auth.js";
import { StationTime } from "./time/station-time.js";
import type { DnsClient } from "./sip/resolver.js";
import { type ApiOptions, type HostInfo, handleRequest, streamRequest } from "./web/api.js";
import { BootConfirmation, type BootState } from "./update/confirm.js";
import { type WebHost, WebServer } from "./web/server.js";

export interface DeviceHost extends StationHost {
	storage: PreferenceStorage;
	/** 32 hex digits from a cryptographic source (session tokens, salts). */
	token: () => string;
	http?: WebHost;
	page?: { html: Uint8Array; gzip?: Uint8Array };
	/** The MQTT client class (events and commands, when configured). */
	mqtt?: { io: MQTTClientClass };
	reboot?: () => void;
	/** What the host can tell about itself (model, MAC, IP, free heap), for the device page. */
	info?: () => HostInfo;
	/**
	 * Present on a host whose clock counts from power-on (a panel, the
	 * simulator): the station's wall clock is that count plus the offset SNTP
	 * measures (modules/time). Absent (a PC), the host's clock is taken as
	 * right and SNTP does not run. `dns` resolves server names (else the
	 * host's dns; without either only addresses work); `setSystemTime`, when
	 * given, is told the wall time after each SNTP answer (for what reads the
	 * system time itself: the SDK's TLS stack).
	 */
	sntp?: { dns?: DnsClient; setSystemTime?: (ms: number) => void };
	/**
	 * Firmware upgrades from the page (modules/update, docs/update.md): the
	 * update device (the other OTA partition), the crypto of the checks, the
	 * firmware's key (in `verify`), and `boot`, the state of the running
	 * firmware: a new one confirms itself once the station is up, or is rolled
	 * back after a minute.
	 */
	update?: NonNullable<ApiOptions["update"]> & { boot?: BootState };
}

/**
 * The capabilities every host that ships the station wires (the Node host and
 * the panel firmware declare their host objects as ProductHost): a key one
 * of them forgets fails the type check that `npm test` runs, so a feature
 * cannot exist on one host only unnoticed. A value may be undefined where a
 * setting turns it off (no audio, no page). Multicast paging is not a key:
 * it asks the host's `udp` for a socket with `multicast` (Node's joins the
 * group; the panel firmware gives the SDK's socket with add() on ESP32 and a
 * socket of the project's own in the simulator, tests/sim/paging).
 */
export const HOST_CAPABILITIES = Object.freeze(["udp", "tcp", "listener", "tls", "dns", "httpGet", "microphone", "speaker", "relays", "storage", "http", "page", "mqtt", "info", "reboot", "log", "update"] as const);
export type ProductHost = DeviceHost & { [K in (typeof HOST_CAPABILITIES)[number]]-?: DeviceHost[K] };

export interface DeviceOptions {
	/** The address put in Via, Contact and SDP. */
	host: string;
	bind?: string;
	/** Overrides the configured SIP port (development hosts). */
	sipPort?: number;
	rtpPorts: { first: number; last: number };
	rtpTimeout: number;
	userAgent?: string;
	version?: string;
	/**
	 * Keep the history and the log in storage (default true). Off, only
	 * the records waiting for their write are kept, in RAM (a test bench).
	 */
	journals?: boolean;
	/**
	 * The mDNS port (5353): the host answers for <name>.local and announces
	 * its services there (modules/network/mdns.ts) when the network settings
	 * say so. Undefined or 0: no mDNS (test benches, hosts without multicast).
	 */
	mdnsPort?: number;
}

/** The codecs offered, first preferred, from the Audio setting ("PCMA,PCMU"). */
function codecsOf(c: DeviceConfig): Array<"PCMU" | "PCMA"> {
	return c.audio.codecs.split(",") as Array<"PCMU" | "PCMA">;
}


export class Device {
	readonly settings: Settings;
	readonly auth: AdminAuth;
	readonly app: StationApp;
	readonly web: WebServer | undefined;
	#mqtt: MqttEvents | undefined;
	#actionUrls: ActionUrls | undefined;
	#host: DeviceHost;
	#options: DeviceOptions;
	#log: (line: string) => void;
	#running = false;
	#recent = new RecentLog();
	/** The recent log in flash: the status page's lines outlive a reboot. */
	#logJournal: Journal;
	/** The door and call history (a ring of about 300 records in flash). */
	readonly history: History;
	#started: number;
	#syslog: Syslog;
	/** The wall clock, SNTP and the time zone. */
	readonly time: StationTime;
	/** Speaker volume and microphone gain (%), applied to every call's and page's frames. */
	#levels = { volume: 100, gain: 100 };
	/** A firmware just installed: it confirms itself once started, or is rolled back (until then only). */
	#confirmation: BootConfirmation | undefined;
	#mdns: MdnsResponder | undefined;

	constructor(host: DeviceHost, options: DeviceOptions) {
		const hostLog = host.log;
		const clock = host.clock;
		// first of all: should this firmware fail to start, the minute to confirm it runs out
		const boot = host.update?.boot;
		if (boot) {
			const confirmation = new BootConfirmation({ boot, clock, log: (line) => hostLog?.(line) });
			confirmation.start();
			if (confirmation.pending)
				this.#confirmation = confirmation;
		}
		this.#started = clock.now();
		const journalStorage: PreferenceStorage = options.journals === false ? NO_STORAGE : host.storage;
		this.#logJournal = new Journal({ storage: journalStorage, clock, domain: "portier-log", pages: 3, perPage: 20, batch: 10, delay: 60000, width: 200 });
		// the last lines before the reboot, oldest first
		const kept = this.#logJournal.read(0, 20);
		for (let i = kept.length - 1; i >= 0; i--)
			this.#recent.add(kept[i]);
		const syslogSettings = { enabled: false, server: "", port: 514 };
		// the log's writer: it reads `time` and the syslog at each line, and the first line comes after both are made
		const write = (line: string, event: boolean) => {
			const stamped = time.stamp(this.#started) + " " + line;
			this.#recent.add(stamped, event);
			this.#logJournal.add(stamped);
			this.#syslog.send(line);
			hostLog?.(line);
		};
		const log = (line: string) => write(line, false);
		/** A door or call event: it stays on the status page when other lines pile up. */
		const event = (line: string) => write(line, true);
		const time = new StationTime({
			clock, udp: host.udp, dns: host.sntp?.dns ?? host.dns, random: host.random, sntp: host.sntp !== undefined, setSystemTime: host.sntp?.setSystemTime,
			settings: { servers: [], interval: 3600, zone: "UTC0" }, log,
		});
		this.time = time;
		// records that carry a date read the wall clock (timers stay on the host's)
		const wallClock = time.wall.clock;
		this.#syslog = new Syslog({ udp: host.udp, clock: wallClock, settings: syslogSettings, hostname: options.host });
		this.settings = new Settings({ store: new ConfigStore({ storage: host.storage }), log });
		const c = this.settings.config;
		Object.assign(syslogSettings, c.syslog);
		time.apply(c.time);
		this.#levels.volume = c.audio.volume;
		this.#levels.gain = c.audio.micGain;
		const levels = this.#levels;
		const mic = host.microphone, speaker = host.speaker;
		this.app = new StationApp({
			...host, instanceId: host.instanceId ?? keptInstanceId(host), log,
			// schedules run on the configured zone's local time; undefined until the clock is set
			localTime: time.wall,
			// the installer's levels: scaled in place, frame by frame (one closure per call, none per frame)
			microphone: mic && ((callId) => {
				const fill = mic(callId);
				return fill && ((frame: Int16Array) => {
					fill(frame);
					applyLevel(frame, levels.gain);
				});
			}),
			speaker: speaker && ((callId) => {
				const play = speaker(callId);
				return play && ((frame: Int16Array) => {
					applyLevel(frame, levels.volume);
					play(frame);
				});
			}),
		}, {
			sipPort: options.sipPort ?? c.sip.port,
			bind: options.bind,
			host: options.host,
			rtpPorts: options.rtpPorts,
			rtpTimeout: options.rtpTimeout,
			accounts: accountsOf(c),
			sessionTimer: sessionTimerOf(c),
			station: c.station,
			userAgent: options.userAgent,
			paging: c.paging,
			codecs: codecsOf(c),
		});
		this.#host = host;
		this.#options = options;
		this.#log = log;
		this.settings.onChange((next, previous) => {
			this.app.apply({ station: next.station, accounts: accountsOf(next), sessionTimer: sessionTimerOf(next), codecs: codecsOf(next) });
			this.#levels.volume = next.audio.volume;
			this.#levels.gain = next.audio.micGain;
			Object.assign(syslogSettings, next.syslog);
			time.apply(next.time);
			if (JSON.stringify(next.mqtt) !== JSON.stringify(previous.mqtt))
				this.#startMqtt();
			this.#startActionUrls();
			if (JSON.stringify(next.server) !== JSON.stringify(previous.server))
				this.#startRegistrar();
			if (JSON.stringify(next.network) !== JSON.stringify(previous.network) || next.server.enabled !== previous.server.enabled)
				this.#startMdns();
		});
		// what happens goes to the log (and the status page's recent lines); door openings and
		// trusted calls are events that outlive other lines, a stranger's call is an ordinary line
		this.app.on((e) => {
			if (e.type === "call")
				(e.call.trusted ? event : log)(`portier: call ${e.call.direction} ${e.call.remote} ${e.state}${e.state === "ended" && e.call.endReason ? " (" + e.call.endReason + ")" : ""}`);
			else if (e.type === "registration")
				log(`portier: account ${e.status.id} ${e.status.registered ? "registered" : e.status.lastStatus >= 200 && e.status.lastStatus < 300 ? "unregistered" : "not registered"} (${e.status.lastStatus} ${e.status.lastReason})`);
			else if (e.type === "door-opened")
				event(`portier: door ${e.relay} opened by ${e.by}`);
		});
		this.history = new History({
			app: this.app, clock: wallClock, log,
			journal: new Journal({ storage: journalStorage, clock, domain: "portier-hist", pages: 10, perPage: 30, batch: 8, delay: 60000, log }),
			relayName: (id) => {
				const names = this.settings.config.station.relayNames;
				const info = id === 1 ? names?.["1"] : id === 2 ? names?.["2"] : id === 3 ? names?.["3"] : id === 4 ? names?.["4"] : undefined;
				return info?.name ?? "";
			},
		});
		// DND switched by the API or a feature code is a setting: it survives a reboot
		this.app.on((e) => {
			if (e.type !== "dnd")
				return;
			const dnd = { ...this.settings.config.station.dnd };
			dnd[e.account] = { ...dnd[e.account], enabled: e.enabled };
			const result = this.settings.update({ station: { dnd } });
			if (result.errors.length || result.failure)
				log("config: cannot keep DND: " + (result.failure ?? result.errors[0].message));
		});
		this.auth = new AdminAuth({ storage: host.storage, hash: host.hash, token: host.token, clock });
		const api = {
			app: this.app, settings: this.settings, auth: this.auth, page: host.page,
			// what waits for flash is written first; a firmware just installed needs the panel's hard restart
			reboot: host.reboot ? (firmware?: boolean) => {
				this.flush();
				const restart = firmware ? host.update?.restart : undefined;
				if (restart)
					restart();
				else
					host.reboot!();
			} : undefined,
			info: () => ({ ip: options.host, ...host.info?.(), mdns: this.#mdns ? this.#mdns.name + ".local" : undefined }),
			history: this.history.journal,
			time: () => time.status(),
			journalsWaiting: () => this.#logJournal.waiting + this.history.journal.waiting,
			recentLog: () => this.#recent.lines(), uptime: () => Math.round((clock.now() - this.#started) / 1000), log, version: options.version,
			update: host.update,
		} satisfies ApiOptions as ApiOptions;
		this.web = host.http ? new WebServer({ http: host.http, handler: (request) => handleRequest(api, request), stream: (request, length) => streamRequest(api, request, length), log }) : undefined;
	}

	start(): void {
		this.#running = true;
		this.app.start();
		this.#startMqtt();
		this.#startActionUrls();
		this.#startRegistrar();
		this.time.start();
		this.#startMdns();
		// SIP's sockets and the page are up: a new firmware keeps its place
		this.#confirmation?.ready();
		this.#confirmation = undefined;
	}

	/** Write the records waiting for flash (log, history): before a reboot. */
	flush(): void {
		this.#logJournal.flush();
		this.history.journal.flush();
	}

	/** The status page's recent log lines, stamped, oldest first. */
	recentLog(): string[] {
		return this.#recent.lines();
	}

	/** Syslog messages sent (the device page, tests). */
	get syslogSent(): number {
		return this.#syslog.sent;
	}

	stop(done?: () => void): void {
		this.#running = false;
		this.#confirmation?.stop();
		// written now; later lines of this device go to the host's log only (the next device owns the storage)
		this.#logJournal.close();
		this.history.close();
		this.#mqtt?.close();
		this.#mqtt = undefined;
		this.#actionUrls?.close();
		this.#actionUrls = undefined;
		this.app.ua.registrar?.close();
		this.app.ua.registrar = undefined;
		this.web?.close();
		this.#syslog.close();
		this.time.stop();
		this.#mdns?.close();
		this.#mdns = undefined;
		this.app.stop(done);
	}

	/** The host name mDNS answers for (with a number after a conflict), undefined without mDNS. */
	get mdnsName(): string | undefined {
		return this.#mdns?.name;
	}

	/**
	 * mDNS and DNS-SD (SPEC §8): <name>.local, the page, and SIP when the
	 * built-in server takes registrations. Started again when the network
	 * settings or the server's switch change.
	 */
	#startMdns(): void {
		this.#mdns?.close();
		this.#mdns = undefined;
		const port = this.#options.mdnsPort;
		const c = this.settings.config;
		const address = this.#options.host;
		if (!this.#running || !port || !c.network.announce || parseIPv4(address) === undefined || address === "0.0.0.0")
			return;
		const services: MdnsService[] = [];
		if (this.#host.http)
			services.push({ type: "_http._tcp", port: this.#host.http.port, txt: ["path=/"] });
		if (c.server.enabled) {
			const sip = this.#options.sipPort ?? c.sip.port;
			services.push({ type: "_sip._udp", port: sip }, { type: "_sip._tcp", port: sip });
		}
		try {
			const mask = c.network.addressing === "static" ? parseIPv4(c.network.mask) : undefined;
			const prefix = mask === undefined ? undefined : prefixOfMask(mask);
			this.#mdns = new MdnsResponder({ udp: this.#host.udp, clock: this.#host.clock, name: c.network.name, address, services, port, prefix, random: Math.random, log: this.#log });
		}
		catch (e) {
			this.#log("mdns: cannot start: " + String(e));
		}
	}

	/**
	 * The built-in SIP server: indoor units register to the station (SPEC §4).
	 * New settings apply at once; the units stay registered unless the realm
	 * changed (their credentials then no longer fit) or they may no longer join.
	 */
	#startRegistrar(): void {
		const s = this.settings.config.server;
		const ua = this.app.ua;
		const settings: RegistrarSettings = {
			realm: s.realm, limit: s.limit, subscribers: s.subscribers, defaultExpires: s.expires, maxExpires: Math.max(3600, s.expires),
			managed: s.managed, joinPassword: s.joinPassword, prefix: s.prefix, algorithm: s.algorithm,
		};
		if (ua.registrar && (!this.#running || !s.enabled || ua.registrar.settings.realm !== s.realm)) {
			ua.registrar.close();
			ua.registrar = undefined;
		}
		if (!this.#running || !s.enabled) {
			this.app.setServer(undefined);
			return;
		}
		if (ua.registrar)
			ua.registrar.configure(settings);
		else {
			const host = this.#host;
			ua.registrar = new Registrar({ ...settings, clock: host.clock, hash: host.hash, random: host.random, log: this.#log });
		}
		this.app.setServer({ ringMode: s.ringMode, groups: s.groups, limit: s.limit, button: s.button, fallback: s.fallback });
	}

	#startActionUrls(): void {
		this.#actionUrls?.close();
		this.#actionUrls = undefined;
		// only with a URL to call: the listener and its closures cost a panel's heap for nothing
		// else (about 2 KB measured in the simulator, with every URL empty as the factory has them)
		const urls = this.settings.config.actionUrls;
		if (this.#running && this.#host.httpGet && Object.values(urls).some((url) => url !== ""))
			this.#actionUrls = new ActionUrls({ app: this.app, settings: urls, httpGet: this.#host.httpGet });
	}

	#startMqtt(): void {
		this.#mqtt?.close();
		this.#mqtt = undefined;
		const s = this.settings.config.mqtt;
		if (!this.#running || !s.enabled || !this.#host.mqtt)
			return;
		this.#mqtt = new MqttEvents({ mqtt: this.#host.mqtt, clock: this.#host.clock, app: this.app, settings: s, name: s.clientId, version: this.#options.version, log: this.#log });
		this.#mqtt.start();
	}
}

/**
 * The station's SIP Outbound instance id (RFC 5626 §4.1): made once from the
 * host's randomness and kept in storage, so that a registrar sees the same
 * instance after every restart and replaces its old binding at once.
 */
function keptInstanceId(host: DeviceHost): string {
	const kept = host.storage.get("station", "instance");
	if (typeof kept === "string" && kept.length === 32)
		return kept;
	const fresh = host.token();
	try {
		host.storage.set("station", "instance", fresh);
	}
	catch {
		// storage refused it: this start has an instance of its own
	}
	return fresh;
}

/** A storage that keeps nothing (journals kept in RAM only: see DeviceOptions.journals). */
const NO_STORAGE: PreferenceStorage = Object.freeze({
	get: () => undefined,
	set: () => {},
	delete: () => {},
});
