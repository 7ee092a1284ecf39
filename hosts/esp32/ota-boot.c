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

void xs_ota_boot_rollback(xsMachine *the)
{
	/* reboots into the previous image; returns only when there is none */
	esp_ota_mark_app_invalid_rollback_and_reboot();
	xsUnknownError("no previous firmware to roll back to");
}

void xs_ota_boot_restart(xsMachine *the)
{
	esp_restart();
}

void xs_ota_boot_running(xsMachine *the)
{
	const esp_app_desc_t *desc = esp_app_get_description();
	char text[sizeof(desc->version) + sizeof(desc->date) + sizeof(desc->time) + 3];
	snprintf(text, sizeof(text), "%.*s %.*s %.*s", (int)sizeof(desc->version), desc->version, (int)sizeof(desc->date), desc->date, (int)sizeof(desc->time), desc->time);
	xsmcSetString(xsResult, text);
}

/* DIAGNOSTIC (temporary): why esp_ota_end refused the next partition's image */
#include "bootloader_support/include/esp_image_format.h"
#include "esp_heap_caps.h"
#include <string.h>
#include <stdlib.h>
extern void *bootloader_sha256_start(void);
extern void bootloader_sha256_finish(void *handle, uint8_t *digest);
void xs_ota_boot_diagnose(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	esp_image_metadata_t meta;
	esp_partition_pos_t pos = { .offset = next->address, .size = next->size };
	uint8_t header[24];
	esp_err_t read = esp_partition_read(next, 0, header, sizeof(header));
	void *sha = bootloader_sha256_start();
	extern int32_t psa_hash_setup(void *operation, uint32_t alg);
	extern int32_t psa_hash_abort(void *operation);
	extern int32_t psa_crypto_init(void);
	uint32_t *op = calloc(1, 1024);
	int32_t setup = psa_hash_setup(op, 0x02000009);
	psa_hash_abort(op);
	int32_t init = psa_crypto_init();
	memset(op, 0, 1024);
	int32_t setup2 = psa_hash_setup(op, 0x02000009);
	psa_hash_abort(op);
	free(op);
	size_t largest = heap_caps_get_largest_free_block(MALLOC_CAP_DEFAULT);
	void *sha2 = bootloader_sha256_start();
	if (sha2)
		bootloader_sha256_finish(sha2, NULL);
	if (sha)
		bootloader_sha256_finish(sha, NULL);
	esp_err_t err = esp_image_verify(ESP_IMAGE_VERIFY, &pos, &meta);
	char text[320];
	snprintf(text, sizeof(text), "setup %ld init %ld setup2 %ld largest %u sha2 %s; next %s at 0x%lx size 0x%lx; read %s magic %02x segs %d hash %d; sha256_start %s; esp_image_verify %s (0x%x)",
		(long)setup, (long)init, (long)setup2, (unsigned)largest, sha2 ? "ok" : "NULL", next->label, (unsigned long)next->address, (unsigned long)next->size, esp_err_to_name(read), header[0], header[1], header[23], sha ? "ok" : "NULL", esp_err_to_name(err), err);
	xsmcSetString(xsResult, text);
}
