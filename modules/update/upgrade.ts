/*
 * A firmware upgrade as it streams in: each chunk is checked (image.ts) and
 * its image bytes are written at once to the update device, the other OTA
 * partition (the SDK's `embedded:update` on a panel: `open()` gives a writer
 * with write(), complete() and close()); only when the whole upload is in,
 * its SHA-256 matches and its signature verifies with the firmware's key is
 * complete() called, which on a panel makes the new partition the one to
 * boot. Any failure closes the writer without completing it (on a panel
 * esp_ota_abort: the running firmware stays the boot partition) and says why.
 *
 * One upgrade at a time (Updater); an upgrade that hears nothing for 30 s is
 * given up. Nothing of this exists until an upload begins.
 */
import type { Clock, Log } from "../io/types.js";
import { ImageCheck, type ImageInfo, type IncrementalDigest, SIGNATURE_BLOCK_SIZE, HEADER_SIZE } from "./image.js";

/** The writer `embedded:update`'s open() gives (ECMA-419 style). */
export interface UpdateWriter {
	write(bytes: Uint8Array): void;
	/** The image is whole: make it the one to boot. */
	complete(): void;
	/** Done with it; before complete(), the partition is abandoned. */
	close(): void;
}

export interface UpdateDevice {
	/** Start writing the other partition (the host names the partition). */
	open(options: { byteLength: number }): UpdateWriter;
}

export interface UpdaterOptions {
	device: UpdateDevice;
	/** A fresh incremental SHA-256. */
	sha256: () => IncrementalDigest;
	/**
	 * Whether `signature` (r || s, 64 bytes) is the firmware's key's ECDSA P-256
	 * signature, with SHA-256, of the 32 bytes `digest`. Absent: the firmware has
	 * no key built in, and every upload is refused.
	 */
	verify?: (digest: Uint8Array, signature: Uint8Array) => boolean;
	/** This panel's chip (esp_chip_id_t: ESP32 = 0). */
	chip: number;
	/** The update partition's size (bytes). */
	maxSize: number;
	clock: Clock;
	log?: Log;
	/** Give up an upgrade that hears nothing for this long (ms, default 30000). */
	idle?: number;
}

export type UpgradeResult = { ok: true; info: ImageInfo } | { ok: false; error: string };

export class Upgrade {
	#updater: Updater;
	#o: UpdaterOptions;
	#check: ImageCheck;
	#writer: UpdateWriter | undefined;
	#error = "";
	#timer: unknown;
	#heard: number;
	#done = false;

	/** @internal made by Updater.begin */
	constructor(updater: Updater, options: UpdaterOptions, writer: UpdateWriter) {
		this.#updater = updater;
		this.#o = options;
		this.#writer = writer;
		this.#check = new ImageCheck({ chip: options.chip, maxSize: options.maxSize, sha256: options.sha256() });
		this.#heard = options.clock.now();
		const idle = options.idle ?? 30000;
		const watch = () => {
			this.#timer = undefined;
			if (this.#done)
				return;
			const quiet = options.clock.now() - this.#heard;
			if (quiet >= idle)
				this.abort(`upload stalled: nothing for ${Math.round(idle / 1000)} s`);
			else
				this.#timer = options.clock.set(watch, idle - quiet);
		};
		this.#timer = options.clock.set(watch, idle);
	}

	/** Bytes received so far. */
	get received(): number {
		return this.#check.received;
	}

	/** Why it failed ("" while it has not). */
	get error(): string {
		return this.#error;
	}

	/** The next chunk of the upload. Never throws; a failure is kept for end(). */
	write(chunk: Uint8Array): void {
		if (this.#done || this.#error)
			return;
		this.#heard = this.#o.clock.now();
		const image = this.#check.push(chunk);
		if (image < 0) {
			this.#stop(this.#check.error);
			return;
		}
		if (image > 0) {
			try {
				this.#writer!.write(image === chunk.length ? chunk : chunk.subarray(0, image));
			}
			catch (e) {
				this.#stop("cannot write the update partition: " + String(e));
			}
		}
	}

	/** The upload ended: check what is left and, when everything holds, switch to the new firmware. */
	end(): UpgradeResult {
		if (this.#done)
			return { ok: false, error: this.#error || "the upgrade has ended" };
		if (!this.#error) {
			const info = this.#check.finish();
			if (!info)
				this.#stop(this.#check.error);
			else if (!this.#o.verify)
				this.#stop("this firmware has no update key built in: it takes no upgrade");
			else {
				let good = false;
				try {
					good = this.#o.verify(this.#check.digest!, this.#check.signature);
				}
				catch (e) {
					this.#o.log?.("update: verify: " + String(e));
				}
				if (!good)
					this.#stop("wrong signature: the image is not signed with this firmware's update key");
				else {
					try {
						this.#writer!.complete();
					}
					catch (e) {
						this.#stop("the update partition refused the image: " + String(e));
					}
					if (!this.#error) {
						this.#finish();
						this.#o.log?.(`update: ${info.project} ${info.version} (${info.imageSize} bytes) written: it boots next`);
						return { ok: true, info };
					}
				}
			}
		}
		this.#finish();
		return { ok: false, error: this.#error };
	}

	/** Give the upgrade up (the connection broke, it stalled): the partition is abandoned. */
	abort(reason: string): void {
		if (this.#done)
			return;
		this.#stop(reason);
		this.#finish();
	}

	#stop(reason: string): void {
		if (this.#error)
			return;
		this.#error = reason;
		this.#o.log?.("update: refused: " + reason);
		this.#close();
	}

	#close(): void {
		const writer = this.#writer;
		this.#writer = undefined;
		try {
			writer?.close();
		}
		catch (e) {
			this.#o.log?.("update: close: " + String(e));
		}
	}

	#finish(): void {
		this.#done = true;
		this.#close();
		if (this.#timer !== undefined) {
			this.#o.clock.clear(this.#timer);
			this.#timer = undefined;
		}
		this.#updater.ended(this);
	}
}

/** One upgrade at a time. */
export class Updater {
	#o: UpdaterOptions;
	#current: Upgrade | undefined;

	constructor(options: UpdaterOptions) {
		this.#o = options;
	}

	get busy(): boolean {
		return this.#current !== undefined;
	}

	/**
	 * Begin an upgrade of `length` bytes (the upload's Content-Length): an
	 * Upgrade, or why not (a string) before anything is written.
	 */
	begin(length: number): Upgrade | string {
		const o = this.#o;
		if (this.#current)
			return "another upgrade is under way";
		if (!o.verify)
			return "this firmware has no update key built in: it takes no upgrade";
		if (!Number.isInteger(length) || length < HEADER_SIZE + SIGNATURE_BLOCK_SIZE)
			return "the upload is too short to be a signed firmware image";
		if (length > o.maxSize)
			return `image too big: ${length} bytes, the update partition holds ${o.maxSize}`;
		let writer: UpdateWriter;
		try {
			writer = o.device.open({ byteLength: length });
		}
		catch (e) {
			return "cannot open the update partition: " + String(e);
		}
		this.#current = new Upgrade(this, o, writer);
		o.log?.(`update: receiving ${length} bytes`);
		return this.#current;
	}

	/** @internal */
	ended(upgrade: Upgrade): void {
		if (this.#current === upgrade)
			this.#current = undefined;
	}
}
