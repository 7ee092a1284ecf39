// The simulator's multicast listening socket (multicast-udp.js, multicast.c).
import type { UDPOptions, UDPSocket } from "io/types";
export default class MulticastUDP implements UDPSocket {
	constructor(options: UDPOptions);
	read(): import("io/types").Datagram | undefined;
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void;
	close(): void;
}
