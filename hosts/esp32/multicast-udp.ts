/*
 * A UDP socket that listens to a multicast group on a panel: the SDK's
 * ECMA-419 UDP socket on lwIP, which joins a group with add() (IGMP on every
 * interface with an address) rather than with a constructor option. It is
 * bound to any address: lwIP would not hand a socket bound to the panel's
 * own address the group's datagrams.
 */
import UDP from "embedded:io/socket/udp";
import type { UDPOptions } from "io/types";

export default class MulticastUDP extends (UDP as unknown as new (options: object) => { add(group: string): void; close(): void }) {
	constructor(options: UDPOptions) {
		const { multicast, address: _interface, ...rest } = options;
		super(rest);
		if (multicast !== undefined) {
			try {
				this.add(multicast);
			}
			catch (e) {
				this.close();
				throw e;
			}
		}
	}
}
