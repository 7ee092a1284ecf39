/*
 * The built-in registrar (SPEC §4, RFC 3261 §10.3): indoor units and phones
 * register to the door station itself. Digest authentication (MD5 or
 * SHA-256, qop=auth) with nonces the registrar can check without keeping
 * them (a timestamp and its hash under a secret, valid 5 minutes); a
 * subscriber with wrong credentials gets nothing but 401/403.
 *
 * A limit on concurrent subscriptions (the "floating licence"): a place is
 * taken at registration, freed on de-registration or when the binding
 * expires (default 360 s). One binding per subscriber: a new REGISTER
 * replaces the contact. Everything is bounded by the limit.
 */
import type { Clock, Log } from "../io/types.js";
import { type DigestAlgorithm, type HashFunction, verifyDigest } from "./digest.js";
import type { SipMessage } from "./message.js";
import type { HeaderList } from "./serialize.js";
import type { Source } from "./transport.js";
import { SipUri } from "./uri.js";

export interface RegistrarOptions {
	clock: Clock;
	hash: HashFunction;
	random: () => string;
	realm: string;
	/** A subscriber's password, undefined for an unknown user name. */
	password(user: string): string | undefined;
	/** Concurrent subscriptions (places). */
	limit: number;
	/** Seconds when the REGISTER asks for none (seed default 360). */
	defaultExpires?: number;
	minExpires?: number;
	maxExpires?: number;
	algorithm?: DigestAlgorithm;
	onChange?(bindings: Binding[]): void;
	log?: Log;
}

export interface Binding {
	user: string;
	/** The contact URI the subscriber registered. */
	contact: string;
	source: Source;
	userAgent: string;
	registeredAt: number;
	expiresAt: number;
}

export interface RegistrarAnswer {
	status: number;
	reason?: string;
	headers: HeaderList;
}

const NONCE_LIFETIME = 300000;

export class Registrar {
	#o: RegistrarOptions;
	#secret: string;
	#bindings = new Map<string, { binding: Binding; timer: unknown }>();

	constructor(options: RegistrarOptions) {
		this.#o = options;
		this.#secret = options.random() + options.random();
	}

	get bindings(): Binding[] {
		return Array.from(this.#bindings.values(), (b) => b.binding);
	}

	/** The binding of a subscriber (extension or user name), if registered. */
	lookup(user: string): Binding | undefined {
		return this.#bindings.get(user)?.binding;
	}

	close(): void {
		for (const b of this.#bindings.values())
			this.#o.clock.clear(b.timer);
		this.#bindings.clear();
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

	#challenge(stale: boolean): RegistrarAnswer {
		const algorithm = this.#o.algorithm ?? "MD5";
		return {
			status: 401,
			headers: [["WWW-Authenticate", `Digest realm="${this.#o.realm}", nonce="${this.#nonce()}", algorithm=${algorithm}, qop="auth"${stale ? ", stale=true" : ""}`]],
		};
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

	#handle(request: SipMessage, source: Source): RegistrarAnswer {
		const to = request.to().uri;
		if (!(to instanceof SipUri) || !to.user)
			return { status: 404, reason: "Not Found (no user in To)", headers: [] };
		const user = to.user;
		// RFC 3261 §22: credentials for our realm, checked against the subscriber's password
		const credentials = request.auth("Authorization").find((a) => a.get("realm") === this.#o.realm);
		if (!credentials)
			return this.#challenge(false);
		const password = this.#o.password(user);
		const nonce = credentials.get("nonce") ?? "";
		const nonceState = this.#checkNonce(nonce);
		if (nonceState === "bad")
			return this.#challenge(false);
		if (password === undefined || credentials.get("username") !== user || !verifyDigest(this.#o.hash, credentials, "REGISTER", password, this.#o.realm)) {
			this.#o.log?.(`registrar: wrong credentials for ${user} from ${source.address}:${source.port}`);
			return { status: 403, reason: "Forbidden (wrong credentials)", headers: [] };
		}
		if (nonceState === "stale")
			return this.#challenge(true);

		const min = this.#o.minExpires ?? 60;
		const max = this.#o.maxExpires ?? 3600;
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
		const param = contact.params.get("expires");
		let expires = param !== undefined && param !== null && /^\d{1,10}$/.test(param) ? Number(param) : header ?? (this.#o.defaultExpires ?? 360);
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
		this.#add({ user, contact: contact.uri.toString(), source, userAgent: request.header("User-Agent") ?? "", registeredAt: this.#o.clock.now(), expiresAt: this.#o.clock.now() + expires * 1000 });
		return { status: 200, headers: [["Contact", `<${contact.uri.toString()}>;expires=${expires}`]] };
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

	#remove(user: string): void {
		const old = this.#bindings.get(user);
		if (!old)
			return;
		this.#o.clock.clear(old.timer);
		this.#bindings.delete(user);
		this.#changed();
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
