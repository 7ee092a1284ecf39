/*
 * Budgets for new requests from addresses the station has no reason to
 * trust (not an account's server, not a registered unit, not within a
 * dialog): a token bucket per source address, so that one noisy address
 * cannot starve the others, and one shared bucket for all of them, so that
 * many addresses (spoofed over UDP) cannot add up to more than the station
 * can answer. A request over budget is dropped unanswered: answering a
 * flood would only amplify it.
 *
 * Bounded for a panel: at most `sources` addresses are tracked (16 by
 * default, about 1 KB); when the table is full the address seen longest ago
 * makes room. Buckets refill continuously from the clock, without timers.
 */
import type { Clock } from "../io/types.js";

export interface SourceLimitOptions {
	clock: Clock;
	/** New requests per second one address may send, on average (default 10). */
	rate?: number;
	/** How many it may send at once (default 20). */
	burst?: number;
	/** New requests per second from all untrusted addresses together (default 50). */
	totalRate?: number;
	/** ... and at once (default 100). */
	totalBurst?: number;
	/** Addresses tracked at once (default 16). */
	sources?: number;
}

class Bucket {
	tokens: number;
	at: number;
	constructor(tokens: number, at: number) {
		this.tokens = tokens;
		this.at = at;
	}
	/** Refill for the time passed, then take one token if there is one. */
	take(now: number, rate: number, burst: number): boolean {
		this.tokens = Math.min(burst, this.tokens + (now - this.at) * rate / 1000);
		this.at = now;
		if (this.tokens < 1)
			return false;
		this.tokens -= 1;
		return true;
	}
}

export class SourceLimit {
	#clock: Clock;
	#rate: number;
	#burst: number;
	#totalRate: number;
	#totalBurst: number;
	#max: number;
	#sources = new Map<string, Bucket>();
	#total: Bucket;

	constructor(options: SourceLimitOptions) {
		this.#clock = options.clock;
		this.#rate = options.rate ?? 10;
		this.#burst = options.burst ?? 20;
		this.#totalRate = options.totalRate ?? 50;
		this.#totalBurst = options.totalBurst ?? 100;
		this.#max = options.sources ?? 16;
		this.#total = new Bucket(this.#totalBurst, this.#clock.now());
	}

	/** Addresses tracked now. */
	get size(): number {
		return this.#sources.size;
	}

	/** May this address send one more new request now? */
	take(address: string): boolean {
		const now = this.#clock.now();
		let bucket = this.#sources.get(address);
		if (bucket)
			this.#sources.delete(address);	// re-inserted below: the Map's order is the order last seen
		else {
			if (this.#sources.size >= this.#max)
				this.#sources.delete(this.#sources.keys().next().value as string);
			bucket = new Bucket(this.#burst, now);
		}
		this.#sources.set(address, bucket);
		if (!bucket.take(now, this.#rate, this.#burst))
			return false;
		if (this.#total.take(now, this.#totalRate, this.#totalBurst))
			return true;
		bucket.tokens += 1;	// the shared budget said no: this address keeps its token
		return false;
	}
}
