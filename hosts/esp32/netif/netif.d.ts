// The project's native ESP-IDF network interface helpers (netif.js, netif.c).
export type InterfaceKey = "ETH_DEF" | "WIFI_STA_DEF" | "WIFI_AP_DEF";
export default class Netif {
	/** hostname "" keeps the name; address "" means DHCP; gateway "" none. Throws a RangeError on a bad address. */
	static configure(key: InterfaceKey, hostname: string, address: string, mask: string, gateway: string): void;
	/** The interface's DNS servers ("" leaves one unset). */
	static dns(key: InterfaceKey, first: string, second: string): void;
	static get(key: InterfaceKey, property: "IP" | "MASK" | "GATEWAY" | "DNS" | "MAC" | "HOSTNAME"): string | undefined;
	/** The chip's Wi-Fi station MAC "aa:bb:cc:dd:ee:ff", readable before any interface exists. */
	static mac(): string | undefined;
}
