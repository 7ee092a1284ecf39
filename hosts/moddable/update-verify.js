/*
 * A firmware upgrade's signature check on the SDK's public-key crypto: its
 * ECDSA (modules/crypt/etc/ecdsa.js) over the P-256 curve (curve.js,
 * arith/ecp.js), as its TLS stack verifies certificates. JavaScript, with
 * its declaration beside it (update-verify.d.ts): the SDK declares none of
 * these modules. Everything is made per call: nothing stays in the heap.
 *
 * key: the uncompressed P-256 point (65 bytes); digest: the image's SHA-256
 * (the signed message, hashed again with SHA-256 as ECDSA-with-SHA-256 does);
 * signature: r || s, 64 bytes.
 */
import ECDSA from "ecdsa";
import Curve from "curve";
import ECPoint from "ecp";
import { Digest } from "crypt";

export default function verifyUpdate(key, digest, signature) {
	const hash = new Digest("SHA256");
	hash.write(digest);
	return new ECDSA(ECPoint.fromOctetString(key), new Curve("secp256r1")).verify(hash.close(), signature.slice().buffer);
}
