/*
 * ESP-IDF's app rollback, which the SDK does not expose (ota-boot.c): is
 * the running firmware on trial, keep it, give it up, restart; which image runs.
 */
export function pending() @ "xs_ota_boot_pending";
export function confirm() @ "xs_ota_boot_confirm";
export function rollback() @ "xs_ota_boot_rollback";
export function restart() @ "xs_ota_boot_restart";
export function running() @ "xs_ota_boot_running";
export function diagnose() @ "xs_ota_boot_diagnose";
