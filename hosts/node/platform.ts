// Host services for the firmware on Node: digest hashes, randomness, name lookup.
import { createHash, randomBytes } from "node:crypto";
import { lookup } from "node:dns";
import type { HashFunction } from "../../modules/sip/digest.js";
import type { Resolver } from "../../modules/sip/stack.js";

export const nodeHash: HashFunction = (algorithm, text) =>
	createHash(algorithm === "SHA-256" ? "sha256" : "md5").update(text, "utf8").digest("hex");

export const nodeRandom = (): string => randomBytes(8).toString("hex");

export const nodeResolver: Resolver = {
	lookup(host, callback) {
		lookup(host, { family: 4, all: true }, (error, addresses) => {
			callback(error ? [] : addresses.map((a) => a.address));
		});
	},
};
