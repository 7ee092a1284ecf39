// A power cut in the middle of saving: a process saving the configuration in
// a loop is killed with SIGKILL at random moments, many times; the state
// directory must always load as one of the two complete configurations.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigStore } from "../../modules/config/store.js";
import { NodeStorage } from "../../hosts/node/storage.js";
import { savedConfigs } from "./programs/configs.js";
import { root } from "./helpers.js";

function killWhileSaving(dir: string, afterMs: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(root, "build/tests/node/programs/save-loop.js"), dir], { stdio: ["ignore", "pipe", "inherit"] });
		child.once("error", reject);
		child.stdout.once("data", () => setTimeout(() => child.kill("SIGKILL"), afterMs));
		child.once("exit", () => resolve());
	});
}

describe("configuration survives power loss", function () {
	this.timeout(120000);

	it("killed at random moments while saving, 40 times: always the old or the new configuration, complete", async () => {
		const [a, b] = savedConfigs();
		const dir = mkdtempSync(join(tmpdir(), "portier-power-"));
		new ConfigStore({ storage: new NodeStorage({ path: dir }) }).save(a);
		const seen = new Set<number>();
		for (let i = 0; i < 40; i++) {
			await killWhileSaving(dir, 5 + Math.floor(Math.random() * 40));
			const loaded = new ConfigStore({ storage: new NodeStorage({ path: dir }) }).load();
			assert.equal(loaded.source, "stored", "run " + i);
			assert.deepEqual(loaded.reset, []);
			const which = loaded.config.station.maxCallTime === 100 ? a : b;
			assert.deepEqual(loaded.config, which, "run " + i);
			seen.add(loaded.config.station.maxCallTime);
		}
		assert.equal(seen.size, 2, "cuts landed at different points of the save cycle");
	});
});
