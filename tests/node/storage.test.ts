import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
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

	it("refuses names that could escape the folder", () => {
		const s = new NodeStorage({ path: mkdtempSync(join(tmpdir(), "portier-store-")) });
		assert.throws(() => s.set("../x", "k", 1), /bad storage domain/);
		assert.throws(() => s.set("d", "a/b", 1), /bad storage key/);
	});
});
