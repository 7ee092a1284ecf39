/*
 * A panel's update device (the module "host/update" on esp32): the SDK's
 * `embedded:update` writing the next OTA partition ("nextota": the one
 * ESP-IDF's esp_ota_get_next_update_partition names) as the upload streams
 * (esp_ota_begin with sequential writes: each sector erased as it is
 * reached), and the boot state through the project's native module
 * hosts/esp32/ota-boot (the SDK has no call for ESP-IDF's rollback). The
 * manifest splits the app partition in two (`ota.autosplit`) and the
 * targets' sdkconfig enables CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE, so that
 * a new image boots "pending verify" and, unless it confirms itself, the
 * bootloader goes back to the previous one at the next reset.
 */
import OTA from "embedded:update";
import flash from "embedded:storage/flash";
import { confirm, diagnose, pending, restart, rollback, running } from "ota-boot";
import type { UpdateWriter } from "update/upgrade";
import config from "mc/config";

/**
 * The test of the rollback (tests/esp32/update.test.ts) needs a build that
 * runs but does not confirm itself: mcconfig updateConfirm=0 makes one
 * (only test builds set it); the minute then runs out and it is rolled back.
 */
const confirmation = (config as { updateConfirm?: unknown }).updateConfirm === 0 || (config as { updateConfirm?: unknown }).updateConfirm === "0"
	? () => { throw new Error("this build does not confirm itself (updateConfirm=0)"); }
	: confirm;

const update = Object.freeze({
	/** The next OTA partition's size (0x1f0000 on a 4 MB panel). */
	get maxSize(): number {
		const partition = flash.open({ path: "nextota" });
		try {
			return partition.status().size;
		}
		finally {
			partition.close();
		}
	},
	open(_options: { byteLength: number }): UpdateWriter {
		const writer = OTA.open({ partition: flash.open({ path: "nextota" }) }) as unknown as UpdateWriter;
		return {
			write: (bytes: Uint8Array) => writer.write(bytes),
			close: () => writer.close(),
			complete() {
				// esp_ota_end checks the image again (header, segments, checksum, SHA-256) and
				// esp_ota_set_boot_partition switches: timed for the upgrade's log; the SDK says
				// only "end failed" when ESP-IDF refuses, so ESP-IDF's own reason is added
				const started = Date.now();
				try {
					writer.complete();
				}
				catch (e) {
					let why = "";
					try {
						why = diagnose();
					}
					catch {
						// nothing more to say
					}
					throw new Error(String((e as Error).message ?? e) + (why ? ` (${why})` : ""));
				}
				trace(`update: ESP-IDF verified the image and switched in ${Date.now() - started} ms\n`);
			},
		};
	},
	pending,
	confirm: confirmation,
	rollback,
	restart,
	/** The running image (its app descriptor): which firmware runs after an upgrade. */
	running,
});
export default update;
