/*
 * A bounded ring of short text records kept in flash without wearing it: the
 * door and call history, and the recent log that outlives a reboot.
 *
 * Storage is the Preference shape of the configuration store (config/store):
 * domain, key -> string, each `set` atomic, values of at most 4000 bytes and
 * keys of at most 15 characters on an ESP32's NVS. The ring is `pages` keys
 * ("p0", "p1", ...), each one page of at most `perPage` records and 3800
 * ASCII characters, with its sequence number, record count and checksum in
 * front. Records are appended to the newest page in RAM; the page is written
 * (one atomic `set`, so a power cut leaves the old page or the new one, never
 * a mix: the A/B store's guarantee, page by page) only
 *   - on the next turn once `batch` records are waiting (not from inside
 *     add(): records are added while a packet is being handled, and a flash
 *     write there, a millisecond or more, would hold back the call's next
 *     response), or
 *   - `delay` ms after the first waiting record, or
 *   - at `flush()` (a requested reboot, a stop).
 * A full page is followed by the next one, which replaces the oldest; the
 * full page is written at the next of those moments, with the new one.
 * So flash sees one page write per `batch` records at most, and a power cut
 * loses at most the last `delay` ms. A page that does not add up (checksum,
 * sequence) is skipped when read; the rest of the ring stays.
 *
 * Only the newest page is held in RAM (a few KB; until the next write, also
 * the full one before it); older pages are read from flash when asked for,
 * one page at a time.
 */
import type { Clock } from "../io/types.js";
import { checksum } from "../config/store.js";
import type { PreferenceStorage } from "../config/store.js";

export interface JournalOptions {
	storage: PreferenceStorage;
	clock: Clock;
	/** Preference domain (at most 15 characters). */
	domain: string;
	/** Pages in the ring (default 8): the ring holds (pages - 1) * perPage to pages * perPage records. */
	pages?: number;
	/** Records per page (default 32). */
	perPage?: number;
	/** Records waiting before the page is written (default 8). */
	batch?: number;
	/** ms after the first waiting record before the page is written (default 60 s). */
	delay?: number;
	/** Longest record in characters (longer ones are cut; default 240). */
	width?: number;
	log?: (line: string) => void;
}

/** The most characters a page holds (NVS: 4000 bytes a value; records are ASCII). */
const PAGE_CHARS = 3800;

/** One character, one byte: non-ASCII and control characters escaped as \uXXXX. */
function ascii(text: string, width: number): string {
	let clean = true;
	for (let i = 0; i < text.length && clean; i++) {
		const c = text.charCodeAt(i);
		clean = c >= 0x20 && c < 0x7f;
	}
	let out = text;
	if (!clean) {
		const parts: string[] = [];
		for (let i = 0; i < text.length; i++) {
			const c = text.charCodeAt(i);
			parts.push(c >= 0x20 && c < 0x7f ? text[i] : "\\u" + c.toString(16).padStart(4, "0"));
		}
		out = parts.join("");
	}
	return out.length > width ? out.slice(0, width) : out;
}

export class Journal {
	#o: JournalOptions;
	#pages: number;
	#perPage: number;
	#batch: number;
	#delay: number;
	#width: number;
	/** The newest page's sequence number and its records (oldest first). */
	#seq = 0;
	#head: string[] = [];
	#chars = 0;
	#waiting = 0;
	#timer: unknown;
	/** The write is set for the next turn (a full batch). */
	#soon = false;
	/** The newest page has records not yet in flash. */
	#dirty = false;
	/** The page before it, finished but not yet written (flash writes wait for the next turn). */
	#done: string[] | undefined;
	#writes = 0;
	#closed = false;

	constructor(options: JournalOptions) {
		this.#o = options;
		this.#pages = Math.max(2, options.pages ?? 8);
		this.#perPage = Math.max(1, options.perPage ?? 32);
		this.#batch = Math.max(1, options.batch ?? 8);
		this.#delay = options.delay ?? 60000;
		this.#width = Math.min(options.width ?? 240, PAGE_CHARS);
		this.#load();
	}

	/** The most records the ring holds. */
	get capacity(): number {
		return this.#pages * this.#perPage;
	}

	/** Page writes so far (for tests and the device page). */
	get writes(): number {
		return this.#writes;
	}

	/** Records not yet in flash. */
	get waiting(): number {
		return this.#waiting;
	}

	/** Add a record (one line of text; newlines and other control characters are escaped). */
	add(record: string): void {
		if (this.#closed)
			return;
		const text = ascii(record, this.#width);
		if (this.#head.length >= this.#perPage || this.#chars + text.length + 1 > PAGE_CHARS) {
			// the page is finished: it is written with the next flush, like the records waiting in it
			if (this.#dirty) {
				if (this.#done)
					this.#writeDone();	// a second page in one turn (rare): the first one goes now
				this.#done = this.#head;
			}
			this.#seq++;
			this.#head = [];
			this.#chars = 0;
		}
		this.#head.push(text);
		this.#chars += text.length + 1;
		this.#dirty = true;
		this.#waiting++;
		if (this.#waiting >= this.#batch && !this.#soon) {
			this.#cancel();
			this.#soon = true;
			this.#schedule(0);
		}
		else if (this.#timer === undefined)
			this.#schedule(this.#delay);
	}

	#schedule(ms: number): void {
		this.#timer = this.#o.clock.set(() => {
			this.#timer = undefined;
			this.flush();
		}, ms);
	}

	#cancel(): void {
		if (this.#timer !== undefined) {
			this.#o.clock.clear(this.#timer);
			this.#timer = undefined;
		}
	}

	/** Write what is waiting now (before a reboot or a stop). Never throws. */
	flush(): void {
		this.#cancel();
		this.#soon = false;
		if (this.#done)
			this.#writeDone();
		if (this.#dirty)
			this.#write(this.#seq, this.#head);
		this.#dirty = false;
		this.#waiting = 0;
	}

	/** Write what waits and take no more records (a stopped device: the next one owns the storage). */
	close(): void {
		this.flush();
		this.#closed = true;
	}

	/**
	 * Records newest first: `skip` of them skipped, at most `count` returned.
	 * Older pages are read from flash one at a time.
	 */
	read(skip: number, count: number): string[] {
		const out: string[] = [];
		let index = 0;
		for (let back = 0; back < this.#pages && out.length < count; back++) {
			const seq = this.#seq - back;
			if (seq < 0)
				break;
			const records = back === 0 ? this.#head : back === 1 && this.#done ? this.#done : this.#readPage(seq);
			if (!records)
				continue;
			for (let i = records.length - 1; i >= 0 && out.length < count; i--, index++) {
				if (index >= skip)
					out.push(records[i]);
			}
		}
		return out;
	}

	/** Forget every record (in RAM and in flash). */
	clear(): void {
		this.flush();
		for (let i = 0; i < this.#pages; i++) {
			try {
				this.#o.storage.delete(this.#o.domain, "p" + i);
			}
			catch { /* nothing there */ }
		}
		this.#seq = 0;
		this.#head = [];
		this.#chars = 0;
		this.#waiting = 0;
	}

	#writeDone(): void {
		const done = this.#done!;
		this.#done = undefined;
		this.#write(this.#seq - 1, done);
	}

	#write(seq: number, records: string[]): void {
		const body = records.join("\n");
		const value = seq + ":" + records.length + ":" + checksum(body) + "\n" + body;
		try {
			this.#o.storage.set(this.#o.domain, "p" + (seq % this.#pages), value);
			this.#writes++;
		}
		catch (e) {
			this.#o.log?.("journal " + this.#o.domain + ": cannot write: " + String(e));
		}
	}

	/** A page's records (oldest first), or undefined when the slot holds another sequence or does not add up. */
	#readPage(seq: number): string[] | undefined {
		let value: unknown;
		try {
			value = this.#o.storage.get(this.#o.domain, "p" + (seq % this.#pages));
		}
		catch {
			return undefined;
		}
		if (typeof value !== "string")
			return undefined;
		const nl = value.indexOf("\n");
		const head = (nl < 0 ? value : value.slice(0, nl)).split(":");
		const body = nl < 0 ? "" : value.slice(nl + 1);
		if (head.length !== 3 || Number(head[0]) !== seq || checksum(body) !== head[2])
			return undefined;
		const records = body.length ? body.split("\n") : [];
		return records.length === Number(head[1]) ? records : undefined;
	}

	/** The newest valid page becomes the head (a power cut's torn page is skipped). */
	#load(): void {
		let best = -1;
		for (let i = 0; i < this.#pages; i++) {
			let value: unknown;
			try {
				value = this.#o.storage.get(this.#o.domain, "p" + i);
			}
			catch {
				continue;
			}
			if (typeof value !== "string")
				continue;
			const seq = Number(value.slice(0, value.indexOf(":")));
			if (Number.isInteger(seq) && seq >= 0 && seq % this.#pages === i && seq > best && this.#readPage(seq))
				best = seq;
		}
		if (best < 0)
			return;
		this.#seq = best;
		this.#head = this.#readPage(best) ?? [];
		let chars = 0;
		for (const r of this.#head)
			chars += r.length + 1;
		this.#chars = chars;
	}
}
