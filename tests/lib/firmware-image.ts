/*
 * ESP-IDF application images built by the tests, byte for byte as ESP-IDF's
 * esptool elf2image lays them out (esp_app_format.h; see
 * modules/update/image.ts): the 24-byte header, segments with their 8-byte
 * headers (the first starting with an esp_app_desc_t), zero padding to the
 * checksum byte that ends a 16-byte block, the optional SHA-256, and
 * portier's signature block, signed with the tests' own key pair
 * (tests/lib/update-keys.ts). Plain code: runs under Node and inside XS.
 */
import { APP_DESC_MAGIC, CHECKSUM_SEED, SIGNATURE_BLOCK_SIZE, SIGNATURE_ECDSA_P256, SIGNATURE_FORMAT, SIGNATURE_MAGIC } from "../../modules/update/image.js";

export interface TestUpdateCrypto {
	sha256(bytes: Uint8Array): Uint8Array;
	sign(digest: Uint8Array, other?: boolean): Uint8Array;
	verify(digest: Uint8Array, signature: Uint8Array): boolean;
	publicKey(): Uint8Array;
}

export function testCrypto(): TestUpdateCrypto {
	const c = (globalThis as { testUpdateCrypto?: TestUpdateCrypto }).testUpdateCrypto;
	if (!c)
		throw new Error("no update crypto installed (tests/lib/node-fixtures, tests/xs/run.js)");
	return c;
}

export interface ImageOptions {
	chip?: number;
	/** Data bytes of each segment (multiples of 4); the first holds the app descriptor. */
	segments?: number[];
	hashAppended?: boolean;
	version?: string;
	project?: string;
}

function put32(b: Uint8Array, at: number, v: number): void {
	b[at] = v & 255;
	b[at + 1] = (v >>> 8) & 255;
	b[at + 2] = (v >>> 16) & 255;
	b[at + 3] = (v >>> 24) & 255;
}

function putText(b: Uint8Array, at: number, text: string): void {
	for (let i = 0; i < text.length; i++)
		b[at + i] = text.charCodeAt(i);
}

/** An ESP-IDF app image (no signature block). */
export function espImage(o: ImageOptions = {}): Uint8Array {
	const segments = o.segments ?? [4096, 1000, 2048];
	let size = 24;
	for (const s of segments)
		size += 8 + s;
	const unpadded = size;
	size = (unpadded + 1 + 15) & ~15;
	const hashed = size;
	if (o.hashAppended ?? true)
		size += 32;
	const b = new Uint8Array(size);
	b[0] = 0xE9;
	b[1] = segments.length;
	b[2] = 2;	// DIO
	b[3] = 0x20;	// 40 MHz, 4 MB
	put32(b, 4, 0x400810a0);	// entry
	b[8] = 0xEE;	// wp_pin: not used
	b[12] = o.chip ?? 0;
	b[13] = 0;
	b[23] = (o.hashAppended ?? true) ? 1 : 0;
	let at = 24;
	let sum = CHECKSUM_SEED;
	let seed = 12345;
	const loads = [0x3f400020, 0x3ffb0000, 0x40080000, 0x400d0020];
	for (let n = 0; n < segments.length; n++) {
		put32(b, at, loads[n % loads.length]);
		put32(b, at + 4, segments[n]);
		at += 8;
		for (let i = 0; i < segments[n]; i++) {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			b[at + i] = seed >>> 16 & 255;
		}
		if (n === 0) {
			put32(b, at, APP_DESC_MAGIC);
			put32(b, at + 4, 0);
			b.fill(0, at + 8, at + Math.min(256, segments[0]));	// the rest of esp_app_desc_t (time, date, idf_ver...)
			putText(b, at + 16, o.version ?? "0.2.0");
			putText(b, at + 48, o.project ?? "portier");
		}
		for (let i = 0; i < segments[n]; i++)
			sum ^= b[at + i];
		at += segments[n];
	}
	b[hashed - 1] = sum;
	if (o.hashAppended ?? true)
		b.set(testCrypto().sha256(b.subarray(0, hashed)), hashed);
	return b;
}

/** The image followed by its signature block (signed with the tests' key, or another). */
export function signedImage(image: Uint8Array, o: { otherKey?: boolean } = {}): Uint8Array {
	const c = testCrypto();
	// the signature covers the SHA-256 of the image up to its checksum (what the appended hash covers)
	const hashed = image[23] === 1 ? image.length - 32 : image.length;
	const signature = c.sign(c.sha256(image.subarray(0, hashed)), o.otherKey);
	const out = new Uint8Array(image.length + SIGNATURE_BLOCK_SIZE);
	out.set(image, 0);
	const block = out.subarray(image.length);
	for (let i = 0; i < 4; i++)
		block[i] = SIGNATURE_MAGIC[i];
	block[4] = SIGNATURE_FORMAT;
	block[5] = SIGNATURE_ECDSA_P256;
	put32(block, 8, image.length);
	block.set(signature, 12);
	return out;
}

/**
 * A copy of a real ESP-IDF app image (hash appended) whose app descriptor
 * carries another version (at most 31 characters), its checksum byte and
 * appended SHA-256 made again: the same firmware, told apart after an
 * upgrade by the version the bootloader and the page report.
 */
export function withAppVersion(image: Uint8Array, version: string): Uint8Array {
	if (image[0] !== 0xE9 || image[23] !== 1 || version.length > 31)
		throw new Error("not an ESP-IDF app image with its SHA-256 appended, or the version is too long");
	const b = image.slice();
	const desc = 24 + 8;	// the first segment's data: esp_app_desc_t
	const hashed = b.length - 32;
	let sum = b[hashed - 1];
	for (let i = 0; i < 32; i++) {
		const byte = i < version.length ? version.charCodeAt(i) : 0;
		sum ^= b[desc + 16 + i] ^ byte;
		b[desc + 16 + i] = byte;
	}
	b[hashed - 1] = sum;
	b.set(testCrypto().sha256(b.subarray(0, hashed)), hashed);
	return b;
}
