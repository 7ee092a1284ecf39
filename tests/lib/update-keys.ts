/*
 * The firmware tests' own update key pair (a fresh ECDSA P-256 pair per test
 * run: no private key is kept anywhere) and the crypto the firmware's hosts
 * inject: an incremental SHA-256, signing as tools/sign-firmware.js does,
 * and verifying as the Node host does. Node only: inside XS the tests ask it
 * of the Node side (tests/xs/run.js), through globalThis.testUpdateCrypto.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

export interface UpdateCrypto {
	sha256(bytes: Uint8Array): Uint8Array;
	/** ECDSA P-256 with SHA-256 over `digest`, r || s (the signature block's form). */
	sign(digest: Uint8Array, other?: boolean): Uint8Array;
	verify(digest: Uint8Array, signature: Uint8Array): boolean;
	/** The public key as the firmware keeps it: the uncompressed point, 65 bytes. */
	publicKey(): Uint8Array;
}

/** The uncompressed point (0x04 || x || y) of a P-256 public key. */
export function rawPublicKey(key: KeyObject): Uint8Array {
	const der = key.export({ type: "spki", format: "der" });
	return new Uint8Array(der.subarray(der.length - 65));
}

/** A P-256 public key from its uncompressed point. */
export function publicKeyOf(raw: Uint8Array): KeyObject {
	if (raw.length !== 65 || raw[0] !== 4)
		throw new Error("an update key is an uncompressed P-256 point: 65 bytes, 04 first");
	const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
	return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64(raw.subarray(1, 33)), y: b64(raw.subarray(33)) }, format: "jwk" });
}

export function updateCrypto(): UpdateCrypto {
	const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
	const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
	return {
		sha256: (bytes) => new Uint8Array(createHash("sha256").update(bytes).digest()),
		sign: (digest, useOther) => new Uint8Array(sign("sha256", digest, { key: (useOther ? other : pair).privateKey, dsaEncoding: "ieee-p1363" })),
		verify: (digest, signature) => verify("sha256", digest, { key: pair.publicKey, dsaEncoding: "ieee-p1363" }, signature),
		publicKey: () => rawPublicKey(pair.publicKey),
	};
}
