/*
 * The configuration in flash, saved so that a power cut at any moment leaves
 * the old or the new configuration, never a mix or nothing (SPEC §5).
 *
 * Storage is Preference-shaped (domain, key -> string): on the ESP32 that is
 * NVS, whose values hold at most 4000 bytes and whose keys at most 15
 * characters, so the JSON text is cut into chunks of 3800 ASCII characters
 * (non-ASCII characters are written as \u escapes, so characters are bytes).
 * Two slots, "a" and "b": a save writes the chunks of the slot not in use,
 * then its description (chunk count, length, checksum), and last the one key
 * that says which slot is current. Each Preference write is atomic, so the
 * switch is too. Loading checks the description and falls back to the other
 * slot when the current one does not add up.
 *
 * Stored text is {"version": N, "config": {...}}; an older version is brought
 * up to date by MIGRATIONS, then repaired against the schema (missing fields
 * get defaults; values that no longer fit are reset and reported).
 */
import { type DeviceConfig, validateDevice } from "./device.js";
import { CONFIG_VERSION, DEVICE_SCHEMA, type ObjectNode } from "./schema.js";
import { type FieldError, defaultsOf, repair, resetAt } from "./values.js";

/** What the store needs of the host: the shape of the Moddable SDK's Preference. */
export interface PreferenceStorage {
	get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined;
	set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void;
	delete(domain: string, key: string): void;
}

/**
 * A migration takes the stored config of version N and returns it as
 * version N + 1; it says in `notes` what it changed, for the log: a station
 * that already has a configuration is never changed without the installer
 * being told.
 */
export type Migration = (config: Record<string, unknown>, notes: string[]) => Record<string, unknown>;

function objectAt(config: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
	const value = config[key];
	return value && typeof value === "object" && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/**
 * Version 2, the safe factory settings: door codes have 4-8 keys (the old
 * default "#" opened the door for any caller who pressed one key), and direct
 * IP calls are auto-answered only from the whitelist (trusted callers); door
 * codes count only from trusted callers.
 */
function toVersion2(config: Record<string, unknown>, notes: string[]): Record<string, unknown> {
	const station = objectAt(config, "station");
	if (!station)
		return config;
	const relays = station.relays;
	if (Array.isArray(relays)) {
		for (const relay of relays) {
			const code = relay && typeof relay === "object" ? (relay as Record<string, unknown>).dtmfCode : undefined;
			if (typeof code === "string" && code.length > 0 && code.length < 4) {
				(relay as Record<string, unknown>).dtmfCode = "";
				notes.push(`relay ${String((relay as Record<string, unknown>).id)}: door code "${code}" removed (codes have 4-8 keys now): choose one on the Relay page`);
			}
		}
	}
	const auto = objectAt(station, "autoAnswerIp");
	if (auto?.enabled === true) {
		const list = Array.isArray(station.whitelist) ? station.whitelist : [];
		notes.push(list.length ?
			"direct IP calls are auto-answered only from the whitelist now" :
			"direct IP calls are auto-answered only from the whitelist now, which is empty: add the callers' addresses (or 0.0.0.0/0 for anyone) to answer them");
	}
	notes.push("door codes count only from trusted callers (an account's server, a unit, the whitelist): see \"DTMF door release from\"");
	return config;
}

/** MIGRATIONS[N - 1] brings version N to N + 1. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([toVersion2]);

const CHUNK = 3800;
const MAX_CHUNKS = 16;

export interface LoadResult {
	config: DeviceConfig;
	/** Where it came from: the stored copy, or the factory defaults. */
	source: "stored" | "defaults";
	/** Fields reset to their defaults because the stored value no longer fits. */
	reset: string[];
	/** The stored version before migration. */
	version: number;
	/** What the migrations changed, for the log (empty when none ran). */
	notes: string[];
}

/** FNV-1a over the UTF-16 code units: enough to tell a torn or stale slot (the journal's pages use it too). */
export function checksum(text: string): string {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	return h.toString(16);
}

/** JSON text with every non-ASCII character escaped: one character, one byte. */
function asciiJson(value: unknown): string {
	const json = JSON.stringify(value);
	let ascii = true;
	for (let i = 0; i < json.length && ascii; i++)
		ascii = json.charCodeAt(i) < 0x80;
	if (ascii)
		return json;
	// ASCII runs are kept whole: one array entry per character costs 16 bytes each on
	// XS (a 2.7 KB configuration asked for a 44 KB block, more than an ESP32's heap had free)
	const parts: string[] = [];
	let run = 0;
	for (let i = 0; i < json.length; i++) {
		const c = json.charCodeAt(i);
		if (c >= 0x80) {
			parts.push(json.slice(run, i), "\\u" + c.toString(16).padStart(4, "0"));
			run = i + 1;
		}
	}
	parts.push(json.slice(run));
	return parts.join("");
}

export class ConfigStore {
	#storage: PreferenceStorage;
	#domain: string;
	#schema: ObjectNode;
	#version: number;
	#migrations: readonly Migration[];
	#check: (config: DeviceConfig) => FieldError[];

	constructor(options: { storage: PreferenceStorage; domain?: string; schema?: ObjectNode; version?: number; migrations?: readonly Migration[]; check?: (config: DeviceConfig) => FieldError[] }) {
		this.#storage = options.storage;
		this.#domain = options.domain ?? "portier";
		this.#schema = options.schema ?? DEVICE_SCHEMA;
		this.#version = options.version ?? CONFIG_VERSION;
		this.#migrations = options.migrations ?? MIGRATIONS;
		this.#check = options.check ?? validateDevice;
	}

	/** The stored configuration, or the factory defaults when there is none (or none readable). */
	load(): LoadResult {
		const current = this.#storage.get(this.#domain, "current");
		const first = current === "b" ? "b" : "a";
		for (const slot of [first, first === "a" ? "b" : "a"]) {
			const text = this.#read(slot);
			if (text === undefined)
				continue;
			let stored: { version?: unknown; config?: unknown };
			try {
				stored = JSON.parse(text) as { version?: unknown; config?: unknown };
			}
			catch {
				continue;
			}
			const version = typeof stored.version === "number" ? stored.version : 0;
			if (version < 1 || version > this.#version || typeof stored.config !== "object" || stored.config === null)
				continue;	// a newer firmware's copy cannot be read safely: try the other slot, then defaults
			let config = stored.config as Record<string, unknown>;
			const notes: string[] = [];
			for (let v = version; v < this.#version; v++)
				config = this.#migrations[v - 1](config, notes);
			const reset: string[] = [];
			const repaired = repair(this.#schema, config, "", reset) as DeviceConfig;
			// rules between fields (a relay an input names, a template): reset what breaks them;
			// when the default breaks them too, reset the field's parent, and so on up
			for (let round = 0; round < 8; round++) {
				const errors = this.#check(repaired);
				if (!errors.length)
					break;
				for (const e of errors) {
					let field = e.field;
					for (let up = 0; up < round && field.length; up++)
						field = field.replace(/(\.[^.[]+|\[\d+\])$/, "");
					if (!field) {
						return { config: defaultsOf(this.#schema) as DeviceConfig, source: "defaults", reset: ["(root)"], version, notes };
					}
					if (resetAt(this.#schema, repaired as unknown as Record<string, unknown>, field))
						reset.push(field);
				}
			}
			return { config: repaired, source: "stored", reset, version, notes };
		}
		return { config: defaultsOf(this.#schema) as DeviceConfig, source: "defaults", reset: [], version: this.#version, notes: [] };
	}

	/** Save a configuration (already validated). Throws only when the storage itself fails. */
	save(config: DeviceConfig): void {
		const text = asciiJson({ version: this.#version, config });
		const count = Math.ceil(text.length / CHUNK);
		if (count > MAX_CHUNKS)
			throw new RangeError("configuration larger than " + CHUNK * MAX_CHUNKS + " bytes");
		const slot = this.#storage.get(this.#domain, "current") === "a" ? "b" : "a";
		// the slot being written is not current: a cut anywhere before the last set leaves the other one
		this.#storage.delete(this.#domain, slot + "m");
		for (let i = 0; i < count; i++)
			this.#storage.set(this.#domain, slot + i, text.slice(i * CHUNK, (i + 1) * CHUNK));
		for (let i = count; i < MAX_CHUNKS && this.#storage.get(this.#domain, slot + i) !== undefined; i++)
			this.#storage.delete(this.#domain, slot + i);
		this.#storage.set(this.#domain, slot + "m", count + ":" + text.length + ":" + checksum(text));
		this.#storage.set(this.#domain, "current", slot);
	}

	/** Factory reset: both slots and the pointer go; the next load gives the defaults. */
	clear(): void {
		for (const slot of ["a", "b"]) {
			this.#storage.delete(this.#domain, slot + "m");
			for (let i = 0; i < MAX_CHUNKS; i++) {
				if (this.#storage.get(this.#domain, slot + i) === undefined)
					break;
				this.#storage.delete(this.#domain, slot + i);
			}
		}
		this.#storage.delete(this.#domain, "current");
	}

	#read(slot: string): string | undefined {
		const meta = this.#storage.get(this.#domain, slot + "m");
		if (typeof meta !== "string")
			return undefined;
		const [count, length, sum] = meta.split(":");
		const n = Number(count);
		if (!Number.isInteger(n) || n < 1 || n > MAX_CHUNKS)
			return undefined;
		const parts: string[] = [];
		for (let i = 0; i < n; i++) {
			const part = this.#storage.get(this.#domain, slot + i);
			if (typeof part !== "string")
				return undefined;
			parts.push(part);
		}
		const text = parts.join("");
		return text.length === Number(length) && checksum(text) === sum ? text : undefined;
	}
}
