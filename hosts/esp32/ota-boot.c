/*
 * The running firmware's OTA state (ESP-IDF app rollback,
 * CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE): after an upgrade the bootloader
 * starts the new image in ESP_OTA_IMG_PENDING_VERIFY; it stays only once
 * esp_ota_mark_app_valid_cancel_rollback() is called, and a reset before
 * that makes the bootloader mark it aborted and boot the previous image.
 * modules/update/confirm.ts calls confirm once the station is up, and
 * rollback when a minute has passed without.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "app_update/include/esp_ota_ops.h"	/* as the SDK's update-esp32.c includes it: the app_update component is not on the include path */
#include "esp_system.h"

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
