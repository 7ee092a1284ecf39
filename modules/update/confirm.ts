/*
 * A new firmware confirms itself, or the panel goes back to the old one.
 *
 * After an upgrade the panel boots the new image "pending": on an ESP32
 * built with ESP-IDF's app rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE)
 * the bootloader boots it once in ESP_OTA_IMG_PENDING_VERIFY and, should it
 * reset before it is marked valid, boots the previous one again. This
 * closes the other case, a firmware that runs but never gets as far as
 * working: it has `within` ms (a minute) from boot to confirm, which the
 * device does once SIP and the page are up (ready()); otherwise it is marked
 * invalid and the panel reboots into the previous firmware.
 *
 * The boot state is the host's: a native module of the project's own on a
 * panel (hosts/esp32/ota-boot.c, esp_ota_mark_app_valid_cancel_rollback),
 * a file in the simulator and on Node, which the tests read.
 */
import type { Clock, Log } from "../io/types.js";

export interface BootState {
	/** This firmware was just installed and has not confirmed itself yet. */
	pending(): boolean;
	/** Keep this firmware (cancel the rollback). */
	confirm(): void;
	/** Give this firmware up: back to the previous one (reboots on a panel). */
	rollback(): void;
}

export interface BootConfirmationOptions {
	boot: BootState;
	clock: Clock;
	/** Time from boot to confirm (ms, default 60000). */
	within?: number;
	log?: Log;
}

export class BootConfirmation {
	#o: BootConfirmationOptions;
	#timer: unknown;
	#pending = false;

	constructor(options: BootConfirmationOptions) {
		this.#o = options;
	}

	/** Whether this firmware waits for its confirmation. */
	get pending(): boolean {
		return this.#pending;
	}

	/** At boot: when this firmware is pending, the time to confirm it starts. */
	start(): void {
		const o = this.#o;
		try {
			this.#pending = o.boot.pending();
		}
		catch (e) {
			o.log?.("update: cannot read the boot state: " + String(e));
			this.#pending = false;
		}
		if (!this.#pending || this.#timer !== undefined)
			return;
		const within = o.within ?? 60000;
		o.log?.(`update: new firmware on trial: it must confirm itself within ${Math.round(within / 1000)} s`);
		this.#timer = o.clock.set(() => {
			this.#timer = undefined;
			if (!this.#pending)
				return;
			this.#pending = false;
			o.log?.("update: the new firmware did not confirm itself: rolling back");
			try {
				o.boot.rollback();
			}
			catch (e) {
				o.log?.("update: rollback: " + String(e));
			}
		}, within);
	}

	/**
	 * The station works (SIP and the page are up): keep this firmware. If it
	 * cannot be marked valid, the minute runs on and it is rolled back, as a
	 * reset would do (ESP-IDF goes back from an image still pending).
	 */
	ready(): void {
		const o = this.#o;
		if (!this.#pending) {
			this.#clear();
			return;
		}
		try {
			o.boot.confirm();
		}
		catch (e) {
			o.log?.("update: cannot confirm the new firmware: " + String(e));
			return;
		}
		this.#pending = false;
		this.#clear();
		o.log?.("update: new firmware confirmed");
	}

	#clear(): void {
		if (this.#timer !== undefined) {
			this.#o.clock.clear(this.#timer);
			this.#timer = undefined;
		}
	}

	stop(): void {
		if (this.#timer !== undefined) {
			this.#o.clock.clear(this.#timer);
			this.#timer = undefined;
		}
	}
}
