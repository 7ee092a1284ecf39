// The ESP32 door panel target with the SDK's mcconfig: with ESP-IDF
// (IDF_PATH set) the whole firmware is built (with an ESP-IDF that lacks
// Espressif's Wi-Fi libraries, as the offline route's, everything is
// compiled and the link stops at the first of them); without it, mcconfig still
// resolves every manifest and writes the build's makefile and defines before
// make stops at ESP-IDF, and that is what is checked: the panel's provider
// is embedded:provider/builtin, host/board is the ESP32 board (not the
// simulator's), the SDK's ESP32 sockets and I2S audio are in, the I2S pins
// and the heap are the target's.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../node/helpers.js";
import { type Sdk, buildName, findSdk } from "./simulator.js";

describe("the ESP32 panel target with mcconfig", function () {
	this.timeout(900000);

	it("resolves (or, with ESP-IDF, builds) hosts/esp32/devkit", function () {
		const sdk = findSdk();
		if (typeof sdk === "string") {
			process.stdout.write(`\n  esp32 target: skipped: ${sdk}\n`);
			this.skip();
		}
		const out = mkdtempSync(join(tmpdir(), "portier-esp32-"));
		try {
			check(sdk, out);
		}
		finally {
			rmSync(out, { recursive: true, force: true });	// the build leaves nothing in the temporary folder
		}
	});
});

/** Build the panel target into `out` and check what mcconfig resolved. */
function check(sdk: Sdk, out: string): void {
	const env = { ...process.env, MODDABLE: sdk.moddable, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}:${sdk.bin}` };
	const run = spawnSync(join(sdk.bin, "mcconfig"), ["-d", "-m", "-p", "esp32:hosts/esp32/devkit", "-t", "build", "-o", out, "ssid=portier-test"], { cwd: root, env, encoding: "utf8", timeout: 880000 });
	const text = run.stdout + run.stderr;
	const main = join(out, "tmp/esp32/devkit/debug", buildName());
	if (process.env.IDF_PATH && !existsSync(join(process.env.IDF_PATH, "components/esp_wifi/lib/esp32/libcore.a"))) {
		// an ESP-IDF without Espressif's Wi-Fi libraries (the offline route): everything
		// compiles, and the link stops at the first of them, which a panel needs
		assert.ok(existsSync(join(out, "bin/esp32/devkit/debug", buildName(), "xs_esp32.a")), "the firmware compiled: " + text.slice(-3000));
		assert.match(text, /esp_wifi\/lib\/esp32\/libcore\.a', needed by .* missing/, text.slice(-3000));
		process.stdout.write("\n  esp32 target: compiled with ESP-IDF at IDF_PATH; not linked: that ESP-IDF has no Wi-Fi libraries\n");
	}
	else if (process.env.IDF_PATH) {
		assert.equal(run.status, 0, text.slice(-3000));
		assert.ok(existsSync(join(out, "bin/esp32/devkit/debug", buildName(), "xs_esp32.bin")), "the firmware image");
		process.stdout.write("\n  esp32 target: built with ESP-IDF at IDF_PATH\n");
	}
	else {
		assert.match(text, /IDF_PATH not set/, "mcconfig got as far as make: " + text.slice(-2000));
		process.stdout.write("\n  esp32 target: manifests resolved; not compiled (IDF_PATH is not set)\n");
	}
	const makefile = readFileSync(join(main, "makefile"), "utf8");
	assert.match(makefile, /hosts\/esp32\/devkit\/host\/provider\.ts/, "the panel's provider");
	assert.match(makefile, /~\.embedded\/provider\/builtin\.xsb: .*hosts\/esp32\/devkit\/host\/provider\.js/, "as embedded:provider/builtin");
	assert.match(makefile, /host\/board\.xsb: .*hosts\/esp32\/board\.js/, "the ESP32 board");
	assert.doesNotMatch(makefile, /hosts\/sim\//, "nothing of the simulator's");
	for (const sdkModule of ["socket/lwip/udp.js", "socket/lwip/tcp.js", "audioin/esp32/audioin.js", "audioout/esp32/audioout-esp32.js", "io/digital/digital.js"])
		assert.ok(makefile.includes(sdkModule), sdkModule);
	const defines = readFileSync(join(main, "mc.defines.h"), "utf8");
	for (const d of ["MODDEF_AUDIOIN_SAMPLERATE (8000)", "MODDEF_AUDIOIN_I2S_NUM (1)", "MODDEF_AUDIOIN_I2S_DATAIN (35)", "MODDEF_AUDIOOUT_I2S_DATAOUT_PIN (22)", "MODDEF_AUDIOOUT_AMPLIFIER_POWER (21)"])
		assert.ok(defines.includes("#define " + d), d);
	const flat = JSON.parse(readFileSync(join(main, "manifest_flat.json"), "utf8"));
	assert.deepEqual([flat.creation.chunk.initial, flat.creation.heap.initial, flat.creation.stack], [98304, 4096, 512]);
}
