// Saves two configurations in turn into a state directory: the power-loss test
// kills this process with SIGKILL in the middle of a save.
//
// Where the cut lands is decided by the program's progress, not by a clock: a
// clock-timed kill lands wherever the machine happens to be, and on a loaded
// machine (slow fsync, a busy CPU) that is always the first save, so every
// cut leaves the same configuration. Arguments: the state directory, the save
// to cut (0 is the first), and a fraction in [0, 1) that places the cut among
// that save's file operations (open, write, fsync, close, rename...), sized by
// the save before it; past the last operation means just after the save
// returned. At that point the program writes "cut <saves completed> <file
// operations of the save before>" and waits, without running further, for
// the kill (at most 30 s: never an orphan).
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { ConfigStore } from "../../../modules/config/store.js";
import { NodeStorage } from "../../../hosts/node/storage.js";
import { savedConfigs } from "./configs.js";

const [dir, cutSaveArg, cutFractionArg] = process.argv.slice(2);
const cutSave = Number(cutSaveArg ?? Infinity);
const cutFraction = Number(cutFractionArg ?? 0);
if (!dir || !(cutSave >= 0) || !(cutFraction >= 0 && cutFraction < 1))
	throw new RangeError("usage: save-loop DIR [SAVE FRACTION]");

let saves = 0;		// saves that returned
let step = 0;		// file operations in the current save
let cutStep = 0;	// the operation of the save to cut before (1-based), 0: none
let previousSteps = 0;	// file operations of the save before
const held = new Int32Array(new SharedArrayBuffer(4));

function cut(): never {
	process.stdout.write("cut " + saves + " " + previousSteps + "\n");	// a pipe: written before the next line runs
	Atomics.wait(held, 0, 0, 30000);
	process.stderr.write("save-loop: no kill came\n");
	process.exit(3);
}

// every file operation that changes the state directory is a possible cut point
const files = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
for (const name of ["openSync", "writeSync", "fsyncSync", "closeSync", "renameSync", "unlinkSync", "writeFileSync", "rmSync"]) {
	const original = files[name];
	files[name] = function (this: unknown, ...args: unknown[]) {
		step++;
		if (step === cutStep)
			cut();
		return original.apply(this, args);
	};
}
syncBuiltinESMExports();	// the storage's named imports of node:fs see these

const store = new ConfigStore({ storage: new NodeStorage({ path: dir }) });
const configs = savedConfigs();
for (;;) {
	step = 0;
	if (saves === cutSave)
		cutStep = 1 + Math.floor(cutFraction * (previousSteps + 1));
	store.save(configs[saves & 1]);
	if (saves === cutSave)
		cut();		// the fraction fell past this save's last operation
	saves++;
	previousSteps = step;
}
