/*
 * A Preference-shaped storage in memory (domain, key -> value), for tests of
 * what keeps its state there (configuration, journals). Plain code, so the
 * same tests run under Node and inside XS.
 */
import type { PreferenceStorage } from "../../modules/config/store.js";

export class MemoryStorage implements PreferenceStorage {
	data = new Map<string, string | number | boolean | ArrayBuffer>();
	get(domain: string, key: string) {
		return this.data.get(domain + "/" + key);
	}
	set(domain: string, key: string, value: string | number | boolean | ArrayBuffer) {
		this.data.set(domain + "/" + key, value);
	}
	delete(domain: string, key: string) {
		this.data.delete(domain + "/" + key);
	}
}
