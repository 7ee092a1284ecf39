/*
 * The running firmware's OTA state (ESP-IDF app rollback,
 * CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE): after an upgrade the bootloader
 * starts the new image in ESP_OTA_IMG_PENDING_VERIFY; it stays only once
 * esp_ota_mark_app_valid_cancel_rollback() is called, and a reset before
 * that makes the bootloader mark it aborted and boot the previous image.
 * modules/update/confirm.ts calls confirm once the station is up, and
 * rollback when a minute has passed without. `running` names the image
 * that runs (its app descriptor's version, build date and time), so that
 * the page tells one firmware from another after an upgrade.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "app_update/include/esp_ota_ops.h"	/* as the SDK's update-esp32.c includes it: the app_update component is not on the include path */
#include "esp_system.h"
#include <stdio.h>

void xs_ota_boot_pending(xsMachine *the)
{
	esp_ota_img_states_t state;
	const esp_partition_t *running = esp_ota_get_running_partition();
	xsmcSetBoolean(xsResult, running && (ESP_OK == esp_ota_get_state_partition(running, &state)) && (ESP_OTA_IMG_PENDING_VERIFY == state));
}

void xs_ota_boot_confirm(xsMachine *the)
{
	if (ESP_OK != esp_ota_mark_app_valid_cancel_rollback())
		xsUnknownError("cannot mark the firmware valid");
}

/*
 * A panel restarts with esp_restart(): a CPU reset, after ESP-IDF has reset
 * the chip's peripherals. In QEMU's esp32 machine a CPU reset now and then
 * leaves the next start-up to panic (InstrFetchProhibited at PC 0, in the
 * first interrupt of esp_timer_init; after an upgrade, every time), so the
 * emulation target (manifest define ota.systemReset) resets the whole
 * system instead, as a power-on would: QEMU then restarts through its
 * watchdog (TG0WDT_SYS_RESET) and the new firmware starts. A rollback
 * restarts the same way. (docs/update.md, "On an emulated ESP32")
 */
#include "mc.defines.h"
#include "esp_rom_sys.h"

static void restart(void)
{
#if MODDEF_OTA_SYSTEMRESET
	esp_rom_software_reset_system();
#else
	esp_restart();
#endif
}

void xs_ota_boot_restart(xsMachine *the)
{
	restart();
}

void xs_ota_boot_rollback(xsMachine *the)
{
	/* marks this image invalid and reboots into the previous one (esp_ota_mark_app_invalid_rollback_and_reboot,
	   with the restart above); fails only when there is no previous one */
	if (ESP_OK != esp_ota_mark_app_invalid_rollback())
		xsUnknownError("no previous firmware to roll back to");
	restart();
}

void xs_ota_boot_running(xsMachine *the)
{
	const esp_app_desc_t *desc = esp_app_get_description();
	char text[sizeof(desc->version) + sizeof(desc->date) + sizeof(desc->time) + 3];
	snprintf(text, sizeof(text), "%.*s %.*s %.*s", (int)sizeof(desc->version), desc->version, (int)sizeof(desc->date), desc->date, (int)sizeof(desc->time), desc->time);
	xsmcSetString(xsResult, text);
}

/*
 * Why ESP-IDF refused the image just written to the next OTA partition: the
 * SDK's complete() throws "end failed" whatever esp_ota_end() said, and
 * esp_image_verify() fails silently in some cases (no SHA-256: see the
 * targets' sdkconfig, CONFIG_MBEDTLS_HARDWARE_SHA). Run again on the
 * partition, with whether PSA Crypto hashes SHA-256, for the upgrade's log.
 */
#include "bootloader_support/include/esp_image_format.h"
#include <stdlib.h>

extern int32_t psa_hash_setup(void *operation, uint32_t alg);
extern int32_t psa_hash_abort(void *operation);

void xs_ota_boot_diagnose(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	if (!next)
		xsUnknownError("no next OTA partition");
	esp_image_metadata_t meta;
	esp_partition_pos_t pos = { .offset = next->address, .size = next->size };
	esp_err_t err = esp_image_verify(ESP_IMAGE_VERIFY, &pos, &meta);
	/* psa_hash_operation_t, zeroed as psa_hash_operation_init() gives it: smaller than 1 KB */
	void *operation = calloc(1, 1024);
	int32_t sha = operation ? psa_hash_setup(operation, 0x02000009 /* PSA_ALG_SHA_256 */) : 1;
	if (operation) {
		psa_hash_abort(operation);
		free(operation);
	}
	char text[96];
	snprintf(text, sizeof(text), "esp_image_verify(%s at 0x%lx): 0x%x; psa_hash_setup(SHA-256): %ld", next->label, (unsigned long)next->address, err, (long)sha);
	xsmcSetString(xsResult, text);
}
