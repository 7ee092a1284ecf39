// The station's SIP Outbound instance (RFC 5626 §4.1) is made once and kept:
// after a restart the registrar sees the same instance and replaces its
// binding, instead of holding a stale one until it expires.
import assert from "node:assert/strict";
import { nodeClock } from "../../hosts/node/clock.js";
import { nodeHash } from "../../hosts/node/platform.js";
import { Device } from "../../modules/device.js";
import type { PreferenceStorage } from "../../modules/config/store.js";
import { FakeUDP } from "./fakes.js";
import { MemoryStorage } from "../lib/memory-storage.js";


describe("the station's SIP Outbound instance", () => {
	let n = 0;
	const device = (storage: PreferenceStorage) => new Device({
		udp: FakeUDP, clock: nodeClock, hash: nodeHash, random: () => (++n).toString(16).padStart(16, "0"),
		relays: { set: () => {} }, storage, token: () => (++n).toString(16).padStart(32, "0"),
	}, { host: "192.0.2.10", rtpPorts: { first: 40000, last: 40020 }, rtpTimeout: 0 });

	it("is the same after a restart, and another station's is another", () => {
		const storage = new MemoryStorage();
		const made = [device(storage), device(storage), device(new MemoryStorage())];
		const [first, again, other] = made.map((d) => d.app.ua.stack.instance);
		for (const d of made)
			d.stop();
		assert.match(first, /^urn:uuid:[0-9a-f-]{36}$/);
		assert.equal(again, first);
		assert.notEqual(other, first);
	});
});
