// hosts/moddable/update-verify.js: ECDSA P-256 with SHA-256 on the SDK's crypto.
export default function verifyUpdate(key: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean;
