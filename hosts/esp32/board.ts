/*
 * A door panel's board for the station (the module "host/board" on ESP32
 * targets): its relays and inputs on the target's pins, by the names its
 * host/provider gives them (relay1, relay2..., input1, input2...), and the
 * address the panel has on the network (brought up from the stored settings
 * before the station starts: hosts/esp32/network-wifi.ts on a Wi-Fi panel,
 * network-ethernet.ts on an Ethernet one; "net" answers for the interface in
 * use, the Wi-Fi station, the setup access point or Ethernet).
 */
import device from "embedded:provider/builtin";
import Net from "net";
import { PanelPins } from "io/panel-pins";
import type { Clock, DigitalClass, UDPClass } from "io/types";
import type { Station } from "station/station";

/** The numbered pins the provider names: relay1, relay2... or input1, input2... up to the first missing. */
function numbered(prefix: string, most: number): number[] {
	// each target's provider has its own pin table; looked up by name here
	const pins = device.pin as unknown as Record<string, number | undefined>;
	const out: number[] = [];
	for (let i = 1; i <= most; i++) {
		const pin = pins[prefix + i];
		if (pin === undefined)
			break;
		out.push(Number(pin));
	}
	return out;
}

export class Board {
	#pins: PanelPins;
	#led: { write(value: number): void } | undefined;

	constructor(_clock: Clock) {
		this.#pins = new PanelPins({
			digital: device.io.Digital as unknown as DigitalClass,
			relays: numbered("relay", 4),
			inputs: numbered("input", 8),
			log: (line) => trace(line + "\n"),
		});
	}

	/** The panel's IP address (DHCP or static). */
	get address(): string {
		return Net.get("IP") || "0.0.0.0";
	}

	/** What the device page shows about this host: the panel's MAC and address. */
	get info(): { model: string; ip: string; mac?: string } {
		return { model: "portier door panel (ESP32)", ip: this.address, mac: Net.get("MAC") || undefined };
	}

	/** Input `id`'s raw level (read at power-on for the network reset), undefined without it. */
	inputLevel(id: number): number | undefined {
		return this.#pins.level(id);
	}

	/** The board's LED, where it has one (the power-on reset blinks it). */
	led(on: boolean): void {
		const pin = (device.pin as unknown as Record<string, number | undefined>).led;
		if (pin === undefined)
			return;
		this.#led ??= new device.io.Digital({ pin, mode: device.io.Digital.Output });
		this.#led.write(on ? 1 : 0);
	}

	set(id: number, active: boolean): void {
		this.#pins.set(id, active);
	}

	/** Inputs go to this station from now on (again after a soft reboot). A panel has no control port. */
	attach(station: Station, _control?: { io: UDPClass; port: number }): void {
		this.#pins.attach(station);
	}
}
