// tools/sipcheck: JSON for valid messages (exit 0), "invalid: <reason>" and exit 1 otherwise.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { root } from "./helpers.js";

function sipcheck(...files: string[]) {
	return spawnSync(process.execPath, ["tools/sipcheck.js", ...files], { cwd: root, encoding: "utf8" });
}

describe("tools/sipcheck", () => {
	it("prints a valid message as JSON: start line, URI parts, headers in order with parsed values, body length", () => {
		const r = sipcheck("tests/torture/3.1.1.1-wsinv.dat");
		assert.equal(r.status, 0, r.stderr);
		const out = JSON.parse(r.stdout);
		assert.equal(out.type, "request");
		assert.equal(out.method, "INVITE");
		assert.equal(out.uri.host, "chair-dnrc.example.com");
		assert.equal(out.headers[0].name, "TO");
		assert.equal(out.headers[0].parsed.params.tag, "1918181833n");
		assert.deepEqual(out.headers.find((h: { name: string }) => h.name === "cseq").parsed, { seq: 9, method: "INVITE" });
		assert.equal(out.bodyLength, 150);
	});

	it("says why a message is invalid and exits 1", () => {
		const r = sipcheck("tests/torture/3.1.2.17-mismatch01.dat");
		assert.equal(r.status, 1);
		assert.equal(r.stdout, "");
		assert.equal(r.stderr.trim(), "invalid: CSeq method does not match the request");
	});

	it("with several files, names each and fails if any is invalid", () => {
		const r = sipcheck("tests/torture/3.1.1.6-lwsdisp.dat", "tests/torture/3.1.2.16-badvers.dat");
		assert.equal(r.status, 1);
		assert.match(r.stderr, /3\.1\.2\.16-badvers\.dat: invalid: Version Not Supported/);
		assert.equal(JSON.parse(r.stdout).file, "tests/torture/3.1.1.6-lwsdisp.dat");
	});
});
