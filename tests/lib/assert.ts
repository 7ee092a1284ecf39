/*
 * A small assert that runs the same under Node (mocha) and inside XS, where
 * node:assert does not exist. Failures throw AssertionError with both values.
 */
export class AssertionError extends Error {
	override get name(): string {
		return "AssertionError";
	}
}

function show(v: unknown): string {
	try {
		return typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v, (_k, x) => (x instanceof Map ? Object.fromEntries(x) : x instanceof Uint8Array ? Array.from(x) : x)) ?? String(v);
	}
	catch {
		return String(v);
	}
}

export function ok(value: unknown, message?: string): asserts value {
	if (!value)
		throw new AssertionError(message ?? "expected a truthy value, got " + show(value));
}

export function equal<T>(actual: T, expected: T, message?: string): void {
	if (actual !== expected && !(actual !== actual && expected !== expected))
		throw new AssertionError((message ? message + ": " : "") + "expected " + show(expected) + ", got " + show(actual));
}

function deepEq(a: unknown, b: unknown): boolean {
	if (a === b)
		return true;
	if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
		return false;
	if (a instanceof Map && b instanceof Map) {
		if (a.size !== b.size)
			return false;
		for (const [k, v] of a) {
			if (!b.has(k) || !deepEq(v, b.get(k)))
				return false;
		}
		return true;
	}
	if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
		const x = a as unknown as ArrayLike<number>, y = b as unknown as ArrayLike<number>;
		if (x.length !== y.length)
			return false;
		for (let i = 0; i < x.length; i++) {
			if (x[i] !== y[i])
				return false;
		}
		return true;
	}
	if (Array.isArray(a) !== Array.isArray(b))
		return false;
	const ka = Object.keys(a as object), kb = Object.keys(b as object);
	if (ka.length !== kb.length)
		return false;
	for (const k of ka) {
		if (!deepEq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
			return false;
	}
	return true;
}

export function deepEqual(actual: unknown, expected: unknown, message?: string): void {
	if (!deepEq(actual, expected))
		throw new AssertionError((message ? message + ": " : "") + "expected " + show(expected) + ", got " + show(actual));
}

/** fn must throw; when check is given, the error must satisfy it. Returns the error. */
export function throws(fn: () => unknown, check?: (e: any) => boolean, message?: string): any {
	try {
		fn();
	}
	catch (e) {
		if (check && !check(e))
			throw new AssertionError((message ? message + ": " : "") + "unexpected error " + String(e));
		return e;
	}
	throw new AssertionError(message ?? "expected an exception");
}
