/*
 * The built-in registrar (SPEC §4, RFC 3261 §10.3): indoor units and phones
 * register to the door station itself. Digest authentication (MD5 or
 * SHA-256, qop=auth) with nonces the registrar can check without keeping
 * them (a timestamp and its hash under a secret, valid 5 minutes); a
 * subscriber with wrong credentials gets nothing but 401/403, for REGISTER
 * and for the calls it places through the station (407, RFC 3261 §22.3).
 *
 * A limit on concurrent subscriptions (the "floating licence"): a place is
 * taken at registration, freed on de-registration or when the binding
 * expires (default 360 s). One binding per subscriber: a new REGISTER
 * replaces the contact. Everything is bounded by the limit.
 *
 * Extensions: a configured subscriber's user name is its extension; in
 * unmanaged mode a device with another user name may join with the join
 * password and is given the next free extension (told in the 200's
 * P-Associated-URI, RFC 3455 §4.1). Managed mode admits configured
 * subscribers only, and a subscriber with a MAC address set only from the
 * device that shows that address (User-Agent or +sip.instance).
 */
import type { Clock, Log } from "../io/types.js";
import { type DigestAlgorithm, type HashFunction, verifyDigest } from "./digest.js";
import type { AuthValue } from "./headers.js";
import type { SipMessage } from "./message.js";
import type { HeaderList } from "./serialize.js";
import type { Source } from "./transport.js";
import { SipUri } from "./uri.js";

/** A configured subscriber: its user name is its extension. */
export interface Subscriber {
	user: string;
	/** Its digest password; empty: only its address authenticates it. */
	password: string;
	/** The device's MAC address (aa:bb:cc:dd:ee:ff); empty: any device with the password. */
	mac?: string;
	/** Registration expiry granted to it, seconds (0 or absent: the server's). */
	expires?: number;
	/**
	 * Authentication by IP address: requests from this address need no
	 * digest; from any other address the subscriber is challenged (with a
	 * password) or refused (without one).
	 */
	address?: string;
}

/** What can change while bindings stay (the server's settings). */
export interface RegistrarSettings {
	realm: string;
	subscribers: readonly Subscriber[];
	/** Concurrent subscriptions (places). */
	limit: number;
	/** Seconds when the REGISTER asks for none (seed default 360). */
	defaultExpires?: number;
	minExpires?: number;
	maxExpires?: number;
	/** Only configured subscribers may join (default true). */
	managed?: boolean;
	/** Unmanaged mode: the password any other device joins with (empty: none may). */
	joinPassword?: string;
	/** Extension prefix: one digit, or empty (host 0, clients 1-50; with 8: 8000, 8001-8050). */
	prefix?: string;
	/** The digest algorithm asked for (RFC 8760); credentials computed with another are challenged again. */
	algorithm?: DigestAlgorithm;
}

export interface RegistrarOptions extends RegistrarSettings {
	clock: Clock;
	hash: HashFunction;
	random: () => string;
	onChange?(bindings: Binding[]): void;
	log?: Log;
}

export interface Binding {
	user: string;
	/** The number other units and the station dial to reach it. */
	extension: string;
	/** The contact URI the subscriber registered. */
	contact: string;
	source: Source;
	userAgent: string;
	registeredAt: number;
	expiresAt: number;
}

/** A device that joined (online while it holds a binding), for the list of joined devices. */
export interface JoinedDevice {
	user: string;
	extension: string;
	/** A configured subscriber (true) or a device that joined with the join password. */
	managed: boolean;
	address: string;
	port: number;
	transport: string;
	userAgent: string;
	model: string;
	version: string;
	mac: string;
	online: boolean;
	lastSeen: number;
}

export interface RegistrarAnswer {
	status: number;
	reason?: string;
	headers: HeaderList;
}

/** Who placed a call through the station: an authenticated, registered subscriber. */
export type CallerCheck = { user: string; binding: Binding } | { answer: RegistrarAnswer };

const NONCE_LIFETIME = 300000;
/** Joined devices remembered (online ones hold a place; the oldest offline ones are forgotten). */
const MAX_DEVICES = 64;
/** Client extensions 1-50 (8001-8050 with prefix 8). */
const MAX_EXTENSION = 50;

export class Registrar {
	#o: RegistrarOptions;
	#secret: string;
	#bindings = new Map<string, { binding: Binding; timer: unknown }>();
	#devices = new Map<string, JoinedDevice>();

	constructor(options: RegistrarOptions) {
		this.#o = options;
		this.#secret = options.random() + options.random();
	}

	get bindings(): Binding[] {
		return Array.from(this.#bindings.values(), (b) => b.binding);
	}

	/** Every device that joined, online or not, most recently seen first. */
	get devices(): JoinedDevice[] {
		return Array.from(this.#devices.values()).sort((a, b) => b.lastSeen - a.lastSeen);
	}

	get settings(): RegistrarSettings {
		return this.#o;
	}

	/** The station's own extension: 0, or the prefix and 000 (8000). */
	get hostExtension(): string {
		const p = this.#o.prefix ?? "";
		return p ? p + "000" : "0";
	}

	/**
	 * New settings; the bindings stay while their subscriber may still join,
	 * within the new limit (the newest registrations give way first).
	 */
	configure(settings: RegistrarSettings): void {
		this.#o = { ...this.#o, ...settings };
		const keep = this.bindings.filter((b) => this.#allowed(b.user)).sort((a, b) => a.registeredAt - b.registeredAt);
		for (const b of this.bindings) {
			const place = keep.indexOf(b);
			if (place < 0 || place >= settings.limit)
				this.#remove(b.user);
		}
	}

	/** The binding of an extension (or a user name), if registered. */
	lookup(extension: string): Binding | undefined {
		const direct = this.#bindings.get(extension)?.binding;
		if (direct)
			return direct;
		for (const b of this.#bindings.values()) {
			if (b.binding.extension === extension)
				return b.binding;
		}
		return undefined;
	}

	/** Is this number one of the extensions (registered or not)? */
	isExtension(number: string): boolean {
		return this.#subscriber(number) !== undefined || this.lookup(number) !== undefined;
	}

	/** Remove a joined device: its binding (freeing its place) and its entry in the list. */
	remove(user: string): boolean {
		const known = this.#devices.delete(user);
		return this.#remove(user) || known;
	}

	close(): void {
		for (const b of this.#bindings.values())
			this.#o.clock.clear(b.timer);
		this.#bindings.clear();
	}

	#subscriber(user: string): Subscriber | undefined {
		return this.#o.subscribers.find((s) => s.user === user);
	}

	/** The password a user authenticates with: its own, or (unmanaged) the join password. */
	#password(user: string): string | undefined {
		const s = this.#subscriber(user);
		if (s)
			return s.password;
		if (this.#o.managed === false && this.#o.joinPassword)
			return this.#o.joinPassword;
		return undefined;
	}

	#allowed(user: string): boolean {
		return this.#password(user) !== undefined;
	}

	#nonce(): string {
		const ts = this.#o.clock.now().toString(16);
		return ts + "." + this.#o.hash("SHA-256", this.#secret + ":" + ts).slice(0, 32);
	}

	/** "ok", "stale" (ours, but too old) or "bad". */
	#checkNonce(nonce: string): "ok" | "stale" | "bad" {
		const dot = nonce.indexOf(".");
		if (dot < 1)
			return "bad";
		const ts = nonce.slice(0, dot);
		if (this.#o.hash("SHA-256", this.#secret + ":" + ts).slice(0, 32) !== nonce.slice(dot + 1))
			return "bad";
		const age = this.#o.clock.now() - parseInt(ts, 16);
		return age >= 0 && age < NONCE_LIFETIME ? "ok" : "stale";
	}

	#challenge(status: 401 | 407, stale: boolean): RegistrarAnswer {
		const algorithm = this.#o.algorithm ?? "MD5";
		return {
			status,
			headers: [[status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate", `Digest realm="${this.#o.realm}", nonce="${this.#nonce()}", algorithm=${algorithm}, qop="auth"${stale ? ", stale=true" : ""}`]],
		};
	}

	/**
	 * Check a request's credentials for our realm (§22.3, §22.4): undefined
	 * when they are right, else the answer (a challenge, or 403 for wrong
	 * credentials: a wrong password gets nothing else).
	 */
	#verify(request: SipMessage, source: Source, user: string, status: 401 | 407): RegistrarAnswer | undefined {
		const subscriber = this.#subscriber(user);
		if (subscriber?.address) {
			// authentication by IP address (the seed's alternative to a password): its own address needs no digest
			if (source.address === subscriber.address)
				return undefined;
			if (!subscriber.password) {
				this.#o.log?.(`registrar: ${user} refused from ${source.address}: not its address`);
				return { status: 403, reason: "Forbidden (not the subscriber's address)", headers: [] };
			}
		}
		const header = status === 401 ? "Authorization" : "Proxy-Authorization";
		const credentials = request.auth(header).find((a: AuthValue) => a.get("realm") === this.#o.realm);
		if (!credentials)
			return this.#challenge(status, false);
		const nonceState = this.#checkNonce(credentials.get("nonce") ?? "");
		if (nonceState === "bad" || (credentials.get("algorithm") ?? "MD5").toUpperCase() !== (this.#o.algorithm ?? "MD5"))
			return this.#challenge(status, false);
		const password = this.#password(user);
		if (!password || credentials.get("username") !== user || !verifyDigest(this.#o.hash, credentials, request.method!, password, this.#o.realm)) {
			this.#o.log?.(`registrar: wrong credentials for ${user} from ${source.address}:${source.port}`);
			return { status: 403, reason: "Forbidden (wrong credentials)", headers: [] };
		}
		if (nonceState === "stale")
			return this.#challenge(status, true);
		return undefined;
	}

	/** Answer a REGISTER (never throws: a malformed request gets 400). */
	handle(request: SipMessage, source: Source): RegistrarAnswer {
		try {
			return this.#handle(request, source);
		}
		catch (e) {
			return { status: 400, reason: "Bad REGISTER: " + (e instanceof Error ? e.message : String(e)), headers: [] };
		}
	}

	/**
	 * A call placed through the station: undefined when its From is none of
	 * our subscribers (a direct IP call, handled as such); else the
	 * authenticated, registered subscriber, or the answer to send (407
	 * challenge, 403 for wrong credentials or a subscriber that holds no place).
	 */
	caller(request: SipMessage, source: Source): CallerCheck | undefined {
		try {
			const from = request.from().uri;
			const user = from instanceof SipUri ? from.user : undefined;
			if (!user || (!this.#subscriber(user) && !this.#bindings.has(user)))
				return undefined;
			const refusal = this.#verify(request, source, user, 407);
			if (refusal)
				return { answer: refusal };
			const binding = this.#bindings.get(user)?.binding;
			if (!binding)
				return { answer: { status: 403, reason: "Forbidden (not registered)", headers: [] } };
			this.#seen(binding, source);
			return { user, binding };
		}
		catch (e) {
			return { answer: { status: 400, reason: "Bad INVITE: " + (e instanceof Error ? e.message : String(e)), headers: [] } };
		}
	}

	#handle(request: SipMessage, source: Source): RegistrarAnswer {
		const to = request.to().uri;
		if (!(to instanceof SipUri) || !to.user)
			return { status: 404, reason: "Not Found (no user in To)", headers: [] };
		const user = to.user;
		// RFC 3261 §22: credentials for our realm, checked against the subscriber's password
		const refusal = this.#verify(request, source, user, 401);
		if (refusal)
			return refusal;
		const subscriber = this.#subscriber(user);
		const userAgent = request.header("User-Agent") ?? "";
		const min = this.#o.minExpires ?? 60;
		const own = subscriber?.expires ? subscriber.expires : undefined;	// the subscriber's own expiry caps what it asks for
		const max = own ?? this.#o.maxExpires ?? 3600;
		const header = request.expires();
		if (request.isWildcardContact()) {
			// §10.3 step 6: "*" only with Expires: 0
			if (header !== 0)
				return { status: 400, reason: "Bad Request (Contact * needs Expires: 0)", headers: [] };
			this.#remove(user);
			return { status: 200, headers: [] };
		}
		const contacts = request.contacts();
		if (contacts.length === 0)
			return this.#current(user);
		if (contacts.length > 1)
			return { status: 400, reason: "Bad Request (one Contact per subscriber)", headers: [] };
		const contact = contacts[0];
		const mac = macOf(userAgent, contact.params.get("+sip.instance") ?? "");
		if (subscriber?.mac && normalMac(subscriber.mac) !== mac) {
			this.#o.log?.(`registrar: ${user} refused: not the managed device ${subscriber.mac}`);
			return { status: 403, reason: "Forbidden (device not managed)", headers: [] };
		}
		const param = contact.params.get("expires");
		let expires = param !== undefined && param !== null && /^\d{1,10}$/.test(param) ? Number(param) : header ?? own ?? (this.#o.defaultExpires ?? 360);
		if (expires === 0) {
			this.#remove(user);
			return { status: 200, headers: [] };
		}
		if (expires < min)
			return { status: 423, reason: "Interval Too Brief", headers: [["Min-Expires", String(min)]] };
		if (expires > max)
			expires = max;
		if (!this.#bindings.has(user) && this.#bindings.size >= this.#o.limit) {
			this.#o.log?.(`registrar: ${user} refused: all ${this.#o.limit} places are taken`);
			return { status: 403, reason: `Forbidden (subscriber limit of ${this.#o.limit} reached)`, headers: [] };
		}
		const extension = subscriber ? user : this.#extensionFor(user);
		if (!extension)
			return { status: 403, reason: "Forbidden (no free extension)", headers: [] };
		const now = this.#o.clock.now();
		const binding: Binding = { user, extension, contact: contact.uri.toString(), source, userAgent, registeredAt: now, expiresAt: now + expires * 1000 };
		this.#add(binding);
		this.#joined(binding, subscriber !== undefined, mac);
		const headers: HeaderList = [["Contact", `<${binding.contact}>;expires=${expires}`]];
		if (!subscriber)
			headers.push(["P-Associated-URI", `<sip:${extension}@${this.#o.realm}>`]);
		return { status: 200, headers };
	}

	/** A device joining without a configured entry keeps its extension, or gets the lowest free one. */
	#extensionFor(user: string): string | undefined {
		const known = this.#bindings.get(user)?.binding.extension ?? this.#devices.get(user)?.extension;
		if (known && !this.#subscriber(known)) {
			const holder = this.lookup(known);
			if (!holder || holder.user === user)
				return known;
		}
		const prefix = this.#o.prefix ?? "";
		for (let n = 1; n <= MAX_EXTENSION; n++) {
			const extension = prefix ? prefix + String(n).padStart(3, "0") : String(n);
			if (this.#subscriber(extension) || this.lookup(extension) || this.#takenByDevice(extension))
				continue;
			return extension;
		}
		// every extension is held: the device offline the longest gives its extension up
		let oldest: JoinedDevice | undefined;
		for (const d of this.#devices.values()) {
			if (!d.online && !d.managed && (!oldest || d.lastSeen < oldest.lastSeen))
				oldest = d;
		}
		if (!oldest)
			return undefined;
		this.#devices.delete(oldest.user);
		return oldest.extension;
	}

	#takenByDevice(extension: string): boolean {
		for (const d of this.#devices.values()) {
			if (d.extension === extension)
				return true;
		}
		return false;
	}

	#joined(binding: Binding, managed: boolean, mac: string): void {
		const ua = binding.userAgent;
		this.#devices.delete(binding.user);	// re-inserted: the newest last
		this.#devices.set(binding.user, {
			user: binding.user, extension: binding.extension, managed,
			address: binding.source.address, port: binding.source.port, transport: binding.source.transport,
			userAgent: ua, model: modelOf(ua), version: versionOf(ua), mac, online: true, lastSeen: binding.registeredAt,
		});
		// bounded: forget the devices offline the longest
		for (const d of this.#devices.values()) {
			if (this.#devices.size <= MAX_DEVICES)
				break;
			if (!d.online)
				this.#devices.delete(d.user);
		}
	}

	#seen(binding: Binding, source: Source): void {
		const d = this.#devices.get(binding.user);
		if (d) {
			d.lastSeen = this.#o.clock.now();
			d.address = source.address;
			d.port = source.port;
		}
	}

	#current(user: string): RegistrarAnswer {
		const b = this.#bindings.get(user)?.binding;
		if (!b)
			return { status: 200, headers: [] };
		return { status: 200, headers: [["Contact", `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - this.#o.clock.now()) / 1000))}`]] };
	}

	#add(binding: Binding): void {
		const old = this.#bindings.get(binding.user);
		if (old)
			this.#o.clock.clear(old.timer);
		const timer = this.#o.clock.set(() => {
			this.#o.log?.(`registrar: ${binding.user} expired`);
			this.#remove(binding.user);
		}, binding.expiresAt - binding.registeredAt);
		this.#bindings.set(binding.user, { binding, timer });
		if (!old)
			this.#o.log?.(`registrar: ${binding.user} registered from ${binding.source.address}:${binding.source.port}`);
		this.#changed();
	}

	#remove(user: string): boolean {
		const old = this.#bindings.get(user);
		if (!old)
			return false;
		this.#o.clock.clear(old.timer);
		this.#bindings.delete(user);
		const d = this.#devices.get(user);
		if (d) {
			d.online = false;
			d.lastSeen = this.#o.clock.now();
		}
		this.#changed();
		return true;
	}

	#changed(): void {
		try {
			this.#o.onChange?.(this.bindings);
		}
		catch (e) {
			this.#o.log?.("registrar: listener: " + String(e));
		}
	}
}

/* ---------- what a device says about itself ---------- */

const HEX = "0123456789abcdef";

/** aa:bb:cc:dd:ee:ff from any of the usual spellings, or "". */
export function normalMac(text: string): string {
	let hex = "";
	for (const ch of text.toLowerCase()) {
		if (HEX.indexOf(ch) >= 0)
			hex += ch;
		else if (ch !== ":" && ch !== "-" && ch !== ".")
			return "";
	}
	if (hex.length !== 12)
		return "";
	let out = "";
	for (let i = 0; i < 12; i += 2)
		out += (i ? ":" : "") + hex.slice(i, i + 2);
	return out;
}

/**
 * The MAC address a device shows: phones and indoor units put it in their
 * User-Agent ("Fanvil X7A 2.4.1 0c383e3daf10"), or use a version 1 UUID as
 * their RFC 5626 instance id, whose node field is the MAC (RFC 4122 §4.1.6).
 */
export function macOf(userAgent: string, instance: string): string {
	for (const word of userAgent.split(/[\s/;,()]+/)) {
		const mac = normalMac(word);
		if (mac && /[0-9]/.test(word) && (word.length === 12 || word.length === 17))
			return mac;
	}
	const m = /urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-([0-9a-f]{12})/i.exec(instance);
	return m ? normalMac(m[1]) : "";
}

/** The model: the User-Agent's words before its version (and without its MAC). */
export function modelOf(userAgent: string): string {
	const words: string[] = [];
	for (const word of userAgent.trim().split(/\s+/)) {
		if (/^v?\d+(\.\d+)+/.test(word) || normalMac(word))
			break;
		words.push(word);
	}
	return words.join(" ").slice(0, 64);
}

/** The software version: the User-Agent's first dotted number. */
export function versionOf(userAgent: string): string {
	const m = /(?:^|[\s/])v?(\d+(?:\.\d+)+)/.exec(userAgent);
	return m ? m[1] : "";
}
