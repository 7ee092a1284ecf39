/*
 * The simulator's update device (the module "host/update" on lin): the same
 * shape as a panel's (hosts/esp32/update.ts over the SDK's
 * `embedded:update`), so that an upload in the simulator runs the firmware's
 * whole upgrade path, with files in the run's working folder (the manifest's
 * `config.file.root`) in place of flash:
 *
 *   ota-next.bin.part  the "other partition" while an upload streams in;
 *                      deleted by close() before complete() (esp_ota_abort)
 *   ota-next.bin       the image once complete() was called
 *                      (esp_ota_end + esp_ota_set_boot_partition)
 *   ota-state          the boot state a panel's otadata keeps: "pending"
 *                      from complete() until the firmware confirms itself,
 *                      then "confirmed" (esp_ota_mark_app_valid_cancel_rollback),
 *                      or "rolled-back"
 *
 * tests/sim/update.test.ts reads them. The simulator cannot boot an ESP32
 * image: its restart is the station's soft reboot, after which the
 * firmware finds itself pending and confirms itself as a new panel
 * firmware does.
 */
import { File } from "file";
import config from "mc/config";
import type { UpdateWriter } from "update/upgrade";

const ROOT = String((config as unknown as { file?: { root?: string } }).file?.root ?? "./");
const PART = ROOT + "ota-next.bin.part";
const IMAGE = ROOT + "ota-next.bin";
const STATE = ROOT + "ota-state";

function setState(state: string): void {
	const fresh = STATE + ".new";
	if (File.exists(fresh))
		File.delete(fresh);
	const file = new File(fresh, true);
	try {
		file.write(state);
	}
	finally {
		file.close();
	}
	File.rename(fresh, "ota-state");
}

function readState(): string {
	if (!File.exists(STATE))
		return "";
	const file = new File(STATE);
	try {
		return file.read(String);
	}
	finally {
		file.close();
	}
}

const update = Object.freeze({
	/** The size of a 4 MB panel's update partition (mcconfig's OTA autosplit: docs/update.md). */
	maxSize: 0x1f0000,
	open(_options: { byteLength: number }): UpdateWriter {
		if (File.exists(PART))
			File.delete(PART);
		let file: File | undefined = new File(PART, true);
		const finish = () => {
			file?.close();
			file = undefined;
		};
		return {
			write(bytes: Uint8Array) {
				if (!file)
					throw new Error("closed");
				// the SDK's File writes ArrayBuffers only
				file.write(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer);
			},
			complete() {
				if (!file)
					throw new Error("closed");
				finish();
				if (File.exists(IMAGE))
					File.delete(IMAGE);
				File.rename(PART, "ota-next.bin");
				setState("pending");
			},
			close() {
				finish();
				if (File.exists(PART))
					File.delete(PART);
			},
		};
	},
	pending(): boolean {
		return readState() === "pending";
	},
	confirm(): void {
		setState("confirmed");
	},
	rollback(): void {
		setState("rolled-back");
	},
	/** No hard restart in the simulator: the station's soft reboot stands in. */
	restart: undefined,
});
export default update;
