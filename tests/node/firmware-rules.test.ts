// modules/ is the firmware that runs on XS: only TypeScript modules there (the
// page the station serves is browser code, a resource in page/), and none of
// them reaches for a host's globals: no Node APIs, no browser globals, no
// timers or clock but the injected Clock, no console but the host's log,
// no TextEncoder/TextDecoder (not globals in a Moddable app).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { root } from "./helpers.js";

function files(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? files(path) : [path];
	});
}

/** The source without its comments and string contents, so that prose naming a global does not count. */
function code(text: string): string {
	return text
		.replace(/\/\*[\s\S]*?\*\//g, "")
		.replace(/(^|[^:\\])\/\/.*$/gm, "$1")
		.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, "\"\"");
}

const FORBIDDEN: Array<[RegExp, string]> = [
	[/(?<![#.\w$])(setTimeout|setInterval|clearTimeout|clearInterval|setImmediate|queueMicrotask)\s*\(/, "a host timer (use the injected Clock)"],
	[/(?<![#.\w$])Date\.now\s*\(/, "the host's time (use the injected Clock)"],
	[/(?<![#.\w$])(console|process|window|document|navigator|performance|localStorage)\s*\./, "a host global"],
	[/(?<![#.\w$])(fetch|require)\s*\(/, "a host function"],
	[/(?<![#.\w$])(Buffer|TextEncoder|TextDecoder|XMLHttpRequest|WebSocket)\b/, "a host class"],
	[/from\s+["']node:|import\s*\(\s*["']node:/, "a Node module"],
];

describe("firmware rules (modules/ runs on XS)", () => {
	const all = files(join(root, "modules"));

	it("holds TypeScript modules only", () => {
		const others = all.filter((f) => !f.endsWith(".ts")).map((f) => relative(root, f));
		assert.deepEqual(others, []);
	});

	it("uses no Node API and no browser or host global", () => {
		const found: string[] = [];
		for (const file of all.filter((f) => f.endsWith(".ts"))) {
			const lines = code(readFileSync(file, "utf8")).split("\n");
			lines.forEach((line, i) => {
				for (const [pattern, what] of FORBIDDEN) {
					const m = pattern.exec(line);
					if (m)
						found.push(`${relative(root, file)}:${i + 1}: ${m[0].trim()} (${what})`);
				}
			});
		}
		assert.deepEqual(found, []);
	});

	it("would catch one (the check itself)", () => {
		const sample = code("const t = setTimeout(f, 5); // setTimeout in a comment\nthis.#clearTimeout();\nconst s = \"console.log\";\nconsole.log(1);");
		const hits = sample.split("\n").filter((line) => FORBIDDEN.some(([p]) => p.test(line)));
		assert.deepEqual(hits, ["const t = setTimeout(f, 5); ", "console.log(1);"]);
	});

	it("every core test also runs inside XS (tests/xs/entry.ts imports it)", () => {
		const entry = readFileSync(join(root, "tests/xs/entry.ts"), "utf8");
		const missing = readdirSync(join(root, "tests/core")).filter((f) => f.endsWith(".test.ts"))
			.filter((f) => !entry.includes(`"../core/${f.replace(/\.ts$/, ".js")}"`));
		assert.deepEqual(missing, []);
	});
});
