/*
 * The live configuration: loaded from the store at start, changed only by a
 * complete, valid update that has been saved first. A rejected change (bad
 * value, unknown field, storage failure) leaves both the stored and the live
 * configuration as they were.
 */
import type { Log } from "../io/types.js";
import { type DeviceConfig, deviceDefaults, validateDevice } from "./device.js";
import { DEVICE_SCHEMA } from "./schema.js";
import type { ConfigStore } from "./store.js";
import { type FieldError, merge, withDefaults } from "./values.js";

export interface UpdateResult {
	errors: FieldError[];
	/** Set when the storage failed: nothing was changed. */
	failure?: string;
}

export class Settings {
	#store: ConfigStore;
	#config: DeviceConfig;
	#listeners: Array<(config: DeviceConfig, previous: DeviceConfig) => void> = [];
	#log: Log | undefined;

	constructor(options: { store: ConfigStore; log?: Log }) {
		this.#store = options.store;
		this.#log = options.log;
		const loaded = options.store.load();
		this.#config = loaded.config;
		if (loaded.reset.length)
			options.log?.("config: reset to defaults: " + loaded.reset.join(", "));
		options.log?.("config: " + (loaded.source === "stored" ? "loaded the stored configuration" : "factory defaults"));
		for (const note of loaded.notes)
			options.log?.("config: updated from version " + loaded.version + ": " + note);
		if (loaded.source === "stored" && loaded.notes.length) {
			// written back at once, so the change is made (and logged) once
			try {
				options.store.save(loaded.config);
			}
			catch (e) {
				options.log?.("config: cannot save the updated configuration: " + String(e));
			}
		}
	}

	get config(): DeviceConfig {
		return this.#config;
	}

	/** Listen to changes (after they are saved). */
	onChange(listener: (config: DeviceConfig, previous: DeviceConfig) => void): void {
		this.#listeners.push(listener);
	}

	/** A partial update: objects merge, lists and values are replaced, secrets sent as null are kept. */
	update(patch: unknown): UpdateResult {
		return this.#commit(this.#config, patch);
	}

	/**
	 * Import a whole configuration: what it leaves out gets the default;
	 * secrets sent as null (as an export writes them) are kept, in lists too.
	 */
	replace(config: unknown): UpdateResult {
		return this.#commit(this.#config, withDefaults(DEVICE_SCHEMA, config));
	}

	/** Factory reset: the stored copy goes, the defaults apply. */
	reset(): UpdateResult {
		try {
			this.#store.clear();
		}
		catch (e) {
			return { errors: [], failure: String(e) };
		}
		this.#set(deviceDefaults());
		return { errors: [] };
	}

	#commit(base: DeviceConfig, patch: unknown): UpdateResult {
		const errors: FieldError[] = [];
		const next = merge(DEVICE_SCHEMA, base, patch, "", errors) as DeviceConfig;
		if (errors.length)
			return { errors };
		const invalid = validateDevice(next);
		if (invalid.length)
			return { errors: invalid };
		try {
			this.#store.save(next);
		}
		catch (e) {
			this.#log?.("config: cannot save: " + String(e));
			return { errors: [], failure: String(e) };
		}
		this.#set(next);
		return { errors: [] };
	}

	#set(next: DeviceConfig): void {
		const previous = this.#config;
		this.#config = next;
		for (const l of this.#listeners) {
			try {
				l(next, previous);
			}
			catch (e) {
				this.#log?.("config: listener: " + String(e));
			}
		}
	}
}
