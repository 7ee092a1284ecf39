/*
 * Firmware upgrades on a PC (`npm start`), on the same path as a panel's
 * (modules/update): the "other partition" is a file in the state folder,
 * written as the upload streams, with the ESP-IDF image the checks passed
 * (ota-next.bin; a refused upload leaves none), and the boot state that a
 * panel's otadata holds is ota-state.json: {"state": "pending"} once an
 * image is complete, "confirmed" once the station started with it,
 * "rolled-back" when it did not confirm itself within the minute. A PC runs
 * its Node code, not the image: a restart after an upgrade restarts the
 * station, which confirms itself as a new panel firmware would.
 *
 * The update key is an uncompressed P-256 point in hex (tools/sign-firmware.js
 * public KEY.pem), given with --update-key; without it no upgrade is taken.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { join } from "node:path";
import type { UpdateDevice, UpdateWriter } from "../../modules/update/upgrade.js";
import type { IncrementalDigest } from "../../modules/update/image.js";
import type { BootState } from "../../modules/update/confirm.js";

/** A P-256 public key from its uncompressed point (65 bytes, 04 first), as hex. */
export function updateKey(hex: string): KeyObject {
	const raw = Buffer.from(hex, "hex");
	if (raw.length !== 65 || raw[0] !== 4 || raw.toString("hex") !== hex.toLowerCase())
		throw new Error("an update key is an uncompressed P-256 point: 130 hex digits starting 04 (tools/sign-firmware.js public KEY.pem)");
	return createPublicKey({ key: { kty: "EC", crv: "P-256", x: raw.subarray(1, 33).toString("base64url"), y: raw.subarray(33).toString("base64url") }, format: "jwk" });
}

export function nodeSha256(): IncrementalDigest {
	const hash = createHash("sha256");
	return { write: (bytes) => hash.update(bytes), close: () => new Uint8Array(hash.digest()) };
}

export function nodeVerify(key: KeyObject): (digest: Uint8Array, signature: Uint8Array) => boolean {
	return (digest, signature) => verify("sha256", digest, { key, dsaEncoding: "ieee-p1363" }, signature);
}

export type BootStateName = "pending" | "confirmed" | "rolled-back";

/** The update device and boot state of a PC station, in `folder`. */
export class FileUpdateDevice implements UpdateDevice, BootState {
	#folder: string;

	constructor(folder: string) {
		this.#folder = folder;
		mkdirSync(folder, { recursive: true });
	}

	get imagePath(): string {
		return join(this.#folder, "ota-next.bin");
	}

	get statePath(): string {
		return join(this.#folder, "ota-state.json");
	}

	open(_options: { byteLength: number }): UpdateWriter {
		const partial = this.imagePath + ".part";
		let fd: number | undefined = openSync(partial, "w");
		const end = () => {
			if (fd !== undefined)
				closeSync(fd);
			fd = undefined;
		};
		return {
			write: (bytes) => {
				if (fd === undefined)
					throw new Error("closed");
				writeSync(fd, bytes);
			},
			complete: () => {
				if (fd === undefined)
					throw new Error("closed");
				fsyncSync(fd);
				end();
				renameSync(partial, this.imagePath);
				this.#setState("pending");
			},
			close: () => {
				end();
				// an image never completed is abandoned, as esp_ota_abort leaves the partition unused
				if (existsSync(partial))
					unlinkSync(partial);
			},
		};
	}

	state(): BootStateName | undefined {
		try {
			return (JSON.parse(readFileSync(this.statePath, "utf8")) as { state: BootStateName }).state;
		}
		catch {
			return undefined;
		}
	}

	#setState(state: BootStateName): void {
		writeFileSync(this.statePath + ".tmp", JSON.stringify({ state }) + "\n");
		renameSync(this.statePath + ".tmp", this.statePath);
	}

	pending(): boolean {
		return this.state() === "pending";
	}

	confirm(): void {
		this.#setState("confirmed");
	}

	rollback(): void {
		this.#setState("rolled-back");
	}
}
