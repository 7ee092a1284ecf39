/*
 * A streaming check of a firmware upload: an ESP-IDF application image
 * followed by portier's signature block, fed chunk by chunk as it arrives,
 * never held whole (a panel has about 100 KB of RAM for a 1.5 MB image).
 *
 * The ESP-IDF app image format (ESP-IDF "App Image Format",
 * components/bootloader_support/include/esp_app_format.h and
 * esp_image_format.c), as the bootloader checks it before booting:
 *
 *   esp_image_header_t, 24 bytes: magic 0xE9, segment_count, spi_mode,
 *     spi_speed/spi_size, entry_addr (u32), wp_pin, spi_pin_drv[3],
 *     chip_id (u16 at offset 12; ESP32 = 0), min_chip_rev, min_chip_rev_full
 *     (u16), max_chip_rev_full (u16), reserved[4], hash_appended (offset 23)
 *   segment_count times: esp_image_segment_header_t (load_addr u32,
 *     data_len u32), then data_len bytes; data_len is a multiple of 4
 *     (verify_segment_header refuses "unaligned" lengths) and at most 16
 *     segments (ESP_IMAGE_MAX_SEGMENTS)
 *   zero padding, then the checksum byte, placed so that the image up to and
 *     including it is a multiple of 16 bytes; it is 0xEF XORed with every
 *     byte of every segment's data (not the headers)
 *   when hash_appended is 1: the SHA-256 of everything before it (32 bytes)
 *
 * The first segment starts with the esp_app_desc_t (magic word 0xABCD5432,
 * then secure_version, two reserved words, version[32], project_name[32],
 * ...), which ESP-IDF's OTA reads; its version and name are reported.
 *
 * Then portier's signature block (docs/update.md), 76 bytes:
 *   "PSIG" (4), format 1 (1), algorithm 1 = ECDSA P-256 (1), 0 (2),
 *   the image's length (u32, little-endian, everything before the block),
 *   the signature r || s (2 x 32 bytes, big-endian): ECDSA P-256 with
 *   SHA-256 over the message D, the 32-byte SHA-256 of the image up to and
 *   including its checksum byte (what the appended hash covers; that hash
 *   is checked against D, so the signature binds every byte of the image).
 * Signing the image's digest rather than the image lets the device hash
 * once while it streams and lets every host's verify take the same 32 bytes.
 *
 * Everything here is plain code (XS and Node): the SHA-256 arrives as an
 * injected incremental digest.
 */

/** ESP-IDF's image magic (ESP_IMAGE_HEADER_MAGIC). */
export const IMAGE_MAGIC = 0xE9;
/** sizeof(esp_image_header_t). */
export const HEADER_SIZE = 24;
/** sizeof(esp_image_segment_header_t). */
export const SEGMENT_HEADER_SIZE = 8;
/** ESP_IMAGE_MAX_SEGMENTS. */
export const MAX_SEGMENTS = 16;
/** The checksum's seed (ESP_ROM_CHECKSUM_INITIAL). */
export const CHECKSUM_SEED = 0xEF;
/** ESP_APP_DESC_MAGIC_WORD, the first word of the first segment. */
export const APP_DESC_MAGIC = 0xABCD5432;
/** The part of esp_app_desc_t read here: magic, secure_version, reserv1[2], version[32], project_name[32]. */
export const APP_DESC_READ = 80;
/** Chip ids of esp_chip_id_t, for the message when an image is for another chip. */
const CHIP_NAMES = Object.freeze(["ESP32", "?", "ESP32-S2", "?", "?", "ESP32-C3", "ESP32-H4", "?", "?", "ESP32-S3", "?", "?", "ESP32-C2", "ESP32-C6", "?", "?", "ESP32-H2", "?", "ESP32-P4"]);

/** portier's signature block. */
export const SIGNATURE_MAGIC = Object.freeze([0x50, 0x53, 0x49, 0x47]);	// "PSIG"
export const SIGNATURE_FORMAT = 1;
export const SIGNATURE_ECDSA_P256 = 1;
export const SIGNATURE_SIZE = 64;
export const SIGNATURE_BLOCK_SIZE = 12 + SIGNATURE_SIZE;

export function chipName(id: number): string {
	const name = id < CHIP_NAMES.length ? CHIP_NAMES[id] : "?";
	return name === "?" ? "chip " + id : name;
}

/** An incremental SHA-256 (the SDK's crypt Digest on the device, node:crypto on a PC). */
export interface IncrementalDigest {
	write(bytes: Uint8Array): void;
	/** The digest (32 bytes); the digest is done with. */
	close(): Uint8Array;
}

export interface ImageCheckOptions {
	/** The chip this firmware runs on (esp_chip_id_t: ESP32 = 0). */
	chip: number;
	/** The largest upload taken: the OTA partition's size (image and signature block). */
	maxSize: number;
	sha256: IncrementalDigest;
}

/** What is known of an image once checked. */
export interface ImageInfo {
	/** Bytes of the ESP-IDF image (what goes to the partition). */
	imageSize: number;
	segments: number;
	chip: number;
	hashAppended: boolean;
	/** esp_app_desc_t's version and project_name. */
	version: string;
	project: string;
	/** SHA-256 of the image (hex). */
	sha256: string;
}

const enum Step {
	Header,
	SegmentHeader,
	SegmentData,
	Padding,
	Checksum,
	Hash,
	Signature,
	Done,
	Failed,
}

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
	let out = "";
	for (let i = 0; i < bytes.length; i++)
		out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
	return out;
}

function u32(b: Uint8Array, at: number): number {
	return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** A NUL-terminated text field of esp_app_desc_t, printable ASCII only. */
function cString(b: Uint8Array, at: number, size: number): string {
	let out = "";
	for (let i = at; i < at + size && b[i] !== 0; i++)
		out += b[i] >= 0x20 && b[i] < 0x7f ? String.fromCharCode(b[i]) : "?";
	return out;
}

/**
 * Checks an upload as it streams. push() takes each chunk and says how many
 * of its first bytes belong to the ESP-IDF image (the rest is the signature
 * block, which is not written to flash); finish() says whether the upload was
 * whole. The first failure is kept in `error` and every later call refuses.
 * Its memory is fixed: a 24-byte header, the first 80 bytes of the app
 * descriptor, the 32-byte appended hash and the 76-byte signature block.
 */
export class ImageCheck {
	#o: ImageCheckOptions;
	#step = Step.Header;
	/** Bytes taken so far (image and signature block). */
	#offset = 0;
	/** The bytes of the field being gathered (header, segment header, hash, signature block). */
	#field = new Uint8Array(SIGNATURE_BLOCK_SIZE);
	#fieldAt = 0;
	#segments = 0;
	#segment = 0;
	#segmentLeft = 0;
	#checksum = CHECKSUM_SEED;
	#chip = -1;
	#hashAppended = false;
	#desc = new Uint8Array(APP_DESC_READ);
	#descAt = 0;
	#imageSize = 0;
	#digest: Uint8Array | undefined;
	#error = "";

	constructor(options: ImageCheckOptions) {
		this.#o = options;
	}

	/** Why the image was refused ("" while it is fine). */
	get error(): string {
		return this.#error;
	}

	get received(): number {
		return this.#offset;
	}

	/** The signature block's signature and the image's SHA-256, once finish() succeeded. */
	get signature(): Uint8Array {
		return this.#field.subarray(12, 12 + SIGNATURE_SIZE);
	}

	get digest(): Uint8Array | undefined {
		return this.#digest;
	}

	#fail(reason: string): number {
		if (this.#step !== Step.Failed) {
			this.#error = reason;
			this.#step = Step.Failed;
			if (!this.#digest) {
				try {
					this.#o.sha256.close();
				}
				catch {
					// the digest is dropped either way
				}
			}
		}
		return -1;
	}

	/**
	 * Take the next chunk. Answers how many of its first bytes are image
	 * bytes (to be written to the partition), or -1 when the upload is refused
	 * (see error).
	 */
	push(chunk: Uint8Array): number {
		if (this.#step === Step.Failed)
			return -1;
		if (this.#offset + chunk.length > this.#o.maxSize)
			return this.#fail(`image too big: more than ${this.#o.maxSize} bytes (the update partition's size)`);
		// the bytes up to the checksum are hashed; those up to the appended hash's end are image bytes
		const hashing = this.#step <= Step.Checksum;
		let imageBytes = this.#step < Step.Signature ? -1 : 0;
		let i = 0;
		while (i < chunk.length) {
			switch (this.#step) {
				case Step.Header: {
					i += this.#gather(chunk, i, HEADER_SIZE);
					if (this.#fieldAt < HEADER_SIZE)
						break;
					const h = this.#field;
					if (h[0] !== IMAGE_MAGIC)
						return this.#fail(`not an ESP-IDF firmware image (first byte 0x${h[0].toString(16)}, expected 0xe9)`);
					this.#segments = h[1];
					if (this.#segments < 1 || this.#segments > MAX_SEGMENTS)
						return this.#fail(`bad image header: ${this.#segments} segments (1-${MAX_SEGMENTS})`);
					this.#chip = h[12] | (h[13] << 8);
					if (this.#chip !== this.#o.chip)
						return this.#fail(`image is for ${chipName(this.#chip)}, this panel is ${chipName(this.#o.chip)}`);
					if (h[23] > 1)
						return this.#fail(`bad image header: hash_appended is ${h[23]}`);
					this.#hashAppended = h[23] === 1;
					this.#fieldAt = 0;
					this.#step = Step.SegmentHeader;
					break;
				}
				case Step.SegmentHeader: {
					i += this.#gather(chunk, i, SEGMENT_HEADER_SIZE);
					if (this.#fieldAt < SEGMENT_HEADER_SIZE)
						break;
					const length = u32(this.#field, 4);
					if ((length & 3) !== 0)
						return this.#fail(`bad segment ${this.#segment}: length ${length} is not a multiple of 4`);
					if (this.#offset + i + length > this.#o.maxSize)
						return this.#fail(`image too big: segment ${this.#segment} of ${length} bytes goes beyond the update partition's ${this.#o.maxSize} bytes`);
					this.#segmentLeft = length;
					this.#fieldAt = 0;
					this.#step = length ? Step.SegmentData : this.#nextSegment();
					break;
				}
				case Step.SegmentData: {
					const n = Math.min(this.#segmentLeft, chunk.length - i);
					let sum = this.#checksum;
					for (let k = i; k < i + n; k++)
						sum ^= chunk[k];
					this.#checksum = sum;
					if (this.#segment === 0 && this.#descAt < APP_DESC_READ) {
						const m = Math.min(n, APP_DESC_READ - this.#descAt);
						this.#desc.set(chunk.subarray(i, i + m), this.#descAt);
						this.#descAt += m;
					}
					i += n;
					this.#segmentLeft -= n;
					if (!this.#segmentLeft)
						this.#step = this.#nextSegment();
					break;
				}
				case Step.Padding: {
					// zeros up to the checksum byte, which ends a 16-byte block
					const at = this.#offset + i;
					if ((at & 15) === 15) {
						this.#step = Step.Checksum;
						break;
					}
					if (chunk[i] !== 0)
						return this.#fail(`bad image: padding byte at ${at} is not 0`);
					i++;
					break;
				}
				case Step.Checksum: {
					if (chunk[i] !== this.#checksum)
						return this.#fail(`bad image checksum: 0x${chunk[i].toString(16)}, the segments give 0x${this.#checksum.toString(16)}`);
					i++;
					this.#imageSize = this.#offset + i;
					// the digest covers the image up to its checksum (what the appended hash covers)
					this.#o.sha256.write(chunk.subarray(0, i));
					this.#digest = this.#o.sha256.close();
					this.#fieldAt = 0;
					if (this.#hashAppended)
						this.#step = Step.Hash;
					else {
						imageBytes = i;
						this.#step = Step.Signature;
					}
					break;
				}
				case Step.Hash: {
					i += this.#gather(chunk, i, 32);
					if (this.#fieldAt < 32)
						break;
					this.#imageSize += 32;
					imageBytes = i;
					const digest = this.#digest!;
					for (let k = 0; k < 32; k++) {
						if (digest[k] !== this.#field[k])
							return this.#fail("bad image: its appended SHA-256 does not match its contents (damaged in transfer?)");
					}
					this.#fieldAt = 0;
					this.#step = Step.Signature;
					break;
				}
				case Step.Signature:
					i += this.#gather(chunk, i, SIGNATURE_BLOCK_SIZE);
					if (this.#fieldAt === SIGNATURE_BLOCK_SIZE)
						this.#step = Step.Done;
					break;
				case Step.Done:
					return this.#fail("data after the signature block");
			}
		}
		if (hashing && this.#step <= Step.Checksum)
			this.#o.sha256.write(chunk);
		this.#offset += chunk.length;
		return imageBytes < 0 ? chunk.length : imageBytes;
	}

	#nextSegment(): Step {
		this.#segment++;
		if (this.#segment < this.#segments)
			return Step.SegmentHeader;
		return Step.Padding;
	}

	/** Copy up to `size` bytes of the field being gathered; the count taken. */
	#gather(chunk: Uint8Array, at: number, size: number): number {
		const n = Math.min(size - this.#fieldAt, chunk.length - at);
		this.#field.set(chunk.subarray(at, at + n), this.#fieldAt);
		this.#fieldAt += n;
		return n;
	}

	/**
	 * The upload ended: whether it was a whole image with its signature block
	 * (the signature itself is checked by the caller, with the firmware's key).
	 */
	finish(): ImageInfo | undefined {
		if (this.#step === Step.Failed)
			return undefined;
		if (this.#step !== Step.Done) {
			const what = this.#step === Step.Signature ? (this.#fieldAt ? "the signature block is cut short" : "no signature block: sign the image with tools/sign-firmware.js")
				: `the image is cut short at ${this.#offset} bytes (in ${this.#step === Step.Header ? "its header" : this.#step === Step.Hash ? "its SHA-256" : "segment " + Math.min(this.#segment, this.#segments - 1)})`;
			this.#fail(what);
			return undefined;
		}
		const b = this.#field;
		for (let k = 0; k < 4; k++) {
			if (b[k] !== SIGNATURE_MAGIC[k]) {
				this.#fail("no signature block after the image: sign it with tools/sign-firmware.js");
				return undefined;
			}
		}
		if (b[4] !== SIGNATURE_FORMAT || b[5] !== SIGNATURE_ECDSA_P256) {
			this.#fail(`unknown signature block (format ${b[4]}, algorithm ${b[5]})`);
			return undefined;
		}
		if (u32(b, 8) !== this.#imageSize) {
			this.#fail(`the signature block is for an image of ${u32(b, 8)} bytes, this one has ${this.#imageSize}`);
			return undefined;
		}
		const d = this.#desc;
		if (this.#descAt < APP_DESC_READ || u32(d, 0) !== APP_DESC_MAGIC) {
			this.#fail("not an application image: its first segment has no esp_app_desc_t");
			return undefined;
		}
		return {
			imageSize: this.#imageSize, segments: this.#segments, chip: this.#chip, hashAppended: this.#hashAppended,
			version: cString(d, 16, 32), project: cString(d, 48, 32), sha256: toHex(this.#digest!),
		};
	}
}
