/*
 * The SDK's "net" module for the emulation target: the same Net.get() the
 * panel's board reads (IP, MAC...), answered from the OpenCores Ethernet
 * interface. The SDK's own (modules/network/net/esp) asks Wi-Fi first, and
 * Wi-Fi is not in this build. Names are not resolved here: the firmware
 * resolves through its own DNS client.
 */
import OpenEth from "openeth";

export default class Net {
	static get(property) {
		return OpenEth.get(property);
	}
	static resolve(host, callback) {
		throw new Error("Net.resolve: not on the emulation target");
	}
}
