// The project's native Ethernet module (ethernet.js, ethernet.c).
export default class Ethernet {
	/** Once: address "" means DHCP (as hostname); otherwise that static address. Throws on a bad address or a missing PHY. */
	static start(hostname: string, address: string, mask: string, gateway: string): void;
	static get(property: "LINK"): boolean;
	static get(property: "IP" | "MASK" | "GATEWAY" | "DNS" | "MAC" | "HOSTNAME"): string | undefined;
}
