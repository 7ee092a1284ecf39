// Host services for the firmware on Node: digest hashes, randomness, name lookup.
import { createHash, randomBytes } from "node:crypto";
import { lookup, resolveNaptr, resolveSrv } from "node:dns";
import type { HashFunction } from "../../modules/sip/digest.js";
import type { DnsClient } from "../../modules/sip/resolver.js";

export const nodeHash: HashFunction = (algorithm, text) =>
	createHash(algorithm === "SHA-256" ? "sha256" : "md5").update(text, "utf8").digest("hex");

export const nodeRandom = (): string => randomBytes(8).toString("hex");

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
