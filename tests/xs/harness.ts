/*
 * describe/it for the XS engine: the core test files call the same globals
 * under mocha and here. Tests are collected at load and run by runTests(),
 * which returns the results as JSON in an ArrayBuffer (what xsnap sends back).
 */
interface Case {
	name: string;
	fn: () => unknown;
}

const cases: Case[] = [];
const path: string[] = [];

function describe(name: string, body: () => void): void {
	path.push(name);
	try {
		body();
	}
	finally {
		path.pop();
	}
}

function it(name: string, fn: () => unknown): void {
	cases.push({ name: path.concat(name).join(" > "), fn });
}

function runTests(): ArrayBuffer {
	const results: Array<{ name: string; ok: boolean; error?: string }> = [];
	for (const c of cases) {
		try {
			const r = c.fn();
			if (r && typeof (r as Promise<unknown>).then === "function")
				throw new Error("asynchronous tests are not supported in the XS run");
			results.push({ name: c.name, ok: true });
		}
		catch (e) {
			results.push({ name: c.name, ok: false, error: e instanceof Error ? e.name + ": " + e.message + "\n" + (e.stack ?? "") : String(e) });
		}
	}
	return new TextEncoder().encode(JSON.stringify(results)).buffer as ArrayBuffer;
}

const g = globalThis as unknown as Record<string, unknown>;
g.describe = describe;
g.it = it;
g.runTests = runTests;
