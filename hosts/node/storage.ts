/*
 * Storage on Node, in the shape of the Moddable SDK's Preference module
 * (domain + key -> string, number, boolean or ArrayBuffer): one JSON file per
 * domain in the state directory. A write goes to a temporary file, is flushed,
 * then renamed over the old one, so a power cut leaves the old or the new
 * file, never a mix.
 *
 * A domain read once is kept parsed, with the identity of the file it came
 * from (inode, size, modification time); a read checks that identity with one
 * stat and reads the file again only when it changed (another instance, or a
 * person, wrote it). The journals append a page every few calls: reading and
 * parsing their whole domain again for each page cost the event loop about a
 * millisecond, and tens of kilobytes of garbage, in the middle of live calls.
 */
import { type Stats, closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

export type StoredValue = string | number | boolean | ArrayBuffer;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

interface Parsed {
	data: Record<string, unknown>;
	ino: number;
	size: number;
	mtimeMs: number;
}

function sameFile(a: Parsed, b: Stats): boolean {
	return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export class NodeStorage {
	#dir: string;
	#parsed = new Map<string, Parsed>();

	constructor(options: { path: string }) {
		this.#dir = options.path;
		mkdirSync(this.#dir, { recursive: true });
	}

	#file(domain: string): string {
		if (!NAME.test(domain))
			throw new RangeError("bad storage domain: " + domain);
		return join(this.#dir, domain + ".json");
	}

	/** The domain's values: kept parsed while the file is the one they came from (callers copy before changing them). */
	#read(domain: string): Record<string, unknown> {
		const file = this.#file(domain);
		const stats = statSync(file, { throwIfNoEntry: false });
		if (!stats) {
			this.#parsed.delete(domain);
			return {};
		}
		const kept = this.#parsed.get(domain);
		if (kept && sameFile(kept, stats))
			return kept.data;
		let data: Record<string, unknown> = {};
		try {
			const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
			if (parsed && typeof parsed === "object")
				data = parsed as Record<string, unknown>;
		}
		catch { /* unreadable: as empty (the write before it was atomic, so this is not ours) */ }
		this.#parsed.set(domain, { data, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs });
		return data;
	}

	#write(domain: string, data: Record<string, unknown>): void {
		const file = this.#file(domain);
		const temporary = file + ".tmp";
		this.#parsed.delete(domain);	// until the new file is in place, a read goes to the disk
		const fd = openSync(temporary, "w");
		let stats: Stats;
		try {
			writeSync(fd, JSON.stringify(data));
			fsyncSync(fd);
			stats = fstatSync(fd);
		}
		finally {
			closeSync(fd);
		}
		renameSync(temporary, file);
		// the renamed file keeps its inode, size and time: the values just written are what it holds
		this.#parsed.set(domain, { data, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs });
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
		const data = { ...this.#read(domain) };
		data[key] = value instanceof ArrayBuffer ? { base64: Buffer.from(value).toString("base64") } : value;
		this.#write(domain, data);
	}

	delete(domain: string, key: string): void {
		const data = { ...this.#read(domain) };
		if (key in data) {
			delete data[key];
			this.#write(domain, data);
		}
	}

	keys(domain: string): string[] {
		return Object.keys(this.#read(domain));
	}
}
