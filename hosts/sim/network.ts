/*
 * The network for the station in the simulator (the module "host/network"):
 * the simulator runs on the computer's own network, already up, and is
 * tested on the loopback. A panel's host/network brings its interface up
 * from the stored settings (hosts/esp32/network-*.ts).
 */
import type { NetworkSettings } from "config/network";

export interface NetworkOptions {
	/** The stored network settings (addressing, static address, Wi-Fi). */
	settings: NetworkSettings;
	log: (line: string) => void;
	/** Called once, with the station's address, when the network is up. */
	onReady: (address: string) => void;
	/** Called when the address changes after onReady (never here: the computer's network is up). */
	onAddress?: (address: string) => void;
}

export function bringUp(options: NetworkOptions): void {
	options.onReady("127.0.0.1");
}

/** The DNS servers the network gave (DHCP): none known here, the build's dnsServer is asked. */
export function dnsServers(): string[] {
	return [];
}
