/*
 * A bounded ring of short text records kept in flash without wearing it: the
 * door and call history, and the recent log that outlives a reboot.
 *
 * Storage is the Preference shape of the configuration store (config/store):
 * domain, key -> string, each `set` atomic, values of at most 4000 bytes and
 * keys of at most 15 characters on an ESP32's NVS. The ring is `pages` keys
 * ("p0", "p1", ...), each one page of at most `perPage` records and 3800
 * ASCII characters, with its sequence number, record count and checksum in
 * front. Records are appended to the newest page; the page is written
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
 * Only the records waiting for their write are held in RAM (a batch or so;
 * none once written): a page, the newest too, is read from flash when asked
 * for, one at a time, and the newest is read back to append to it. So the
 * heap the journal holds does not depend on how full its newest page is.
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
	/** The newest page's sequence number, its record count and characters (written and waiting). */
	#seq = 0;
	#count = 0;
	#chars = 0;
	/** The newest page's records not yet in flash (oldest first). */
	#waiting: string[] = [];
	/** The page before it, finished, and its records not yet in flash (flash writes wait for the next turn). */
	#done: string[] | undefined;
	#timer: unknown;
	/** The write is set for the next turn (a full batch). */
	#soon = false;
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

	/** Records not yet in flash: the only records held in RAM. */
	get waiting(): number {
		return this.#waiting.length + (this.#done?.length ?? 0);
	}

	/** Add a record (one line of text; newlines and other control characters are escaped). */
	add(record: string): void {
		if (this.#closed)
			return;
		const text = ascii(record, this.#width);
		if (this.#count >= this.#perPage || this.#chars + text.length + 1 > PAGE_CHARS) {
			// the page is finished: what waits of it is written with the next flush
			if (this.#waiting.length) {
				if (this.#done)
					this.#writeDone();	// a second page in one turn (rare): the first one goes now
				this.#done = this.#waiting;
				this.#waiting = [];
			}
			this.#seq++;
			this.#count = 0;
			this.#chars = 0;
		}
		this.#waiting.push(text);
		this.#count++;
		this.#chars += text.length + 1;
		if (this.waiting >= this.#batch && !this.#soon) {
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
		if (this.#waiting.length) {
			const records = this.#waiting;
			this.#waiting = [];
			this.#write(this.#seq, records);
		}
	}

	/** Write what waits and take no more records (a stopped device: the next one owns the storage). */
	close(): void {
		this.flush();
		this.#closed = true;
	}

	/**
	 * Records newest first: `skip` of them skipped, at most `count` returned.
	 * Pages are read from flash one at a time, with their records that wait.
	 */
	read(skip: number, count: number): string[] {
		const out: string[] = [];
		let index = 0;
		for (let back = 0; back < this.#pages && out.length < count; back++) {
			const seq = this.#seq - back;
			if (seq < 0)
				break;
			let records = this.#readPage(seq);
			const waiting = back === 0 ? this.#waiting : back === 1 ? this.#done : undefined;
			if (waiting)
				records = records ? records.concat(waiting) : waiting;
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
		this.#count = 0;
		this.#chars = 0;
	}

	#writeDone(): void {
		const done = this.#done!;
		this.#done = undefined;
		this.#write(this.#seq - 1, done);
	}

	/**
	 * A page again, with `records` after those of it already in flash (read
	 * back for the write: pages are not kept in RAM). Records that cannot be
	 * written are dropped and logged: a storage that fails holds no more RAM
	 * the longer it fails.
	 */
	#write(seq: number, records: string[]): void {
		const stored = this.#pageText(seq);
		const added = records.join("\n");
		const body = stored ? stored.body + "\n" + added : added;
		const count = (stored ? stored.count : 0) + records.length;
		const value = seq + ":" + count + ":" + checksum(body) + "\n" + body;
		if (seq === this.#seq) {
			this.#count = count + this.#waiting.length;
			this.#chars = body.length + 1;
			for (const r of this.#waiting)
				this.#chars += r.length + 1;
		}
		try {
			this.#o.storage.set(this.#o.domain, "p" + (seq % this.#pages), value);
			this.#writes++;
		}
		catch (e) {
			this.#o.log?.("journal " + this.#o.domain + ": cannot write: " + String(e));
		}
	}

	/** A page's text and record count, or undefined when the slot holds another sequence or does not add up. */
	#pageText(seq: number): { body: string; count: number } | undefined {
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
		const count = Number(head[1]);
		if (head.length !== 3 || Number(head[0]) !== seq || checksum(body) !== head[2] || !(count > 0))
			return undefined;
		return { body, count };
	}

	/** A page's records (oldest first), or undefined when the slot holds another sequence or does not add up. */
	#readPage(seq: number): string[] | undefined {
		const page = this.#pageText(seq);
		if (!page)
			return undefined;
		const records = page.body.split("\n");
		return records.length === page.count ? records : undefined;
	}

	/** The newest valid page is the one records are added to (a power cut's torn page is skipped). */
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
		const page = this.#pageText(best)!;
		this.#seq = best;
		this.#count = page.count;
		this.#chars = page.body.length + 1;
	}
}
