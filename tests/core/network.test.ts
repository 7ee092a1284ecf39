/*
 * The network settings (SPEC §8): IPv4 and mask arithmetic, the checks a
 * static address must pass (each refusal names its field and leaves the
 * stored configuration as it was), the reset at the panel, and the exit
 * button held at power-on that triggers it (a manual clock, so the same
 * tests run inside XS).
 */
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { formatIPv4, maskOfPrefix, parseIPv4, prefixOfMask } from "../../modules/network/ipv4.js";
import { type NetworkSettings, networkErrors, resetNetwork } from "../../modules/config/network.js";
import { deviceDefaults } from "../../modules/config/device.js";
import { ConfigStore } from "../../modules/config/store.js";
import { Settings } from "../../modules/config/settings.js";
import { watchPowerOnHold } from "../../modules/io/power-on-hold.js";
import { PanelPins } from "../../modules/io/panel-pins.js";
import { FakeDigital } from "../lib/fake-digital.js";
import { MemoryStorage } from "../lib/memory-storage.js";


const statics = (o: Partial<NetworkSettings>): NetworkSettings => ({ ...deviceDefaults().network, addressing: "static", address: "192.168.1.20", mask: "255.255.255.0", gateway: "192.168.1.1", ...o });
const fields = (n: NetworkSettings) => networkErrors(n).map((e) => e.field);

describe("IPv4 addresses and masks", () => {
	it("parses dotted quads of 0-255 and nothing else", () => {
		equal(parseIPv4("192.168.1.20"), 0xC0A80114);
		equal(parseIPv4("255.255.255.255"), 0xFFFFFFFF);
		equal(parseIPv4("0.0.0.0"), 0);
		for (const bad of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.a", "1..3.4", "1.2.3.4 ", "-1.2.3.4"])
			equal(parseIPv4(bad), undefined, bad);
		equal(formatIPv4(0xC0A80114), "192.168.1.20");
	});

	it("knows contiguous masks and their prefix lengths", () => {
		equal(prefixOfMask(parseIPv4("255.255.255.0")!), 24);
		equal(prefixOfMask(parseIPv4("255.255.255.255")!), 32);
		equal(prefixOfMask(0), 0);
		equal(prefixOfMask(parseIPv4("255.255.254.0")!), 23);
		equal(prefixOfMask(parseIPv4("255.0.255.0")!), undefined);
		equal(prefixOfMask(parseIPv4("255.255.255.1")!), undefined);
		equal(formatIPv4(maskOfPrefix(20)), "255.255.240.0");
		equal(maskOfPrefix(0), 0);
	});
});

describe("network settings", () => {
	it("asks nothing more of DHCP (the factory setting)", () => {
		const n = deviceDefaults().network;
		deepEqual([n.addressing, n.name, n.announce, n.mask], ["dhcp", "portier", true, "255.255.255.0"]);
		deepEqual(networkErrors(n), []);
	});

	it("accepts a usable static address", () => {
		deepEqual(networkErrors(statics({})), []);
		deepEqual(networkErrors(statics({ gateway: "" })), [], "no gateway: the subnet only");
		deepEqual(networkErrors(statics({ address: "10.1.2.3", mask: "255.0.0.0", gateway: "10.0.0.1" })), []);
	});

	it("refuses a static address that cannot work, naming the field", () => {
		deepEqual(fields(statics({ address: "" })), ["network.address"]);
		deepEqual(fields(statics({ address: "127.0.0.5", gateway: "" })), ["network.address"]);
		deepEqual(fields(statics({ address: "224.0.0.5", gateway: "" })), ["network.address"]);
		deepEqual(fields(statics({ address: "0.1.2.3", gateway: "" })), ["network.address"]);
		deepEqual(fields(statics({ address: "192.168.1.0" })), ["network.address"], "the subnet's own address");
		deepEqual(fields(statics({ address: "192.168.1.255" })), ["network.address"], "the broadcast");
		deepEqual(fields(statics({ mask: "255.0.255.0" })), ["network.mask"]);
		deepEqual(fields(statics({ mask: "255.255.255.255" })), ["network.mask"], "/32 has no subnet");
		deepEqual(fields(statics({ mask: "" })), ["network.mask"]);
		deepEqual(fields(statics({ gateway: "192.168.2.1" })), ["network.gateway"], "outside the subnet");
		deepEqual(fields(statics({ gateway: "192.168.1.20" })), ["network.gateway"], "the station itself");
		const message = networkErrors(statics({ gateway: "10.0.0.1" }))[0].message;
		ok(message.includes("192.168.1.0/24"), message);
	});

	it("refuses a bad change through the settings and keeps the stored configuration", () => {
		const storage = new MemoryStorage();
		const settings = new Settings({ store: new ConfigStore({ storage }) });
		const before = JSON.stringify([...storage.data]);
		const r = settings.update({ network: { addressing: "static", address: "192.168.1.20", mask: "255.255.255.0", gateway: "192.168.7.1" } });
		deepEqual(r.errors.map((e) => e.field), ["network.gateway"]);
		equal(JSON.stringify([...storage.data]), before);
		equal(settings.config.network.addressing, "dhcp");
		for (const [patch, field] of [[{ name: "-door" }, "network.name"], [{ name: "a".repeat(33) }, "network.name"], [{ address: "1.2.3.999" }, "network.address"], [{ dns: ["1.1.1.1", "8.8.8.8", "9.9.9.9"] }, "network.dns"], [{ wifi: { password: "short" } }, "network.wifi.password"]] as const)
			deepEqual(settings.update({ network: patch }).errors.map((e) => e.field), [field], JSON.stringify(patch));
		deepEqual(settings.update({ network: { name: "front-door", addressing: "static", address: "192.168.1.20", gateway: "192.168.1.1", dns: ["192.168.1.1"], wifi: { ssid: "home", password: "long enough" } } }).errors, []);
		equal(new ConfigStore({ storage }).load().config.network.address, "192.168.1.20");
	});

	it("never sends the Wi-Fi password back", () => {
		const settings = new Settings({ store: new ConfigStore({ storage: new MemoryStorage() }) });
		settings.update({ network: { wifi: { ssid: "home", password: "long enough" } } });
		ok(settings.update({ network: { wifi: { ssid: "home", password: null } } }).errors.length === 0, "null keeps the secret");
		equal(settings.config.network.wifi.password, "long enough");
	});

	it("resets to DHCP at the panel, forgetting the Wi-Fi network and the DNS servers, and says what changed", () => {
		const r = resetNetwork(statics({ dns: ["192.168.1.1"], wifi: { ssid: "home", password: "long enough" } }));
		deepEqual([r.settings.addressing, r.settings.dns, r.settings.wifi.ssid, r.settings.wifi.password, r.settings.name], ["dhcp", [], "", "", "portier"]);
		equal(r.changed.length, 3);
		ok(r.changed[0].includes("192.168.1.20"));
		deepEqual(resetNetwork(deviceDefaults().network).changed, []);
	});
});


describe("the exit button held at power-on", () => {
	function watch(levels: () => number | undefined) {
		const clock = new ManualClock();
		const led: boolean[] = [];
		let result: boolean | undefined;
		watchPowerOnHold({ level: levels, activeLevel: 0, clock, led: (on) => led.push(on), done: (held) => { result = held; } });
		return { clock, led, result: () => result };
	}

	it("costs nothing when the button is not pressed", () => {
		const w = watch(() => 1);
		equal(w.result(), false);
		equal(w.clock.pending, 0);
	});

	it("costs nothing on a board without the input", () => {
		equal(watch(() => undefined).result(), false);
	});

	it("counts after 10 s held, blinking the LED meanwhile", () => {
		const w = watch(() => 0);
		w.clock.advance(9900);
		equal(w.result(), undefined);
		ok(w.led.includes(true) && w.led.includes(false), "blinks");
		w.clock.advance(100);
		equal(w.result(), true);
		equal(w.led[w.led.length - 1], true, "lit once it counts");
		equal(w.clock.pending, 0);
	});

	it("does not count when released sooner", () => {
		let level = 0;
		const w = watch(() => level);
		w.clock.advance(5000);
		level = 1;
		w.clock.advance(100);
		equal(w.result(), false);
		equal(w.led[w.led.length - 1], false);
		equal(w.clock.pending, 0);
	});

	it("reads the panel's input before the station runs", () => {
		FakeDigital.pins = [];
		const pins = new PanelPins({ digital: FakeDigital, relays: [16], inputs: [32, 33] });
		equal(pins.level(2), 1);
		FakeDigital.pins.find((p) => p.options.pin === 33)!.level = 0;
		equal(pins.level(2), 0);
		equal(pins.level(3), undefined);
		const reported: Array<[number, number]> = [];
		pins.attach({ input: (id, level) => reported.push([id, level]) });
		deepEqual(reported, [[1, 1], [2, 0]]);
		equal(FakeDigital.pins.length, 3, "the inputs are opened once");
	});
});
