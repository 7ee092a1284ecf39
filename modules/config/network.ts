/*
 * The network settings (SPEC §8): the checks between their fields, and how a
 * panel reads them before the station starts (the network comes up first).
 */
import { formatIPv4, maskOfPrefix, parseIPv4, prefixOfMask } from "../network/ipv4.js";
import type { FieldError } from "./values.js";

export interface NetworkSettings {
	/** The host name: <name>.local by mDNS, and the DHCP client's name. */
	name: string;
	/** Answer mDNS and announce the station's services (DNS-SD). */
	announce: boolean;
	addressing: "dhcp" | "static";
	address: string;
	mask: string;
	gateway: string;
	dns: string[];
	wifi: { ssid: string; password: string };
}

const STATIC = "needed for a static address: ";

/**
 * A static address must be usable: a host address of its subnet (not the
 * subnet's own address or its broadcast, not 0.x, 127.x, multicast or class E),
 * a contiguous mask of /8-/30, and a gateway in the same subnet. A panel
 * with a wrong static address is off the network until it is reset at the
 * panel, so the page refuses what cannot work.
 */
export function networkErrors(n: NetworkSettings, prefix = "network."): FieldError[] {
	const errors: FieldError[] = [];
	if (n.addressing !== "static")
		return errors;
	const address = parseIPv4(n.address);
	const mask = parseIPv4(n.mask);
	const bits = mask === undefined ? undefined : prefixOfMask(mask);
	if (bits === undefined || bits < 8 || bits > 30)
		errors.push({ field: prefix + "mask", message: STATIC + "a subnet mask of contiguous ones, 255.0.0.0 (/8) to 255.255.255.252 (/30)" });
	const first = address === undefined ? -1 : address >>> 24;
	if (address === undefined || first === 0 || first === 127 || first >= 224)
		errors.push({ field: prefix + "address", message: STATIC + "an IPv4 host address (not 0.x, 127.x, multicast or 240.x and above)" });
	if (errors.length || address === undefined || bits === undefined)
		return errors;
	const netmask = maskOfPrefix(bits);
	const host = (address & ~netmask) >>> 0;
	if (host === 0 || host === (~netmask >>> 0))
		errors.push({ field: prefix + "address", message: `an address of the subnet ${formatIPv4((address & netmask) >>> 0)}/${bits} that is neither its first (the subnet) nor its last (the broadcast)` });
	if (n.gateway) {
		const gateway = parseIPv4(n.gateway);
		if (gateway === undefined || ((gateway & netmask) >>> 0) !== ((address & netmask) >>> 0) || gateway === address)
			errors.push({ field: prefix + "gateway", message: `empty, or an address in the subnet ${formatIPv4((address & netmask) >>> 0)}/${bits} other than the station's` });
	}
	return errors;
}

/**
 * The network settings after a reset at the panel: DHCP, the factory DNS
 * servers, and no Wi-Fi network (a Wi-Fi panel opens its setup access point).
 * The name and announcements stay. Returns what changed, for the log.
 */
export function resetNetwork(n: NetworkSettings): { settings: NetworkSettings; changed: string[] } {
	const changed: string[] = [];
	if (n.addressing !== "dhcp")
		changed.push(`static address ${n.address} replaced by DHCP`);
	if (n.dns.length)
		changed.push("DNS servers " + n.dns.join(", ") + " removed");
	if (n.wifi.ssid)
		changed.push(`Wi-Fi network "${n.wifi.ssid}" forgotten`);
	return { settings: { ...n, addressing: "dhcp", dns: [], wifi: { ssid: "", password: "" } }, changed };
}
