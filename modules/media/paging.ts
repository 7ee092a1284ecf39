/*
 * Multicast paging (SPEC §2): listen to up to 10 multicast groups, each with
 * a port and a priority (1 is the highest), and play what arrives (RTP with
 * G.711). "Paging Barge" says how many of the highest-priority groups may
 * interrupt a SIP call; with "Paging Priority Active" a higher-priority page
 * interrupts a lower one that is playing. A page ends after `silence` ms
 * without packets.
 */
import type { Clock, Datagram, Log, UDPClass, UDPSocket } from "../io/types.js";
import { decode } from "./g711.js";
import { readRtp } from "./rtp.js";

export interface PagingGroup {
	address: string;
	port: number;
	priority: number;
}

export interface PagingOptions {
	/** The interface address to join the groups on (default: the host's choice). */
	udp: { io: UDPClass; address?: string };
	clock: Clock;
	groups: PagingGroup[];
	/** How many of the highest-priority groups outrank a SIP call (0: none). */
	barge: number;
	priorityActive: boolean;
	/** Whether a SIP call is going on now. */
	inCall: () => boolean;
	sink: (frame: Int16Array) => void;
	onPage?(group: PagingGroup | undefined): void;
	silence?: number;
	log?: Log;
}

export class PagingListener {
	#o: PagingOptions;
	#sockets: UDPSocket[] = [];
	#playing: PagingGroup | undefined;
	#lastPacket = 0;
	#timer: unknown;
	#frame = new Int16Array(160);
	#rank: Map<PagingGroup, number>;

	constructor(options: PagingOptions) {
		this.#o = options;
		const ordered = options.groups.slice(0, 10).sort((a, b) => a.priority - b.priority);
		this.#rank = new Map(ordered.map((g, i) => [g, i]));
		for (const group of ordered) {
			const listener = this;
			try {
				this.#sockets.push(new options.udp.io({
					port: group.port,
					multicast: group.address,
					address: options.udp.address,
					onReadable(count) {
						for (let i = 0; i < count; i++) {
							const d = this.read();
							if (!d)
								break;
							listener.#packet(group, d);
						}
					},
				}));
			}
			catch (e) {
				options.log?.("paging: cannot listen to " + group.address + ":" + group.port + ": " + String(e));
			}
		}
	}

	/** The group playing now, if any. */
	get playing(): PagingGroup | undefined {
		return this.#playing;
	}

	close(): void {
		for (const s of this.#sockets)
			s.close();
		this.#sockets = [];
		if (this.#timer !== undefined)
			this.#o.clock.clear(this.#timer);
		this.#timer = undefined;
	}

	#allowed(group: PagingGroup): boolean {
		const playing = this.#playing;
		if (playing === group)
			return true;
		if (playing)
			return this.#o.priorityActive && group.priority < playing.priority;
		if (this.#o.inCall())
			return this.#rank.get(group)! < this.#o.barge;
		return true;
	}

	#packet(group: PagingGroup, d: Datagram): void {
		try {
			if (!this.#allowed(group))
				return;
			const p = readRtp(new Uint8Array(d));
			if (!p || (p.payloadType !== 0 && p.payloadType !== 8))
				return;
			if (this.#playing !== group) {
				this.#playing = group;
				this.#o.onPage?.(group);
			}
			this.#lastPacket = this.#o.clock.now();
			this.#watch();
			const n = Math.min(p.payload.length, this.#frame.length);
			decode(p.payloadType === 0 ? "PCMU" : "PCMA", p.payload.subarray(0, n), this.#frame);
			this.#o.sink(this.#frame.subarray(0, n));
		}
		catch (e) {
			this.#o.log?.("paging: " + String(e));
		}
	}

	#watch(): void {
		if (this.#timer !== undefined)
			return;
		const silence = this.#o.silence ?? 1000;
		const check = () => {
			this.#timer = undefined;
			const quiet = this.#o.clock.now() - this.#lastPacket;
			if (quiet >= silence) {
				this.#playing = undefined;
				this.#o.onPage?.(undefined);
				return;
			}
			this.#timer = this.#o.clock.set(check, silence - quiet);
		};
		this.#timer = this.#o.clock.set(check, silence);
	}
}
