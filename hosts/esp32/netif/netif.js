/*
 * ESP-IDF network interface helpers (netif.c): host name, static address,
 * DNS servers and read-back, by interface key ("ETH_DEF", "WIFI_STA_DEF",
 * "WIFI_AP_DEF"); the chip's MAC before any interface exists.
 */
export default class Netif {
	static configure(key, hostname, address, mask, gateway) @ "xs_netif_configure";
	static dns(key, first, second) @ "xs_netif_dns";
	static get(key, property) @ "xs_netif_get";
	static mac() @ "xs_netif_mac";
}
Object.freeze(Netif.prototype);
