// Installs the fixture reader for tests run under Node (see tests/lib/fixtures.ts).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { updateCrypto } from "./update-keys.js";

const root = fileURLToPath(new URL("../../../tests/", import.meta.url));
globalThis.readFixture = (path: string) => new Uint8Array(readFileSync(root + path));
globalThis.listFixtures = (folder: string) => readdirSync(root + folder).sort();
globalThis.testHash = (algorithm: string, text: string) => createHash(algorithm === "SHA-256" ? "sha256" : "md5").update(text, "utf8").digest("hex");
// the update tests' key pair and crypto (tests/lib/update-keys.ts)
(globalThis as { testUpdateCrypto?: unknown }).testUpdateCrypto = updateCrypto();
