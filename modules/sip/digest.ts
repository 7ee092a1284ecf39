/*
 * HTTP Digest authentication as SIP uses it (RFC 3261 §22.4, RFC 2617, RFC
 * 7616 and RFC 8760 for SHA-256): a client that answers 401/407 challenges,
 * with nonce counting and stale nonces, and the checks a registrar makes.
 *
 * Hashing comes from the host (the `crypt` Digest on the device, node:crypto
 * on a PC): `hash(algorithm, text)` returns lower-case hex.
 */
import type { AuthValue } from "./headers.js";

export type DigestAlgorithm = "MD5" | "SHA-256";
export type HashFunction = (algorithm: DigestAlgorithm, text: string) => string;

export interface DigestCredentials {
	username: string;
	password: string;
}

export interface DigestRequest {
	method: string;
	/** The Request-URI as sent (digest-uri). */
	uri: string;
}

/** The algorithms of a challenge this client can answer; "-sess" variants too. */
function algorithmOf(value: string | undefined): { algorithm: DigestAlgorithm; session: boolean } | undefined {
	const v = (value ?? "MD5").toUpperCase();
	switch (v) {
		case "MD5": return { algorithm: "MD5", session: false };
		case "MD5-SESS": return { algorithm: "MD5", session: true };
		case "SHA-256": return { algorithm: "SHA-256", session: false };
		case "SHA-256-SESS": return { algorithm: "SHA-256", session: true };
	}
	return undefined;
}

/** The qop values offered by a challenge (a quoted, comma-separated list). */
function qopOffers(value: string | undefined): string[] {
	if (!value)
		return [];
	return value.split(",").map((q) => q.trim().toLowerCase()).filter((q) => q.length > 0);
}

function hex8(n: number): string {
	const s = n.toString(16);
	return "00000000".slice(s.length) + s;
}

export interface DigestComputation {
	algorithm: DigestAlgorithm;
	session: boolean;
	username: string;
	realm: string;
	password: string;
	nonce: string;
	method: string;
	uri: string;
	qop?: string;
	nc?: string;
	cnonce?: string;
}

/** request-digest of RFC 2617 §3.2.2.1 (qop=auth or none; auth-int is not offered). */
export function digestResponse(hash: HashFunction, c: DigestComputation): string {
	let ha1 = hash(c.algorithm, c.username + ":" + c.realm + ":" + c.password);
	if (c.session)
		ha1 = hash(c.algorithm, ha1 + ":" + c.nonce + ":" + (c.cnonce ?? ""));
	const ha2 = hash(c.algorithm, c.method + ":" + c.uri);
	if (c.qop)
		return hash(c.algorithm, ha1 + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop + ":" + ha2);
	return hash(c.algorithm, ha1 + ":" + c.nonce + ":" + ha2);
}

export interface DigestClientOptions {
	hash: HashFunction;
	/** Random hex for cnonces (the host's random source). */
	random: () => string;
}

interface RealmState {
	nonce: string;
	nc: number;
	opaque: string | undefined;
	algorithm: DigestAlgorithm;
	session: boolean;
	qop: string | undefined;
	cnonce: string;
}

/**
 * Answers challenges for one account. Keeps the nonce of each realm so later
 * requests can authenticate in advance with an increasing nonce count.
 */
export class DigestClient {
	#hash: HashFunction;
	#random: () => string;
	#realms = new Map<string, RealmState>();

	constructor(options: DigestClientOptions) {
		this.#hash = options.hash;
		this.#random = options.random;
	}

	/**
	 * Take a challenge from a 401/407. `answered` says whether the challenged
	 * request already carried our credentials for this realm. Returns false when
	 * the request must not be sent again: an unknown scheme or algorithm, only
	 * auth-int offered, or our credentials refused (a challenge to an answered
	 * request that is not `stale=true` means a wrong password, RFC 2617
	 * §3.2.1, RFC 3261 §22.2: retrying would loop).
	 */
	challenge(value: AuthValue, answered = false): boolean {
		if (value.scheme.toLowerCase() !== "digest")
			return false;
		const realm = value.get("realm");
		const nonce = value.get("nonce");
		const alg = algorithmOf(value.get("algorithm"));
		if (realm === undefined || nonce === undefined || !alg)
			return false;
		const offers = qopOffers(value.get("qop"));
		if (offers.length > 0 && offers.indexOf("auth") < 0)
			return false;	// only auth-int offered
		const stale = (value.get("stale") ?? "").toLowerCase() === "true";
		if (answered && !stale)
			return false;
		this.#realms.set(realm, {
			nonce, nc: 0, opaque: value.get("opaque"), algorithm: alg.algorithm, session: alg.session,
			qop: offers.length > 0 ? "auth" : undefined, cnonce: this.#random(),
		});
		return true;
	}

	reset(): void {
		this.#realms.clear();
	}

	get realms(): string[] {
		return Array.from(this.#realms.keys());
	}

	/** The Authorization / Proxy-Authorization value for a request in a realm that challenged. */
	authorize(realm: string, credentials: DigestCredentials, request: DigestRequest): string | undefined {
		const state = this.#realms.get(realm);
		if (!state)
			return undefined;
		state.nc++;
		const nc = hex8(state.nc);
		const response = digestResponse(this.#hash, {
			algorithm: state.algorithm, session: state.session, username: credentials.username, realm,
			password: credentials.password, nonce: state.nonce, method: request.method, uri: request.uri,
			qop: state.qop, nc, cnonce: state.cnonce,
		});
		let text = "Digest username=" + quoteValue(credentials.username) + ", realm=" + quoteValue(realm) +
			", nonce=" + quoteValue(state.nonce) + ", uri=" + quoteValue(request.uri) + ", response=\"" + response + "\"";
		text += ", algorithm=" + (state.algorithm + (state.session ? "-sess" : ""));
		if (state.qop)
			text += ", cnonce=" + quoteValue(state.cnonce) + ", qop=auth, nc=" + nc;
		if (state.opaque !== undefined)
			text += ", opaque=" + quoteValue(state.opaque);
		return text;
	}
}

function quoteValue(s: string): string {
	let out = "\"";
	for (let i = 0; i < s.length; i++) {
		const c = s[i];
		out += c === "\"" || c === "\\" ? "\\" + c : c;
	}
	return out + "\"";
}

/**
 * Server side: check credentials against the password (RFC 3261 §22.4). The
 * caller owns nonce issuing and freshness; this only verifies the digest.
 */
export function verifyDigest(hash: HashFunction, credentials: AuthValue, method: string, password: string, expectedRealm: string): boolean {
	if (credentials.scheme.toLowerCase() !== "digest")
		return false;
	const alg = algorithmOf(credentials.get("algorithm"));
	const username = credentials.get("username");
	const realm = credentials.get("realm");
	const nonce = credentials.get("nonce");
	const uri = credentials.get("uri");
	const response = credentials.get("response");
	if (!alg || username === undefined || realm !== expectedRealm || nonce === undefined || uri === undefined || response === undefined)
		return false;
	const qop = credentials.get("qop");
	if (qop !== undefined && qop.toLowerCase() !== "auth")
		return false;
	const nc = credentials.get("nc"), cnonce = credentials.get("cnonce");
	if (qop !== undefined && (nc === undefined || cnonce === undefined))
		return false;
	const expected = digestResponse(hash, { algorithm: alg.algorithm, session: alg.session, username, realm, password, nonce, method, uri, qop, nc, cnonce });
	return expected === response.toLowerCase();
}
