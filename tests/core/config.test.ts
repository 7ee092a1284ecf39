import { deepEqual, equal, ok } from "../lib/assert.js";
import { CONFIG_VERSION, DEVICE_SCHEMA, type SchemaNode, STATION_SCHEMA } from "../../modules/config/schema.js";
import { type FieldError, allowedOf, defaultsOf, merge, redact, validate } from "../../modules/config/values.js";
import { type DeviceConfig, accountsOf, deviceDefaults, validateDevice } from "../../modules/config/device.js";
import { ConfigStore, type PreferenceStorage } from "../../modules/config/store.js";
import { Settings } from "../../modules/config/settings.js";
import { STATION_DEFAULTS } from "../../modules/station/config.js";
import { leaves } from "../lib/schema.js";

/** Preference in memory; `failAfter` makes the n-th write throw (a power cut in the middle of a save). */
class MemoryStorage implements PreferenceStorage {
	data = new Map<string, string | number | boolean | ArrayBuffer>();
	writes = 0;
	failAfter = Infinity;
	get(domain: string, key: string) {
		return this.data.get(domain + "/" + key);
	}
	set(domain: string, key: string, value: string | number | boolean | ArrayBuffer) {
		if (++this.writes > this.failAfter)
			throw new Error("power cut");
		if (key.length > 15 || (typeof value === "string" && value.length > 4000))
			throw new Error("NVS limits: key " + key + ", " + String(value).length + " bytes");
		this.data.set(domain + "/" + key, value);
	}
	delete(domain: string, key: string) {
		if (++this.writes > this.failAfter)
			throw new Error("power cut");
		this.data.delete(domain + "/" + key);
	}
}

/** A value the node must refuse. */
function badValue(node: SchemaNode): unknown {
	switch (node.kind) {
		case "int": return node.max + 1;
		case "bool": return "yes";
		case "choice": return "nonsense";
		case "text": return "x".repeat(node.max + 1);
		case "list": return Array.from({ length: node.max + 1 }, () => defaultsOf(node.of));
		default: return 42;
	}
}

function patchAt(path: string, value: unknown): Record<string, unknown> {
	const parts = path.split(".");
	let out: unknown = value;
	for (let i = parts.length - 1; i >= 0; i--)
		out = { [parts[i]]: out };
	return out as Record<string, unknown>;
}

function update(current: DeviceConfig, patch: unknown): { config: DeviceConfig; errors: FieldError[] } {
	const errors: FieldError[] = [];
	const config = merge(DEVICE_SCHEMA, current, patch, "", errors) as DeviceConfig;
	if (!errors.length)
		errors.push(...validateDevice(config));
	return { config, errors };
}

describe("configuration schema", () => {
	it("the factory defaults are valid, and the station's are the schema's", () => {
		deepEqual(validateDevice(deviceDefaults()), []);
		deepEqual(defaultsOf(STATION_SCHEMA), JSON.parse(JSON.stringify(STATION_DEFAULTS)));
		equal(deviceDefaults().sip.port, 5060);
		equal(deviceDefaults().station.maxCallTime, 300);
		equal(deviceDefaults().accounts["1"].expires, 1800);
	});

	it("refuses a bad value of every field, naming the field and what is allowed", () => {
		const all = leaves(DEVICE_SCHEMA);
		ok(all.length > 60, "the schema has " + all.length + " fields");
		for (const { path, node } of all) {
			const { errors } = update(deviceDefaults(), patchAt(path, badValue(node)));
			ok(errors.length >= 1, path + " accepted a bad value");
			equal(errors[0].field, path);
			equal(errors[0].message, allowedOf(node));
		}
	});

	it("merges partial updates and refuses unknown fields", () => {
		const base = deviceDefaults();
		const { config, errors } = update(base, { station: { maxCallTime: 120, relays: [{ id: 1, holdTime: 5, dtmfCode: "1234" }] } });
		deepEqual(errors, []);
		equal(config.station.maxCallTime, 120);
		equal(config.station.relays[0].dtmfCode, "1234");
		equal(config.station.dialInTime, 60, "untouched fields stay");
		equal(base.station.maxCallTime, 300, "the current value is not changed");
		deepEqual(update(base, { station: { maxCalTime: 1 } }).errors.map((e) => e.field), ["station.maxCalTime"]);
		deepEqual(update(base, "nope").errors.map((e) => e.field), ["(root)"]);
		deepEqual(update(base, { accounts: { "1": { enabled: true } } }).errors.map((e) => e.field), ["accounts.1.server", "accounts.1.registerName"]);
	});

	it("keeps secrets write-only: redacted on the way out, kept when sent back as null", () => {
		const { config } = update(deviceDefaults(), { accounts: { "1": { enabled: true, server: "127.0.0.1", registerName: "door", password: "s3cret" } } });
		const out = redact(DEVICE_SCHEMA, config) as { accounts: Record<string, { password: unknown; server: string }> };
		equal(out.accounts["1"].password, null);
		equal(out.accounts["2"].password, "");
		equal(JSON.stringify(out).indexOf("s3cret"), -1);
		const again = update(config, out);
		deepEqual(again.errors, []);
		equal(again.config.accounts["1"].password, "s3cret");
		equal(accountsOf(again.config)[0].password, "s3cret");
		equal(accountsOf(again.config)[0].enabled, true);
		equal(accountsOf(again.config)[1].enabled, false);
	});
});

describe("configuration import", () => {
	it("an exported file imports back with every secret kept (accounts, MQTT, subscribers); what it leaves out gets its default", () => {
		const settings = new Settings({ store: new ConfigStore({ storage: new MemoryStorage() }) });
		const set = settings.update({
			accounts: { "1": { enabled: true, server: "127.0.0.1", registerName: "door", password: "acc-secret" } },
			mqtt: { password: "mqtt-secret" },
			server: { subscribers: [{ user: "8001", password: "pw-8001-x" }, { user: "8002", password: "pw-8002-x" }] },
			station: { maxCallTime: 120 },
		});
		deepEqual(set.errors, []);
		const exported = redact(DEVICE_SCHEMA, settings.config) as { accounts: unknown; server: { subscribers: unknown[] } };
		equal(JSON.stringify(exported).indexOf("secret"), -1);
		// the subscribers in another order: each keeps its own password
		exported.server.subscribers.reverse();
		deepEqual(settings.replace(exported).errors, []);
		equal(settings.config.accounts["1"].password, "acc-secret");
		equal(settings.config.mqtt.password, "mqtt-secret");
		deepEqual(settings.config.server.subscribers, [{ user: "8002", password: "pw-8002-x", name: "", mac: "", expires: 0, address: "" }, { user: "8001", password: "pw-8001-x", name: "", mac: "", expires: 0, address: "" }], "an item gets the defaults of the fields it leaves out");
		equal(settings.config.station.maxCallTime, 120);
		const partial = settings.replace({ accounts: exported.accounts });
		deepEqual(partial.errors, []);
		equal(settings.config.station.maxCallTime, 300, "a section the file leaves out gets its defaults");
		equal(settings.config.mqtt.password, "", "so does a secret it leaves out");
		equal(settings.config.accounts["1"].password, "acc-secret");
		const before = JSON.stringify(settings.config);
		deepEqual(settings.replace({ station: { callMode: "loud" } }).errors.map((e) => e.field), ["station.callMode"]);
		deepEqual(settings.replace({ stations: {} }).errors.map((e) => e.field), ["stations"]);
		equal(JSON.stringify(settings.config), before, "a refused import changes nothing");
	});
});

describe("configuration store", () => {
	function bigConfig(): DeviceConfig {
		const c = deviceDefaults();
		c.station.schedules = Array.from({ length: 10 }, (_, i) => ({ name: "Tür " + i, numbers: Array.from({ length: 16 }, (_, j) => "sip:" + (1000 + j) + "@pbx.example.com"), windows: [{ days: [1, 2, 3], start: 480, end: 1080 }] }));
		c.accounts["1"].ca = "-----BEGIN CERTIFICATE-----\n" + "MIIB" + "QUJD".repeat(399) + "\n-----END CERTIFICATE-----\n";
		return c;
	}

	it("saves and loads in NVS-sized chunks, non-ASCII text included", () => {
		const storage = new MemoryStorage();
		const store = new ConfigStore({ storage });
		equal(store.load().source, "defaults");
		const c = bigConfig();
		deepEqual(validateDevice(c), []);
		store.save(c);
		const loaded = store.load();
		equal(loaded.source, "stored");
		deepEqual(loaded.config, c);
		ok(storage.get("portier", "a1") !== undefined, "the text spans chunks");
		store.save(deviceDefaults());
		deepEqual(store.load().config, deviceDefaults());
		store.clear();
		equal(store.load().source, "defaults");
		equal(storage.data.size, 0, "a factory reset leaves nothing behind");
	});

	it("a save cut off at any write leaves the old or the new configuration", () => {
		const old = deviceDefaults();
		old.station.maxCallTime = 111;
		const next = bigConfig();
		for (let cut = 0; cut < 40; cut++) {
			const storage = new MemoryStorage();
			const store = new ConfigStore({ storage });
			store.save(old);
			storage.writes = 0;
			storage.failAfter = cut;
			let finished = true;
			try {
				store.save(next);
			}
			catch {
				finished = false;
			}
			const loaded = new ConfigStore({ storage }).load().config;
			deepEqual(loaded, finished ? next : old, "cut after " + cut + " writes");
		}
	});

	it("falls back to the other slot when the current one is damaged", () => {
		const storage = new MemoryStorage();
		const store = new ConfigStore({ storage });
		const first = deviceDefaults();
		first.station.maxCallTime = 100;
		store.save(first);
		const second = deviceDefaults();
		second.station.maxCallTime = 200;
		store.save(second);
		storage.data.set("portier/b0", "{\"garbage");
		equal(store.load().config.station.maxCallTime, 100);
	});

	it("migrates older versions, repairs what no longer fits, and ignores a newer firmware's copy", () => {
		const storage = new MemoryStorage();
		storage.set("portier", "current", "a");
		const v1 = JSON.stringify({ version: 1, config: { station: { maxCallTime: 90, callTime: 5, relays: [{ id: 1, holdTime: 999, dtmfCode: "1234" }], inputs: [{ id: 2, kind: "exit", activeLevel: 0, debounce: 50, relay: 3, template: "" }] } } });
		writeSlot(storage, "a", v1);
		// version 2 doubles maxCallTime (a made-up change that exercises the mechanism)
		const migrations = [(c: Record<string, unknown>, notes: string[]) => {
			const station = { ...(c.station as Record<string, unknown>) };
			station.maxCallTime = (station.maxCallTime as number) * 2;
			notes.push("doubled");
			return { ...c, station };
		}];
		const loaded = new ConfigStore({ storage, version: 2, migrations }).load();
		equal(loaded.version, 1);
		deepEqual(loaded.notes, ["doubled"]);
		equal(loaded.config.station.maxCallTime, 180);
		equal(loaded.config.station.relays[0].holdTime, 3, "an out-of-range value is reset");
		equal(loaded.config.station.inputs[0].relay, 0, "an exit button naming a missing relay is reset");
		deepEqual(loaded.reset, ["station.relays[0].holdTime", "station.inputs[0].relay"]);
		deepEqual(validateDevice(loaded.config), []);
		writeSlot(storage, "a", JSON.stringify({ version: 3, config: {} }));
		equal(new ConfigStore({ storage, version: 2, migrations }).load().source, "defaults");
	});

	it("version 2 (safe defaults): a one-key door code is removed and every change is told", () => {
		const storage = new MemoryStorage();
		storage.set("portier", "current", "a");
		writeSlot(storage, "a", JSON.stringify({ version: 1, config: { station: {
			relays: [{ id: 1, holdTime: 3, dtmfCode: "#" }, { id: 2, holdTime: 3, dtmfCode: "4711" }],
			autoAnswerIp: { enabled: true, delay: 0, mode: "audio" }, maxCallTime: 120,
		} } }));
		const loaded = new ConfigStore({ storage }).load();
		equal(loaded.version, 1);
		equal(loaded.source, "stored");
		equal(loaded.config.station.relays[0].dtmfCode, "", "the old factory code # is gone");
		equal(loaded.config.station.relays[1].dtmfCode, "4711", "a real code is kept");
		equal(loaded.config.station.autoAnswerIp.enabled, true, "the installer's choice is kept (it now applies to the whitelist)");
		equal(loaded.config.station.dtmfFrom, "trusted");
		equal(loaded.config.station.maxCallTime, 120);
		deepEqual(loaded.reset, []);
		equal(loaded.notes.length, 3);
		equal(loaded.notes[0].indexOf("relay 1: door code \"#\" removed"), 0);
		equal(loaded.notes[1].indexOf("which is empty") > 0, true);
		const lines: string[] = [];
		const settings = new Settings({ store: new ConfigStore({ storage }), log: (l) => lines.push(l) });
		equal(lines.filter((l) => l.indexOf("config: updated from version 1: ") === 0).length, 3);
		equal(settings.config.station.relays[0].dtmfCode, "");
		// written back: the next start has nothing to migrate, and says nothing
		equal(new ConfigStore({ storage }).load().version, CONFIG_VERSION);
		const again: string[] = [];
		new Settings({ store: new ConfigStore({ storage }), log: (l) => again.push(l) });
		equal(again.some((l) => l.indexOf("updated from") >= 0), false);
	});

});

/** Write one slot of the A/B store by hand, as an older firmware left it. */
function writeSlot(storage: MemoryStorage, slot: string, text: string): void {
	storage.set("portier", slot + "0", text);
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++)
		h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
	storage.set("portier", slot + "m", "1:" + text.length + ":" + h.toString(16));
}

describe("built-in server subscribers: password or IP address, own expiry", () => {
	it("a subscriber needs a password unless it has an IP address; its own expiry is 0 or 60-3600", () => {
		const c = deviceDefaults();
		const errors = (subscriber: Record<string, unknown>) => {
			const next = { ...c, server: { ...c.server, subscribers: [{ user: "8001", password: "", name: "", mac: "", expires: 0, address: "", ...subscriber }] } } as DeviceConfig;
			return validateDevice(next).map((e) => e.field + ": " + e.message);
		};
		deepEqual(errors({}), ["server.subscribers[0].password: 8-64 printable characters (empty only with an IP address)"]);
		deepEqual(errors({ address: "192.0.2.21" }), []);
		deepEqual(errors({ password: "secret-8001" }), []);
		deepEqual(errors({ password: "secret-8001", expires: 30 }), ["server.subscribers[0].expires: 0 (the server's) or 60-3600 seconds"]);
		deepEqual(errors({ password: "secret-8001", expires: 120 }), []);
		deepEqual(errors({ address: "192.0.2.256" }), ["server.subscribers[0].address: empty, or an IPv4 address"]);
	});
});
