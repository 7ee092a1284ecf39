/*
 * The emulated panel's Ethernet (openeth.c): QEMU's OpenCores MAC with DHCP.
 */
export default class OpenEth {
	static start() @ "xs_openeth_start";
	static get(property) @ "xs_openeth_get";
}
Object.freeze(OpenEth.prototype);
