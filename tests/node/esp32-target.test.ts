// The reference ESP32 door panel target (hosts/esp32/devkit), checked where
// no ESP-IDF is needed: the XS heap it creates (about 160 KB for JS, fixed),
// its pin map (no pin twice; none of the flash or strapping pins; inputs on
// pins with pull-ups; outputs not on input-only pins), and the I2S pins in
// the manifest's defines, where the SDK's audio drivers read them, agreeing
// with the pin names in its host/provider.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./helpers.js";

const target = join(root, "hosts/esp32/devkit");
const manifest = JSON.parse(readFileSync(join(target, "manifest.json"), "utf8"));

/** The provider's `pin: { name: number, ... }` table. */
function pinTable(): Record<string, number> {
	const text = readFileSync(join(target, "host/provider.ts"), "utf8");
	const block = /\bpin: \{([^}]*)\}/.exec(text);
	assert.ok(block, "the provider has a pin table");
	const pins: Record<string, number> = {};
	for (const m of block[1].matchAll(/(\w+): (\d+),/g))
		pins[m[1]] = Number(m[2]);
	return pins;
}

const FLASH = [6, 7, 8, 9, 10, 11];
const STRAPPING = [0, 5, 12, 15];	// GPIO 2 is one too, but the devkit's LED is on it
const INPUT_ONLY = [34, 35, 36, 37, 38, 39];	// and without pull-ups

describe("ESP32 devkit door panel target", () => {
	it("creates a fixed XS heap of about 160 KB (chunks, 16-byte slots, a 512-slot stack)", () => {
		const c = manifest.creation;
		const bytes = c.chunk.initial + c.heap.initial * 16 + c.stack * 16;
		assert.ok(bytes >= 150 * 1024 && bytes <= 170 * 1024, `${bytes} bytes`);
		assert.equal(c.chunk.incremental, 0);
		assert.equal(c.heap.incremental, 0);
		assert.ok(c.stack >= 512, "the TCP receive path needs 512 slots of stack");
		assert.equal(manifest.build.ESP32_SUBCLASS, "esp32");
	});

	it("names its relays, inputs and audio pins once each, none on flash or strapping pins", () => {
		const pins = pinTable();
		for (const name of ["relay1", "relay2", "input1", "input2", "input3", "micClock", "micSelect", "micData", "speakerClock", "speakerSelect", "speakerData", "amplifier"])
			assert.ok(pins[name] !== undefined, `${name} is named`);
		const gpios = Object.values(pins);
		assert.equal(new Set(gpios).size, gpios.length, "no pin twice: " + JSON.stringify(pins));
		for (const [name, gpio] of Object.entries(pins)) {
			assert.ok(gpio >= 0 && gpio <= 39, `${name}: GPIO ${gpio}`);
			assert.ok(!FLASH.includes(gpio), `${name} on flash pin ${gpio}`);
			assert.ok(!STRAPPING.includes(gpio), `${name} on strapping pin ${gpio}`);
		}
		for (const name of Object.keys(pins).filter((n) => n !== "micData"))
			assert.ok(!INPUT_ONLY.includes(pins[name]), `${name} needs an output or a pull-up: GPIO ${pins[name]} has neither`);
	});

	it("gives the SDK's audio drivers the provider's I2S pins, 8 kHz 16-bit mono", () => {
		const pins = pinTable();
		const { audioIn, audioOut } = manifest.defines;
		assert.deepEqual([audioIn.i2s.bck_pin, audioIn.i2s.lr_pin, audioIn.i2s.datain], [pins.micClock, pins.micSelect, pins.micData]);
		assert.deepEqual([audioOut.i2s.bck_pin, audioOut.i2s.lr_pin, audioOut.i2s.dataout_pin], [pins.speakerClock, pins.speakerSelect, pins.speakerData]);
		assert.equal(audioOut.amplifier.power, pins.amplifier);
		for (const a of [audioIn, audioOut])
			assert.deepEqual([a.sampleRate, a.bitsPerSample, a.numChannels], [8000, 16, 1]);
		assert.notEqual(audioIn.i2s.num, 0, "the microphone on I2S 1: the speaker takes I2S 0");
	});
});
