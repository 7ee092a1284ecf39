/*
 * A UDP socket that listens to a multicast group, for the simulator (see
 * multicast.c): the ECMA-419 shape the station's paging uses (an options
 * object with port, multicast and address; onReadable(count), read(),
 * close()), polled every 20 ms as the SDK's own Linux sockets are. Paging
 * only listens; mDNS also writes, to the group and to one querier.
 */
import Timer from "timer";

const MAX_QUEUED = 8;

export default class MulticastUDP {
	#fd;
	#timer;
	#queue = [];
	#options;
	constructor(options) {
		this.#options = options;
		this.#fd = native("xs_portier_mcast_open").call(this, options.port, options.multicast, options.address ?? "");
		this.#timer = Timer.repeat(() => this.#poll(), 20);
	}
	#poll() {
		let count = 0;
		for (let d; (d = native("xs_portier_mcast_recv").call(this, this.#fd)) !== undefined;) {
			const buffer = d[0];
			buffer.address = d[1];
			buffer.port = d[2];
			if (this.#queue.length === MAX_QUEUED)
				this.#queue.shift();
			this.#queue.push(buffer);
			count++;
		}
		if (count && this.#options.onReadable) {
			try {
				this.#options.onReadable.call(this, this.#queue.length);
			}
			catch {
				// the station's handlers catch their own errors; nothing escapes a timer
			}
		}
	}
	read() {
		return this.#queue.shift();
	}
	write(buffer, address, port) {
		if (this.#timer === undefined)
			throw new Error("closed");
		// the native side takes an ArrayBuffer: a view is copied to one of its own
		const bytes = ArrayBuffer.isView(buffer) ? buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) : buffer;
		native("xs_portier_mcast_send").call(this, this.#fd, bytes, address, port);
	}
	close() {
		if (this.#timer !== undefined) {
			Timer.clear(this.#timer);
			this.#timer = undefined;
			native("xs_portier_mcast_close").call(this, this.#fd);
		}
		this.#queue.length = 0;
	}
}
