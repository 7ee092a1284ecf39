// Every ESP32 target (hosts/esp32/<target>/manifest.json) builds what the
// firmware imports, checked without ESP-IDF or the SDK: the import graph of
// the ESP32 build (hosts/moddable/main, the board its manifest maps to
// host/board, the target's host/provider and every project module they
// import) is walked, each SDK module it imports must come from a manifest
// the app or the target includes, and each of those manifests must come with
// the manifests its native code needs on ESP32 (the SDK's ECMA-419 io
// drivers include modGPIO.h, which only $(MODULES)/pins/digital puts on the
// include path: without it spi.c stops the build). With the SDK, the suite in
// tests/sim/esp32-target.test.ts checks the same against mcconfig's output.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { root } from "./helpers.js";

/** Which SDK manifest provides each SDK module the firmware imports on ESP32 (directly or through an include). */
export const PROVIDED_BY: Readonly<Record<string, string>> = {
	"embedded:io/analog": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/digital": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/digitalbank": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/i2c": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/pulsecount": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/pwm": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/serial": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/smbus": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/spi": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/socket/udp": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/socket/tcp": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/socket/listener": "$(MODDABLE)/modules/io/manifest.json",
	"embedded:io/socket/tcp/tls": "$(MODDABLE)/examples/io/tcp/tlssocket/manifest.json",
	"embedded:io/audio/in": "$(MODDABLE)/modules/io/audioin/manifest.json",
	"embedded:io/audio/out": "$(MODDABLE)/modules/io/audioout/manifest.json",
	"embedded:network/http/server": "$(MODDABLE)/examples/io/listener/httpserver/manifest_httpserver.json",
	"embedded:network/dns/resolver/udp": "$(MODDABLE)/examples/io/listener/httpserver/manifest_httpserver.json",
	"net": "$(MODDABLE)/examples/manifest_net.json",
	// the Wi-Fi panel: the ECMA-419 station class (manifest_net includes it on esp32), and the
	// SDK's older wifi module for the setup access point
	"embedded:network/interface/wifi": "$(MODDABLE)/examples/manifest_net.json",
	"wifi": "$(MODULES)/network/wifi/manifest.json",
	"preference": "$(MODDABLE)/modules/files/preference/manifest.json",
	"crypt": "$(MODDABLE)/modules/crypt/digest/manifest.json",
	// the TLS stack's public-key crypto (its tls_common.json), which verifies a firmware upgrade's signature
	// a panel's firmware upgrade: the next OTA partition (the update manifest includes the flash one)
	"embedded:update": "$(MODDABLE)/modules/io/update/manifest.json",
	"embedded:storage/flash": "$(MODDABLE)/modules/io/update/manifest.json",
	"text/decoder": "$(MODDABLE)/modules/data/text/decoder/manifest.json",
	"text/encoder": "$(MODDABLE)/examples/io/listener/httpserver/manifest_httpserver.json",
	"Resource": "$(MODDABLE)/examples/manifest_base.json",
	"instrumentation": "$(MODULES)/base/instrumentation/manifest.json",
	"debug": "$(MODULES)/base/debug/manifest.json",
	"timer": "$(MODDABLE)/examples/manifest_base.json",
	"mc/config": "(mcconfig)",
	// the SDK's ESP32 device manifest (build/devices/esp32) maps and preloads it for every app; for lin, manifest.json maps it
	"time": "(mcconfig)",
};

/** What an included SDK manifest's native code needs beside it on ESP32. */
export const NEEDS_ON_ESP32: Readonly<Record<string, readonly string[]>> = {
	// modules/io/{spi,i2c,digital,...}/esp32 include modGPIO.h (modules/pins/digital)
	"$(MODDABLE)/modules/io/manifest.json": ["$(MODULES)/pins/digital/manifest.json"],
};

/**
 * SDK modules a target may leave out (its modules' "~"), by the source the
 * SDK maps them to: a target that leaves one out must not import it, unless
 * it maps that name to a module of its own (the Ethernet targets' "net").
 */
export const SDK_SOURCE: Readonly<Record<string, string>> = {
	"embedded:network/interface/wifi": "$(MODULES)/io/wifi/esp32/wifi-esp32",
	"net": "$(MODULES)/network/net/net",
};

/** Modules that link ESP-IDF's Wi-Fi libraries, which a target built with CONFIG_APP_NO_BLOBS=y has not. */
export const NEEDS_WIFI_LIBRARIES: readonly string[] = ["embedded:network/interface/wifi", "wifi"];

/** One spelling for $(MODULES) and $(MODDABLE)/modules. */
function canonical(path: string): string {
	return path.replace("$(MODDABLE)/modules/", "$(MODULES)/");
}

const app = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));

export function esp32Targets(): string[] {
	return readdirSync(join(root, "hosts/esp32"), { withFileTypes: true })
		.filter((d) => d.isDirectory() && existsSync(join(root, "hosts/esp32", d.name, "manifest.json")))
		.map((d) => d.name);
}

/** The manifests a target's build includes at the top (the app's, its esp32 platform's, the target's). */
function includes(target: string, manifest: Record<string, any>): Set<string> {
	const out = new Set<string>();
	const add = (list: string | string[] | undefined) => {
		for (const p of ([] as string[]).concat(list ?? []))
			out.add(canonical(p));
	};
	add(app.include);
	add(app.platforms?.esp32?.include);
	add(app.platforms?.[`esp32/${target}`]?.include);
	add(manifest.include);
	add(manifest.platforms?.esp32?.include);
	return out;
}

/** A module mapping of the target or the app (the target's wins); "./" paths made absolute. */
function mapped(target: string, manifest: Record<string, any>, name: string): string | undefined {
	const here = join(root, "hosts/esp32", target);
	const maps: Array<[Record<string, unknown> | undefined, string]> = [
		[manifest.platforms?.esp32?.modules, here], [manifest.modules, here],
		[app.platforms?.[`esp32/${target}`]?.modules, root], [app.platforms?.esp32?.modules, root], [app.modules, root],
	];
	for (const [map, base] of maps) {
		const entry = map?.[name];
		const to = Array.isArray(entry) ? entry[0] : entry;
		if (typeof to === "string")
			return to.startsWith("./") || to.startsWith("../") ? join(base, to) : to;
	}
	return undefined;
}

/** Project source for an import, or undefined for an SDK module. */
function projectFile(from: string, specifier: string): string | undefined {
	if (specifier.startsWith(".")) {
		const base = join(dirname(from), specifier).replace(/\.js$/, "");
		return existsSync(base + ".ts") ? base + ".ts" : existsSync(base + ".js") ? base + ".js" : undefined;
	}
	const alias = /^(sip|io|media|station|config|web|events)\/(.+)$/.exec(specifier);
	if (alias && existsSync(join(root, "modules", alias[1], alias[2] + ".ts")))
		return join(root, "modules", alias[1], alias[2] + ".ts");
	if (specifier === "device")
		return join(root, "modules/device.ts");
	if (specifier === "preload" || specifier === "firmware" || specifier === "text-helpers")
		return join(root, "hosts/moddable", specifier + ".ts");
	return undefined;
}

/** The SDK modules the ESP32 build of `target` imports at run time (type-only imports load nothing). */
export function sdkImports(target: string, manifest: Record<string, any>): Map<string, string> {
	const board = mapped(target, manifest, "host/board");
	assert.ok(board, `${target}: host/board is mapped`);
	const start = [join(root, "hosts/moddable/main.ts"), board.replace(/(\.ts)?$/, ".ts"), join(root, "hosts/esp32", target, "host/provider.ts")];
	// the target's own modules (its host/network, JavaScript with native parts...), here or beside it in hosts/esp32
	for (const [name, to] of Object.entries(manifest.modules ?? {}) as Array<[string, string | string[]]>) {
		if (name === "~")
			continue;
		for (const path of ([] as string[]).concat(to)) {
			for (const ext of [".ts", ".js"]) {
				if ((path.startsWith("./") || path.startsWith("../")) && existsSync(join(root, "hosts/esp32", target, path + ext)))
					start.push(join(root, "hosts/esp32", target, path + ext));
			}
		}
	}
	const seen = new Set<string>();
	const out = new Map<string, string>();
	const todo = [...start];
	while (todo.length) {
		const file = todo.pop()!;
		if (seen.has(file))
			continue;
		seen.add(file);
		const text = readFileSync(file, "utf8");
		for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?"([^"]+)"/gm)) {
			if (m[1])
				continue;
			const specifier = m[2];
			if (specifier === "host/board" || specifier === "embedded:provider/builtin")
				continue;	// the target's own (checked above)
			const own = projectFile(file, specifier);
			if (own)
				todo.push(own);
			else if (!out.has(specifier))
				out.set(specifier, relative(root, file));
		}
	}
	return out;
}

describe("ESP32 targets: every module the firmware imports has its manifest", () => {
	const targets = esp32Targets();

	it("finds the ESP32 targets", () => {
		assert.ok(targets.includes("devkit"), JSON.stringify(targets));
	});

	for (const target of targets) {
		it(`${target}: each SDK module imported is provided by an included manifest, with what that manifest needs on ESP32`, () => {
			const manifest = JSON.parse(readFileSync(join(root, "hosts/esp32", target, "manifest.json"), "utf8"));
			const included = includes(target, manifest);
			assert.ok(mapped(target, manifest, "host/network"), `${target}: maps host/network (the app leaves it to each target: Wi-Fi or Ethernet)`);
			const imports = sdkImports(target, manifest);
			const removed = new Set((([] as string[]).concat(manifest.modules?.["~"] ?? [])).map(canonical));
			const sdkconfig = join(root, "hosts/esp32", target, "sdkconfig/sdkconfig.defaults");
			const noBlobs = existsSync(sdkconfig) && /^CONFIG_APP_NO_BLOBS=y$/m.test(readFileSync(sdkconfig, "utf8"));
			for (const [specifier, from] of imports) {
				if (noBlobs)
					assert.ok(!NEEDS_WIFI_LIBRARIES.includes(specifier), `${target}: ${specifier} (imported by ${from}) needs the Wi-Fi libraries, and the target builds without them (CONFIG_APP_NO_BLOBS)`);
				const source = SDK_SOURCE[specifier];
				const own = manifest.modules?.[specifier] ?? manifest.platforms?.esp32?.modules?.[specifier];
				if (source && removed.has(canonical(source)))
					assert.ok(own, `${target}: ${specifier} (imported by ${from}) is left out of the build ("~") and not mapped to a module of the target`);
			}
			assert.ok(imports.has("embedded:io/digital") && imports.has("embedded:io/socket/udp"), "the walk reaches the provider and the firmware: " + [...imports.keys()].join(", "));
			for (const [specifier, from] of imports) {
				const to = mapped(target, manifest, specifier);
				if (to !== undefined)
					continue;	// mapped by the app or the target itself
				const provider = PROVIDED_BY[specifier];
				assert.ok(provider, `${target}: ${specifier} (imported by ${from}) is not a module this check knows: add the SDK manifest that provides it to PROVIDED_BY`);
				if (provider !== "(mcconfig)")
					assert.ok(included.has(canonical(provider)), `${target}: ${specifier} (imported by ${from}) needs ${provider}`);
			}
			for (const manifestPath of included) {
				for (const need of NEEDS_ON_ESP32[manifestPath.replace("$(MODULES)/", "$(MODDABLE)/modules/")] ?? [])
					assert.ok(included.has(canonical(need)), `${target}: ${manifestPath} needs ${need} on ESP32 (its native code includes modGPIO.h)`);
			}
		});
	}
});

/** The ESP32's RMII data pins, fixed in its IO MUX: taken whenever a target uses the internal EMAC. */
const RMII_PINS = [19, 21, 22, 25, 26, 27];
const FLASH_PINS = [6, 7, 8, 9, 10, 11];
const INPUT_ONLY_PINS = [34, 35, 36, 37, 38, 39];

/** The pins a target's Ethernet takes (its manifest's defines.ethernet: hosts/esp32/ethernet/ethernet.c). */
export function ethernetPins(manifest: Record<string, any>): Map<number, string> {
	const e = manifest.defines?.ethernet;
	const out = new Map<number, string>();
	if (!e?.emac)
		return out;
	for (const pin of RMII_PINS)
		out.set(pin, "RMII data");
	const named: Array<[unknown, string]> = [[e.mdc, "MDC"], [e.mdio, "MDIO"], [e.phy?.power, "PHY power"], [e.clock?.out, "RMII clock out"]];
	for (const [pin, what] of named) {
		if (typeof pin === "number" && pin >= 0)
			out.set(pin, what);
	}
	if (!(typeof e.clock?.out === "number" && e.clock.out >= 0))
		out.set(0, "RMII clock in");
	return out;
}

describe("ESP32 targets: the pin table agrees with the manifest and leaves the board's own pins alone", () => {
	for (const target of esp32Targets()) {
		it(`${target}: no pin twice, none on flash or Ethernet pins, inputs with a pull-up, the I2S defines the provider's pins`, () => {
			const here = join(root, "hosts/esp32", target);
			const manifest = JSON.parse(readFileSync(join(here, "manifest.json"), "utf8"));
			const text = readFileSync(join(here, "host/provider.ts"), "utf8");
			const block = /\bpin: \{([^}]*)\}/.exec(text);
			assert.ok(block, `${target}: the provider has a pin table`);
			const pins = new Map<string, number>();
			for (const m of block[1].matchAll(/(\w+): (\d+),/g))
				pins.set(m[1], Number(m[2]));
			const gpios = [...pins.values()];
			assert.equal(new Set(gpios).size, gpios.length, `${target}: no pin twice: ${JSON.stringify([...pins])}`);
			const ethernet = ethernetPins(manifest);
			for (const [name, gpio] of pins) {
				assert.ok(!FLASH_PINS.includes(gpio), `${target}: ${name} on flash pin ${gpio}`);
				assert.ok(!ethernet.has(gpio), `${target}: ${name} on GPIO ${gpio}, the Ethernet's ${ethernet.get(gpio)}`);
				if (INPUT_ONLY_PINS.includes(gpio)) {
					assert.ok(/^input\d$|^micData$/.test(name), `${target}: ${name} needs an output: GPIO ${gpio} is input-only`);
					// input-only pins have no internal pull-up: the wiring in the header must name one
					const line = text.split("\n").find((l) => new RegExp(`\\*\\s+${name}\\s+GPIO ${gpio}\\b`).test(l)) ?? "";
					const next = text.split("\n")[text.split("\n").indexOf(line) + 1] ?? "";
					if (name !== "micData")
						assert.match(line + next, /pull-up|pulled up/, `${target}: ${name} on input-only GPIO ${gpio}: the header must say where its pull-up is`);
				}
			}
			const { audioIn, audioOut } = manifest.defines ?? {};
			if (audioIn && pins.has("micClock"))
				assert.deepEqual([audioIn.i2s.bck_pin, audioIn.i2s.lr_pin, audioIn.i2s.datain], [pins.get("micClock"), pins.get("micSelect"), pins.get("micData")]);
			if (audioOut && pins.has("speakerClock"))
				assert.deepEqual([audioOut.i2s.bck_pin, audioOut.i2s.lr_pin, audioOut.i2s.dataout_pin], [pins.get("speakerClock"), pins.get("speakerSelect"), pins.get("speakerData")]);
			if (audioOut?.amplifier?.power !== undefined && pins.has("amplifier"))
				assert.equal(audioOut.amplifier.power, pins.get("amplifier"));
			for (const [what, gpio] of [["audio in", audioIn?.i2s], ["audio out", audioOut?.i2s]] as Array<[string, Record<string, unknown> | undefined]>) {
				for (const pin of Object.entries(gpio ?? {}).filter(([k, v]) => /pin$|^datain$/.test(k) && typeof v === "number").map(([, v]) => v as number))
					assert.ok(!ethernet.has(pin), `${target}: ${what} on GPIO ${pin}, the Ethernet's ${ethernet.get(pin)}`);
			}
		});
	}
});
