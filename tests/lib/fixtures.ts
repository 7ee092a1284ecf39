/*
 * Test data files, read the same way under Node and inside XS: the host
 * installs globalThis.readFixture (tests/lib/node-fixtures on Node; the XS
 * runner sends the files into the engine before the tests run).
 */
declare global {
	// eslint-disable-next-line no-var
	var readFixture: ((path: string) => Uint8Array) | undefined;
	// eslint-disable-next-line no-var
	var listFixtures: ((folder: string) => string[]) | undefined;
	// eslint-disable-next-line no-var
	var testHash: ((algorithm: string, text: string) => string) | undefined;
}

/** The host's hash (node:crypto under Node; asked of Node from inside XS). */
export function hostHash(algorithm: "MD5" | "SHA-256", text: string): string {
	if (!globalThis.testHash)
		throw new Error("no hash installed");
	return globalThis.testHash(algorithm, text);
}

export function readFixture(path: string): Uint8Array {
	if (!globalThis.readFixture)
		throw new Error("no fixture reader installed");
	return globalThis.readFixture(path);
}

export function listFixtures(folder: string): string[] {
	if (!globalThis.listFixtures)
		throw new Error("no fixture reader installed");
	return globalThis.listFixtures(folder);
}

/** Latin-1 text to bytes (test messages are ASCII; \xNN escapes give raw octets). */
export function bytes(text: string): Uint8Array {
	const out = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++)
		out[i] = text.charCodeAt(i) & 0xFF;
	return out;
}

/** A message from lines joined with CRLF (the last line ends the header section). */
export function message(...lines: string[]): Uint8Array {
	return bytes(lines.join("\r\n"));
}
