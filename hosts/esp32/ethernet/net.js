/*
 * The SDK's "net" module for the Ethernet targets: the same Net.get() the
 * board reads (IP, MAC...), answered from the Ethernet interface. The SDK's
 * own (modules/network/net/esp) asks Wi-Fi first, and Wi-Fi is not in these
 * builds. Names are not resolved here: the firmware resolves through its
 * own DNS client.
 */
import Ethernet from "ethernet";

export default class Net {
	static get(property) {
		return Ethernet.get(property);
	}
	static resolve(host, callback) {
		throw new Error("Net.resolve: not on the Ethernet targets");
	}
}
