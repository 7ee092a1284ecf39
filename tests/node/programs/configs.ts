// Two configurations that differ everywhere and span several storage chunks.
import { type DeviceConfig, deviceDefaults } from "../../../modules/config/device.js";

export function savedConfigs(): [DeviceConfig, DeviceConfig] {
	const out: DeviceConfig[] = [];
	for (const n of [1, 2]) {
		const c = deviceDefaults();
		c.station.maxCallTime = 100 * n;
		c.accounts["1"].label = "copy " + n;
		c.station.schedules = Array.from({ length: 10 }, (_, i) => ({ name: `T${n}-${i}`, numbers: Array.from({ length: 16 }, (_, j) => `sip:${n}${i}${j}@pbx.example.com`), windows: [{ days: [n], start: 60 * n, end: 600 }] }));
		out.push(c);
	}
	return out as [DeviceConfig, DeviceConfig];
}
