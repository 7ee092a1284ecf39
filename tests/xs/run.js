// Runs the core tests (tests/core) inside the XS engine of @agoric/xsnap:
// proof that modules/ needs nothing from Node. The fixture files are sent
// into the engine first, since XS has no file system here.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { Xsnap, bundle } from "./xsnap.js";
import { updateCrypto } from "../../build/tests/lib/update-keys.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

function fixtureScript() {
	const files = [];
	const walk = (folder) => {
		for (const name of readdirSync(root + "tests/" + folder).sort()) {
			const rel = folder + "/" + name;
			if (statSync(root + "tests/" + rel).isDirectory())
				walk(rel);
			else if (name.endsWith(".dat"))
				files.push([rel, Array.from(readFileSync(root + "tests/" + rel))]);
		}
	};
	walk("torture");
	return `(() => {
		const files = new Map(${JSON.stringify(files)});
		globalThis.readFixture = (path) => {
			const data = files.get(path);
			if (!data) throw new Error("no fixture " + path);
			return Uint8Array.from(data);
		};
		// Hashing is a host service: inside XS it is asked of the Node side.
		globalThis.testHash = (algorithm, text) => {
			const request = new TextEncoder().encode(JSON.stringify({ hash: algorithm, text })).buffer;
			return new TextDecoder().decode(issueCommand(request));
		};
		// the update tests' crypto (tests/lib/update-keys.ts), asked of the Node side
		const hex = (b) => Array.from(b, (x) => (x < 16 ? "0" : "") + x.toString(16)).join("");
		const unhex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
		const ask = (request) => JSON.parse(new TextDecoder().decode(issueCommand(new TextEncoder().encode(JSON.stringify(request)).buffer)));
		globalThis.testUpdateCrypto = {
			sha256: (bytes) => unhex(ask({ update: "sha256", data: hex(bytes) })),
			sign: (digest, other) => unhex(ask({ update: "sign", data: hex(digest), other: !!other })),
			verify: (digest, signature) => ask({ update: "verify", data: hex(digest), signature: hex(signature) }),
			publicKey: () => unhex(ask({ update: "key" })),
		};
		globalThis.listFixtures = (folder) => Array.from(files.keys())
			.filter((k) => k.startsWith(folder + "/") && k.indexOf("/", folder.length + 1) < 0)
			.map((k) => k.slice(folder.length + 1)).sort();
	})();`;
}

export async function runXsTests({ quiet = false } = {}) {
	const source = await bundle(root + "build/tests/xs/entry.js");
	const crypto = updateCrypto();
	const hex = (b) => Buffer.from(b).toString("hex");
	const unhex = (h) => new Uint8Array(Buffer.from(h, "hex"));
	const xs = new Xsnap({
		onCommand(bytes) {
			const request = JSON.parse(bytes.toString("utf8"));
			if (request.update === "sha256")
				return JSON.stringify(hex(crypto.sha256(unhex(request.data))));
			if (request.update === "sign")
				return JSON.stringify(hex(crypto.sign(unhex(request.data), request.other)));
			if (request.update === "verify")
				return JSON.stringify(crypto.verify(unhex(request.data), unhex(request.signature)));
			if (request.update === "key")
				return JSON.stringify(hex(crypto.publicKey()));
			if (request.hash)
				return createHash(request.hash === "SHA-256" ? "sha256" : "md5").update(request.text, "utf8").digest("hex");
			throw new Error("unknown command");
		},
	});
	try {
		await xs.evaluate(fixtureScript());
		await xs.evaluate(source);
		const { result } = await xs.evaluate("runTests()");
		const results = JSON.parse(result.toString("utf8"));
		let passed = 0, failed = 0;
		for (const r of results) {
			if (r.ok)
				passed++;
			else {
				failed++;
				process.stdout.write(`  XS FAIL ${r.name}\n    ${r.error.split("\n").join("\n    ")}\n`);
			}
		}
		if (!quiet)
			process.stdout.write(`xs: ${passed} passed, ${failed} failed\n`);
		return { passed, failed };
	}
	finally {
		await xs.close();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	runXsTests().then(({ passed, failed }) => process.exit(failed > 0 || passed === 0 ? 1 : 0), (e) => {
		process.stderr.write(String(e && e.stack || e) + "\n");
		process.exit(1);
	});
}
