/*
 * The simulator's board (the module "host/board" on lin): the simulator has
 * no digital I/O, so relay outputs and input levels live here, and a UDP
 * control port (bound to 127.0.0.1 for tests and developers) reads and
 * drives them:
 *   "status"        -> "relays 1=0 2=0 inputs 1=1 2=1 3=0"
 *   "input N L"     -> sets input N to level L (0 or 1), debounced by the station
 *   "press N"       -> input N active, then inactive after 300 ms
 *   "gc"            -> a full garbage collection
 *   "heap"          -> "ok CHUNKS SLOTS KEYS CODE": the XS heap in bytes right
 *                      after a full collection, in the same turn (so nothing
 *                      allocated since is counted, unlike the debugger's
 *                      sampled instruments), the property names interned,
 *                      and the bytes of chunks that hold function byte code
 *                      (hosts/moddable/xs-heap.c)
 * Every command is answered ("ok ..." or "error ...") to the sender.
 */
import type { UDPClass, UDPSocket } from "io/types";
import type { RelayDriver, Station } from "station/station";
import Debug from "debug";
import xsHeap from "xs-heap";
import { timingReport } from "sip-timing";

export class Board implements RelayDriver {
	#relays = new Map<number, boolean>();
	#levels = new Map<number, number>();
	#station: Station | undefined;
	#socket: UDPSocket | undefined;
	#timers: { set(cb: () => void, ms: number): unknown };

	constructor(timers: { set(cb: () => void, ms: number): unknown }) {
		this.#timers = timers;
	}

	set(id: number, active: boolean): void {
		this.#relays.set(id, active);
		trace(`sim: relay ${id} ${active ? 1 : 0}\n`);
	}

	/** Input `id`'s raw level before the station runs: the simulator's inputs are driven only through its control port, after start. */
	inputLevel(_id: number): number | undefined {
		return undefined;
	}

	/** The simulator has no LED. */
	led(_on: boolean): void {}

	/** The station's address: the simulator is tested on the loopback. */
	get address(): string {
		return "127.0.0.1";
	}

	/** What the device page shows about this host. */
	get info(): { model: string; ip: string; mac?: string } {
		return { model: "portier in the Moddable simulator", ip: this.address };
	}

	/** Inputs go to this station from now on (again after a soft reboot); with `control`, listen for control commands. */
	attach(station: Station, control?: { io: UDPClass; port: number }): void {
		this.#station = station;
		if (!control || this.#socket) {
			// after a reboot the station is new: the control port follows it
			return;
		}
		for (const input of station.config.inputs)
			this.#levels.set(input.id, input.activeLevel ? 0 : 1);
		for (const relay of station.config.relays)
			this.#relays.set(relay.id, false);
		const pins = this;
		this.#socket = new control.io({
			port: control.port,
			address: "127.0.0.1",
			onReadable(count) {
				for (let i = 0; i < count; i++) {
					const d = this.read();
					if (!d)
						break;
					let answer: string;
					try {
						answer = pins.#command(String.fromCharCode.apply(null, Array.from(new Uint8Array(d))).trim());
					}
					catch (e) {
						answer = "error " + String(e);
					}
					const bytes = new Uint8Array(answer.length);
					for (let k = 0; k < answer.length; k++)
						bytes[k] = answer.charCodeAt(k) & 0x7F;
					this.write(bytes, d.address, d.port);
				}
			},
		});
	}

	#status(): string {
		const relays = Array.from(this.#relays.entries()).map(([id, on]) => `${id}=${on ? 1 : 0}`).join(" ");
		const inputs = Array.from(this.#levels.entries()).map(([id, level]) => `${id}=${level}`).join(" ");
		return `relays ${relays} inputs ${inputs}`;
	}

	#command(text: string): string {
		const [verb, a, b] = text.split(/\s+/);
		const station = this.#station!;
		if (verb === "status")
			return this.#status();
		if (verb === "heap") {
			const heap = xsHeap();
			return `ok ${heap.chunks} ${heap.slots} ${heap.keys} ${heap.code}`;
		}
		if (verb === "timing")
			return "ok\n" + timingReport();	// a build with timing=1: see sip-timing
		if (verb === "gc") {
			// a full collection, so that heap figures read next count live objects only
			Debug.gc();
			return "ok";
		}
		const input = station.config.inputs.find((i) => i.id === Number(a));
		if (!input)
			return "error no input " + a;
		if (verb === "input" && (b === "0" || b === "1")) {
			this.#levels.set(input.id, Number(b));
			station.input(input.id, Number(b));
			return "ok";
		}
		if (verb === "press") {
			this.#levels.set(input.id, input.activeLevel);
			station.input(input.id, input.activeLevel);
			this.#timers.set(() => {
				const idle = input.activeLevel ? 0 : 1;
				this.#levels.set(input.id, idle);
				station.input(input.id, idle);
			}, Math.max(300, input.debounce + 100));
			return "ok";
		}
		return "error unknown command";
	}
}
