/*
 * Storage on Node, in the shape of the Moddable SDK's Preference module
 * (domain + key -> string, number, boolean or ArrayBuffer): one JSON file per
 * domain in the state directory. A write goes to a temporary file, is flushed,
 * then renamed over the old one, so a power cut leaves the old or the new
 * file, never a mix.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

export type StoredValue = string | number | boolean | ArrayBuffer;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export class NodeStorage {
	#dir: string;

	constructor(options: { path: string }) {
		this.#dir = options.path;
		mkdirSync(this.#dir, { recursive: true });
	}

	#file(domain: string): string {
		if (!NAME.test(domain))
			throw new RangeError("bad storage domain: " + domain);
		return join(this.#dir, domain + ".json");
	}

	#read(domain: string): Record<string, unknown> {
		const file = this.#file(domain);
		if (!existsSync(file))
			return {};
		try {
			const data = JSON.parse(readFileSync(file, "utf8")) as unknown;
			return data && typeof data === "object" ? data as Record<string, unknown> : {};
		}
		catch {
			return {};
		}
	}

	#write(domain: string, data: Record<string, unknown>): void {
		const file = this.#file(domain);
		const temporary = file + ".tmp";
		const fd = openSync(temporary, "w");
		try {
			writeSync(fd, JSON.stringify(data));
			fsyncSync(fd);
		}
		finally {
			closeSync(fd);
		}
		renameSync(temporary, file);
	}

	get(domain: string, key: string): StoredValue | undefined {
		const v = this.#read(domain)[key];
		if (v && typeof v === "object" && "base64" in (v as object))
			return new Uint8Array(Buffer.from(String((v as { base64: string }).base64), "base64")).buffer;
		return v as StoredValue | undefined;
	}

	set(domain: string, key: string, value: StoredValue): void {
		if (!NAME.test(key))
			throw new RangeError("bad storage key: " + key);
		const data = this.#read(domain);
		data[key] = value instanceof ArrayBuffer ? { base64: Buffer.from(value).toString("base64") } : value;
		this.#write(domain, data);
	}

	delete(domain: string, key: string): void {
		const data = this.#read(domain);
		if (key in data) {
			delete data[key];
			this.#write(domain, data);
		}
	}

	keys(domain: string): string[] {
		return Object.keys(this.#read(domain));
	}
}
