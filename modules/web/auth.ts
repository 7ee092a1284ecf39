/*
 * The administrator of the configuration page (SPEC §5): there is no default
 * password — the first visit sets one — and it is stored only as a salted,
 * iterated SHA-256. A login opens a session: its token travels in an
 * HttpOnly, SameSite=Strict cookie, and every change must also carry the
 * session's CSRF token in a header, which another site cannot read. Failed
 * logins are rate-limited (a lock that doubles, up to five minutes); sessions
 * are few and expire when idle. Everything is bounded.
 */
import type { Clock } from "../io/types.js";
import type { HashFunction } from "../sip/digest.js";
import type { PreferenceStorage } from "../config/store.js";

export interface Session {
	token: string;
	csrf: string;
	lastUsed: number;
}

export interface AuthOptions {
	storage: PreferenceStorage;
	hash: HashFunction;
	/** 32 hex digits from a cryptographic source. */
	token: () => string;
	clock: Clock;
	/** Hash rounds for the stored password (fewer in tests). */
	rounds?: number;
	/** An idle session ends after this many ms. */
	idle?: number;
}

const DOMAIN = "admin";
const MAX_SESSIONS = 4;
const FREE_FAILURES = 5;
const LOCK_FIRST = 30000;
const LOCK_MAX = 300000;

export type LoginResult = { session: Session } | { error: "wrong" | "locked" | "no-password"; retryAfter: number };

export class AdminAuth {
	#o: AuthOptions;
	#sessions: Session[] = [];
	#failures = 0;
	#lockedUntil = 0;
	#lock = 0;

	constructor(options: AuthOptions) {
		this.#o = options;
	}

	get hasPassword(): boolean {
		return typeof this.#o.storage.get(DOMAIN, "password") === "string";
	}

	/** An acceptable administrator password, or why not. */
	static check(password: unknown): string | undefined {
		if (typeof password !== "string" || password.length < 8 || password.length > 64)
			return "password must be 8-64 characters";
		for (let i = 0; i < password.length; i++) {
			if (password.charCodeAt(i) < 0x20)
				return "password must be printable characters";
		}
		return undefined;
	}

	#digest(salt: string, rounds: number, password: string): string {
		let h = salt + ":" + password;
		for (let i = 0; i < rounds; i++)
			h = this.#o.hash("SHA-256", h + password);
		return h;
	}

	/** Set the password (the first one, or a change after checking the current one by the caller). Ends every session. */
	setPassword(password: string): void {
		const salt = this.#o.token();
		const rounds = this.#o.rounds ?? 2000;
		this.#o.storage.set(DOMAIN, "password", salt + ":" + rounds + ":" + this.#digest(salt, rounds, password));
		this.#sessions = [];
	}

	verify(password: string): boolean {
		const stored = this.#o.storage.get(DOMAIN, "password");
		if (typeof stored !== "string")
			return false;
		const [salt, rounds, digest] = stored.split(":");
		const computed = this.#digest(salt, Number(rounds), password);
		// compare in constant time
		let diff = computed.length ^ digest.length;
		for (let i = 0; i < computed.length && i < digest.length; i++)
			diff |= computed.charCodeAt(i) ^ digest.charCodeAt(i);
		return diff === 0;
	}

	login(password: string): LoginResult {
		const now = this.#o.clock.now();
		if (now < this.#lockedUntil)
			return { error: "locked", retryAfter: Math.ceil((this.#lockedUntil - now) / 1000) };
		if (!this.hasPassword)
			return { error: "no-password", retryAfter: 0 };
		if (!this.verify(password)) {
			if (++this.#failures >= FREE_FAILURES) {
				this.#lock = this.#lock ? Math.min(this.#lock * 2, LOCK_MAX) : LOCK_FIRST;
				this.#lockedUntil = now + this.#lock;
				this.#failures = 0;
				return { error: "locked", retryAfter: this.#lock / 1000 };
			}
			return { error: "wrong", retryAfter: 0 };
		}
		this.#failures = 0;
		this.#lock = 0;
		return { session: this.open() };
	}

	/** A new session (after a login or the first password); the oldest goes when there are too many. */
	open(): Session {
		const session = { token: this.#o.token(), csrf: this.#o.token(), lastUsed: this.#o.clock.now() };
		this.#sessions.push(session);
		if (this.#sessions.length > MAX_SESSIONS)
			this.#sessions.shift();
		return session;
	}

	/** The session of a Cookie header, if it is open and not idle too long. */
	session(cookie: string | undefined): Session | undefined {
		const token = cookieValue(cookie, "portier_session");
		if (!token)
			return undefined;
		const now = this.#o.clock.now();
		const idle = this.#o.idle ?? 1800000;
		this.#sessions = this.#sessions.filter((s) => now - s.lastUsed < idle);
		const session = this.#sessions.find((s) => s.token === token);
		if (session)
			session.lastUsed = now;
		return session;
	}

	close(session: Session): void {
		this.#sessions = this.#sessions.filter((s) => s !== session);
	}

	/** Forget the password and every session (factory reset of the administrator). */
	clear(): void {
		this.#o.storage.delete(DOMAIN, "password");
		this.#sessions = [];
	}
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
	if (!header)
		return undefined;
	for (const part of header.split(";")) {
		const eq = part.indexOf("=");
		if (eq > 0 && part.slice(0, eq).trim() === name)
			return part.slice(eq + 1).trim();
	}
	return undefined;
}
