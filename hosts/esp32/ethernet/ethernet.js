/*
 * The panel's Ethernet interface (ethernet.c): QEMU's OpenCores MAC or the
 * ESP32's EMAC with a LAN87xx PHY, as the target's manifest defines.
 */
export default class Ethernet {
	static start(hostname, address, mask, gateway) @ "xs_ethernet_start";
	static get(property) @ "xs_ethernet_get";
}
Object.freeze(Ethernet.prototype);
