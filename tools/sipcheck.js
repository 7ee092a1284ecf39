#!/usr/bin/env node
// Parse SIP messages from files and print each as JSON (start line, URI parts,
// headers in order with their parsed values, body length). A message that a
// compliant element must refuse prints `invalid: <reason>` on stderr.
// Usage: node tools/sipcheck.js FILE...   Exit 0 when every file is valid, 1 otherwise.
import { readFileSync } from "node:fs";
import { parseMessage } from "../build/modules/sip/message.js";
import { describeMessage } from "../build/modules/sip/describe.js";

const files = process.argv.slice(2);
if (files.length === 0) {
	process.stderr.write("usage: node tools/sipcheck.js FILE...\n");
	process.exit(2);
}
let failed = false;
for (const file of files) {
	let bytes;
	try {
		bytes = new Uint8Array(readFileSync(file));
	}
	catch (e) {
		process.stderr.write(`${file}: cannot read: ${e.message}\n`);
		failed = true;
		continue;
	}
	try {
		const message = parseMessage(bytes);
		message.validate();
		const description = describeMessage(message);
		process.stdout.write(JSON.stringify(files.length > 1 ? { file, ...description } : description, null, 2) + "\n");
	}
	catch (e) {
		if (!e || e.name !== "SipParseError")
			throw e;
		process.stderr.write(files.length > 1 ? `${file}: invalid: ${e.reason}\n` : `invalid: ${e.reason}\n`);
		failed = true;
	}
}
process.exit(failed ? 1 : 0);
