// A power cut in the middle of saving: a process saving the configuration in
// a loop is killed with SIGKILL at random points of a save, many times; the
// state directory must always load as one of the two complete configurations.
// The program says where it is (programs/save-loop.ts) and waits there for the
// kill, so the cuts land at the points drawn however loaded the machine is.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigStore } from "../../modules/config/store.js";
import { NodeStorage } from "../../hosts/node/storage.js";
import { savedConfigs } from "./programs/configs.js";
import { root } from "./helpers.js";

/**
 * Kills the saving program with SIGKILL in save number `save`, at `fraction` of
 * its file operations; resolves with the saves it completed and the file
 * operations it counted in the save before.
 */
function killWhileSaving(dir: string, save: number, fraction: number): Promise<{ completed: number; steps: number }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(root, "build/tests/node/programs/save-loop.js"), dir, String(save), String(fraction)], { stdio: ["ignore", "pipe", "inherit"] });
		let out = "", completed = -1, steps = 0;
		child.once("error", reject);
		child.stdout.setEncoding("utf8");
		child.stdout.on("data", (text: string) => {
			out += text;
			const m = /^cut (\d+) (\d+)$/m.exec(out);
			if (m && completed < 0) {
				completed = Number(m[1]);
				steps = Number(m[2]);
				child.kill("SIGKILL");
			}
		});
		child.once("exit", (code, signal) => {
			if (completed >= 0 && signal === "SIGKILL")
				resolve({ completed, steps });
			else
				reject(new Error(`the saving program ended by itself (code ${code}, signal ${signal}) before its cut`));
		});
	});
}

describe("configuration survives power loss", function () {
	this.timeout(120000);

	it("killed at random points of a save, 40 times: always the old or the new configuration, complete", async () => {
		const [a, b] = savedConfigs();
		const dir = mkdtempSync(join(tmpdir(), "portier-power-"));
		new ConfigStore({ storage: new NodeStorage({ path: dir }) }).save(a);
		try {
			const seen = new Set<number>();
			for (let i = 0; i < 40; i++) {
				// the second, third or fourth save in turn, anywhere among its operations: a cut
				// inside the second or fourth leaves the first configuration, inside the third the second
				const { completed, steps } = await killWhileSaving(dir, 1 + (i % 3), Math.random());
				assert.equal(completed, 1 + (i % 3), "run " + i + ": cut in the save drawn");
				assert.ok(steps >= 4, "run " + i + ": the program sees the storage's file operations (" + steps + ")");
				const loaded = new ConfigStore({ storage: new NodeStorage({ path: dir }) }).load();
				assert.equal(loaded.source, "stored", "run " + i);
				assert.deepEqual(loaded.reset, []);
				const which = loaded.config.station.maxCallTime === 100 ? a : b;
				assert.deepEqual(loaded.config, which, "run " + i);
				seen.add(loaded.config.station.maxCallTime);
			}
			assert.equal(seen.size, 2, "cuts landed at different points of the save cycle");
		}
		finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
