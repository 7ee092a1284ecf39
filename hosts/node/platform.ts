// Host services for the firmware on Node: digest hashes, randomness, name lookup.
import { createHash, randomBytes } from "node:crypto";
import { lookup, resolveNaptr, resolveSrv } from "node:dns";
import type { HashFunction } from "../../modules/sip/digest.js";
import type { DnsClient } from "../../modules/sip/resolver.js";

export const nodeHash: HashFunction = (algorithm, text) =>
	createHash(algorithm === "SHA-256" ? "sha256" : "md5").update(text, "utf8").digest("hex");

/**
 * 16 hex digits from the system's CSPRNG, taken from a pool filled 4 KB at a
 * time: a call takes several (tags, branches, the Call-ID, SSRC) and a
 * getrandom() for each cost more than the rest of building a response.
 */
const POOL = 4096;
let pool = Buffer.alloc(0);
let used = POOL;
export const nodeRandom = (): string => {
	if (used + 8 > pool.length) {
		pool = randomBytes(POOL);
		used = 0;
	}
	used += 8;
	return pool.toString("hex", used - 8, used);
};

/** The host's DNS: A through the system resolver (hosts file included), SRV and NAPTR through DNS. */
export const nodeDns: DnsClient = {
	a(name, callback) {
		lookup(name, { family: 4, all: true }, (error, addresses) => callback(error ? [] : addresses.map((a) => a.address)));
	},
	srv(name, callback) {
		resolveSrv(name, (error, records) => callback(error ? [] : records));
	},
	naptr(name, callback) {
		resolveNaptr(name, (error, records) => callback(error ? [] : records));
	},
};
