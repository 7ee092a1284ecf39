// Installs the fixture reader for tests run under Node (see tests/lib/fixtures.ts).
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../tests/", import.meta.url));
globalThis.readFixture = (path: string) => new Uint8Array(readFileSync(root + path));
globalThis.listFixtures = (folder: string) => readdirSync(root + folder).sort();
