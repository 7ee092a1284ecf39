import assert from "node:assert/strict";
import fs, { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeStorage } from "../../hosts/node/storage.js";

describe("Node storage (Preference-shaped)", () => {
	it("keeps strings, numbers, booleans and buffers per domain, across instances", () => {
		const path = mkdtempSync(join(tmpdir(), "portier-store-"));
		const a = new NodeStorage({ path });
		a.set("sip", "user", "door");
		a.set("sip", "port", 5060);
		a.set("sip", "enabled", true);
		a.set("tls", "ca", Uint8Array.of(1, 2, 3).buffer);
		const b = new NodeStorage({ path });
		assert.equal(b.get("sip", "user"), "door");
		assert.equal(b.get("sip", "port"), 5060);
		assert.equal(b.get("sip", "enabled"), true);
		assert.deepEqual(Array.from(new Uint8Array(b.get("tls", "ca") as ArrayBuffer)), [1, 2, 3]);
		assert.deepEqual(b.keys("sip").sort(), ["enabled", "port", "user"]);
		b.delete("sip", "port");
		assert.equal(new NodeStorage({ path }).get("sip", "port"), undefined);
		assert.deepEqual(readdirSync(path).sort(), ["sip.json", "tls.json"], "no temporary file left behind");
	});

	it("a torn temporary file from a power cut does not replace the stored copy", () => {
		const path = mkdtempSync(join(tmpdir(), "portier-store-"));
		const s = new NodeStorage({ path });
		s.set("sip", "user", "door");
		writeFileSync(join(path, "sip.json.tmp"), "{\"user\": \"ha");	// the write that was cut off
		assert.equal(new NodeStorage({ path }).get("sip", "user"), "door");
	});

	it("reads a domain from the disk once, and again only when its file changed", () => {
		const path = mkdtempSync(join(tmpdir(), "portier-store-"));
		const original = fs.readFileSync;
		let reads = 0;
		(fs as { readFileSync: unknown }).readFileSync = function (this: unknown, ...args: unknown[]) {
			reads++;
			return (original as (...a: unknown[]) => unknown).apply(this, args);
		};
		syncBuiltinESMExports();	// the storage's named imports of node:fs see the counter
		try {
			const a = new NodeStorage({ path });
			const b = new NodeStorage({ path });
			a.set("log", "p0", "first page");
			for (let i = 0; i < 5; i++)
				assert.equal(a.get("log", "p0"), "first page");
			a.set("log", "p1", "second page");
			assert.deepEqual(a.keys("log").sort(), ["p0", "p1"]);
			assert.equal(reads, 0, "what an instance wrote it does not read back");
			assert.equal(b.get("log", "p1"), "second page");
			assert.equal(b.get("log", "p0"), "first page");
			assert.equal(reads, 1, "another instance reads the file once");
			a.set("log", "p0", "changed by a");
			assert.equal(b.get("log", "p0"), "changed by a", "a change by another instance is seen");
			writeFileSync(join(path, "log.json"), JSON.stringify({ p0: "by hand" }));
			assert.equal(a.get("log", "p0"), "by hand", "a file changed outside is read again");
			assert.equal(a.get("log", "p1"), undefined);
			assert.equal(reads, 3);
		}
		finally {
			(fs as { readFileSync: unknown }).readFileSync = original;
			syncBuiltinESMExports();
		}
	});

	it("a failed write leaves the stored values as they were", () => {
		const path = mkdtempSync(join(tmpdir(), "portier-store-"));
		const s = new NodeStorage({ path });
		s.set("sip", "user", "door");
		const original = fs.fsyncSync;
		(fs as { fsyncSync: unknown }).fsyncSync = () => {
			throw new Error("EIO");
		};
		syncBuiltinESMExports();
		try {
			assert.throws(() => s.set("sip", "user", "gate"), /EIO/);
		}
		finally {
			(fs as { fsyncSync: unknown }).fsyncSync = original;
			syncBuiltinESMExports();
		}
		assert.equal(s.get("sip", "user"), "door");
		assert.equal(new NodeStorage({ path }).get("sip", "user"), "door");
	});

	it("refuses names that could escape the folder", () => {
		const s = new NodeStorage({ path: mkdtempSync(join(tmpdir(), "portier-store-")) });
		assert.throws(() => s.set("../x", "k", 1), /bad storage domain/);
		assert.throws(() => s.set("d", "a/b", 1), /bad storage key/);
	});
});
