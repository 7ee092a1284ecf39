/*
 * The network of an ESP32 panel (the module "host/network"): brought up by the
 * SDK's setup/network before the station starts (Wi-Fi with ssid= and
 * password= on the mcconfig command line; the emulation target's own
 * Ethernet setup); the station takes the address it was given.
 */
import Net from "net";
import type { NetworkSettings } from "config/network";

export interface NetworkOptions {
	settings: NetworkSettings;
	log: (line: string) => void;
	onReady: (address: string) => void;
}

export function bringUp(options: NetworkOptions): void {
	options.onReady(Net.get("IP") || "0.0.0.0");
}
