/*
 * The administrator of the configuration page (SPEC §5): there is no default
 * password — the first visit sets one — and it is stored only as a salted,
 * iterated SHA-256. A login opens a session: its token travels in an
 * HttpOnly, SameSite=Strict cookie, and every change must also carry the
 * session's CSRF token in a header, which another site cannot read. Sessions
 * are few and expire when idle. Everything is bounded.
 *
 * Failed logins are limited per source address, so that a flood from one
 * address cannot lock the administrator out from another: each source has
 * five free failures, then a lock of 30 s that doubles up to five minutes. On
 * top of that a global ceiling: when many failures arrive overall (from many
 * addresses), logins slow down — one attempt a second per source and a few a
 * second in all — but nobody is locked out by it: a right password from an
 * address that is not locked gets in when its turn comes.
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
/**
 * Sources remembered at once: 16 entries of about 150 bytes (a key of at most
 * 24 characters for an IPv4 address or an IPv6 /64, and four numbers), some
 * 2.4 KB on an ESP32. When the table is
 * full, the least recently seen source that is not locked makes room; when
 * every one is locked, the least recently seen one does (17 addresses are
 * needed for that, and the global ceiling still slows them).
 */
const MAX_SOURCES = 16;
/** Failures overall in a minute (this one or the last) from which on every login slows down. */
const CEILING = 20;
const CEILING_WINDOW = 60000;
/** While slowed: one attempt per source a second, and this many in all a second. */
const SLOW_SPACING = 1000;
const SLOW_PER_SECOND = 4;
/** The key of a request whose address the host cannot tell: they share one lock. */
export const UNKNOWN_SOURCE = "?";

interface Source {
	failures: number;
	/** The last lock's length (ms): the next one is twice as long. */
	lock: number;
	lockedUntil: number;
	/** The last attempt (ms). */
	lastTry: number;
}

/** Why a password was not taken. */
export interface LoginFailure {
	/** wrong password; locked: this source failed too often; busy: too many failures overall, wait a second; no-password: none set yet. */
	error: "wrong" | "locked" | "busy" | "no-password";
	/** Seconds to wait before the next attempt (0: at once). */
	retryAfter: number;
	/** This failure locked its source (first lock or a longer one). */
	locks?: boolean;
	/** This failure brought the global ceiling on. */
	slows?: boolean;
}

export type LoginResult = { session: Session } | LoginFailure;

/**
 * The key a source is counted under: an IPv4 address as it is, an IPv6
 * address by its /64 (one host commonly holds a whole /64), anything else
 * (unknown, too long) under one shared key.
 */
export function sourceKey(remote: string | undefined): string {
	if (!remote || remote.length > 64)
		return UNKNOWN_SOURCE;
	if (remote.indexOf(":") < 0)
		return remote;
	const zone = remote.indexOf("%");
	const text = (zone < 0 ? remote : remote.slice(0, zone)).toLowerCase();
	const gap = text.indexOf("::");
	const head = gap < 0 ? text.split(":") : gap === 0 ? [] : text.slice(0, gap).split(":");
	const tail = gap < 0 ? [] : gap + 2 === text.length ? [] : text.slice(gap + 2).split(":");
	const groups: string[] = [];
	for (const g of head)
		groups.push(g);
	for (let i = head.length + tail.length; i < 8; i++)
		groups.push("0");
	for (const g of tail)
		groups.push(g);
	let key = "";
	for (let i = 0; i < 4; i++) {
		const g = groups[i] ?? "";
		if (g.length < 1 || g.length > 4)
			return UNKNOWN_SOURCE;
		let n = 0;
		for (let j = 0; j < g.length; j++) {
			const d = g.charCodeAt(j);
			const v = d >= 0x30 && d <= 0x39 ? d - 0x30 : d >= 0x61 && d <= 0x66 ? d - 0x57 : -1;
			if (v < 0)
				return UNKNOWN_SOURCE;
			n = n * 16 + v;
		}
		key += n.toString(16) + ":";
	}
	return key + ":/64";
}

export class AdminAuth {
	#o: AuthOptions;
	#sessions: Session[] = [];
	/** Sources with failures (or attempts while slowed), least recently seen first. */
	#sources = new Map<string, Source>();
	/** Failures overall in this window and the last one (the global ceiling). */
	#windowStart = 0;
	#windowFailures = 0;
	#lastWindowFailures = 0;
	/** Attempts let through in this second while slowed. */
	#slotStart = 0;
	#slotCount = 0;

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

	/** How many sources are remembered now (at most 16). */
	get sources(): number {
		return this.#sources.size;
	}

	/** Whether the global ceiling is on: many failures overall, every login slowed. */
	get slowed(): boolean {
		this.#roll(this.#o.clock.now());
		return this.#windowFailures >= CEILING || this.#lastWindowFailures >= CEILING;
	}

	#roll(now: number): void {
		if (now - this.#windowStart < CEILING_WINDOW)
			return;
		this.#lastWindowFailures = now - this.#windowStart < 2 * CEILING_WINDOW ? this.#windowFailures : 0;
		this.#windowFailures = 0;
		this.#windowStart = now;
	}

	/** A source's entry, made (evicting one if the table is full) when `make`; it becomes the most recently seen. */
	#source(key: string, now: number, make: boolean): Source | undefined {
		let source = this.#sources.get(key);
		if (source)
			this.#sources.delete(key);
		else if (!make)
			return undefined;
		else {
			if (this.#sources.size >= MAX_SOURCES) {
				let victim: string | undefined;
				for (const [k, s] of this.#sources) {
					if (s.lockedUntil <= now) {
						victim = k;
						break;
					}
				}
				this.#sources.delete(victim ?? this.#sources.keys().next().value!);
			}
			source = { failures: 0, lock: 0, lockedUntil: 0, lastTry: -Infinity };
		}
		this.#sources.set(key, source);
		return source;
	}

	/**
	 * Log in with a password from a source address (the host's; undefined when
	 * it cannot tell: such requests share one key). Never throws.
	 */
	login(password: string, remote?: string): LoginResult {
		const result = this.attempt(password, remote);
		return result === true ? { session: this.open() } : result;
	}

	/**
	 * Check a password under the limits of a login (a login, or the current
	 * password of a change): true, or why not. A wrong one counts against its
	 * source; a right one clears the source's count.
	 */
	attempt(password: string, remote?: string): true | LoginFailure {
		const now = this.#o.clock.now();
		const key = sourceKey(remote);
		const known = this.#sources.get(key);
		if (known && now < known.lockedUntil) {
			this.#source(key, now, false);
			return { error: "locked", retryAfter: Math.ceil((known.lockedUntil - now) / 1000) };
		}
		if (!this.hasPassword)
			return { error: "no-password", retryAfter: 0 };
		const slowed = this.slowed;
		if (slowed) {
			if (known && now - known.lastTry < SLOW_SPACING)
				return { error: "busy", retryAfter: 1 };
			if (now - this.#slotStart >= 1000) {
				this.#slotStart = now;
				this.#slotCount = 0;
			}
			if (this.#slotCount >= SLOW_PER_SECOND)
				return { error: "busy", retryAfter: 1 };
			this.#slotCount++;
		}
		if (this.verify(password)) {
			this.#sources.delete(key);
			return true;
		}
		const source = this.#source(key, now, true)!;
		source.lastTry = now;
		this.#windowFailures++;
		const slows = !slowed && this.slowed;
		if (++source.failures >= FREE_FAILURES) {
			source.lock = source.lock ? Math.min(source.lock * 2, LOCK_MAX) : LOCK_FIRST;
			source.lockedUntil = now + source.lock;
			source.failures = 0;
			return slows ? { error: "locked", retryAfter: source.lock / 1000, locks: true, slows } : { error: "locked", retryAfter: source.lock / 1000, locks: true };
		}
		return slows ? { error: "wrong", retryAfter: 0, slows } : { error: "wrong", retryAfter: 0 };
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
