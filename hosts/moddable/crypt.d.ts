// The SDK's crypt Digest, which @moddable/typings 5.6.0 does not declare
// (the SDK's own typings/crypt.d.ts has it; mcconfig builds use those).
declare module "crypt" {
	type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";
	export class Digest {
		constructor(type: DigestType);
		write(message: string | ArrayBuffer): void;
		close(): ArrayBuffer;
		reset(): void;
	}
}

