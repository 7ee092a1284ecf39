// `npm test`: every suite, then one closing line with the totals.
// 1. mocha on Node: tests/core (firmware logic) and tests/node (hosts, tools, interop)
// 2. the same tests/core inside the XS engine (tests/xs)
import Mocha from "mocha";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runXsTests } from "./xs/run.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const config = JSON.parse(readFileSync(root + ".mocharc.json", "utf8"));

function testFiles(folder) {
	if (!existsSync(folder))
		return [];
	const out = [];
	for (const name of readdirSync(folder).sort()) {
		const path = folder + "/" + name;
		if (statSync(path).isDirectory())
			out.push(...testFiles(path));
		else if (name.endsWith(".test.js"))
			out.push(path);
	}
	return out;
}

async function runMocha() {
	for (const file of config.require ?? [])
		await import(root + file);
	const mocha = new Mocha({ timeout: config.timeout, reporter: config.reporter });
	for (const folder of ["build/tests/core", "build/tests/node", "build/tests/interop", "build/tests/browser", "build/tests/sim"])
		for (const file of testFiles(root + folder))
			mocha.addFile(file);
	await mocha.loadFilesAsync();
	return new Promise((resolve) => {
		const runner = mocha.run(() => resolve({ passed: runner.stats.passes, failed: runner.stats.failures, skipped: runner.stats.pending }));
	});
}

const node = await runMocha();
process.stdout.write(`node: ${node.passed} passed, ${node.failed} failed\n`);
const xs = await runXsTests();
const passed = node.passed + xs.passed, failed = node.failed + xs.failed;
process.stdout.write(`${passed} passed, ${failed} failed${node.skipped ? `, ${node.skipped} skipped` : ""}\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
