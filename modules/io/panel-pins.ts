/*
 * A door panel's relays and inputs on ECMA-419 digital pins (the board's
 * `embedded:io/digital`, injected as `digital`). Relays are outputs, driven
 * to their off level as soon as they are opened (a door must not open
 * because the panel booted). Inputs (call button, exit button, door sensor)
 * are read on both edges and their raw levels handed to the door logic,
 * which debounces them and knows each input's active level; with
 * `pull: "up"` (the default) a switch wires the pin to ground. After a soft
 * reboot the same pins serve the new station (attach again): they are opened
 * once.
 */
import type { DigitalClass, DigitalPin, Log } from "./types.js";

export interface PanelPinsOptions {
	digital: DigitalClass;
	/** GPIO of relay 1, relay 2... */
	relays: readonly number[];
	/** GPIO of input 1, input 2... */
	inputs: readonly number[];
	/** The level that energises a relay (1, the default; 0 for active-low relay boards). */
	relayActive?: 0 | 1;
	/** Inputs with the pin's pull-up (default), or none (an external resistor). */
	pull?: "up" | "none";
	log?: Log;
}

/** Where input levels go: the door logic (Station.input). */
export interface InputTarget {
	input(id: number, level: number): void;
}

export class PanelPins {
	#o: PanelPinsOptions;
	#relays: DigitalPin[] = [];
	/** What each relay was last driven to (an output pin need not be readable). */
	#energised: boolean[] = [];
	#inputs: DigitalPin[] | undefined;
	#target: InputTarget | undefined;
	#on: 0 | 1;

	constructor(options: PanelPinsOptions) {
		this.#o = options;
		this.#on = options.relayActive ?? 1;
		const off = this.#on ? 0 : 1;
		for (const pin of options.relays) {
			const relay = new options.digital({ pin, mode: options.digital.Output });
			relay.write(off);
			this.#relays.push(relay);
			this.#energised.push(false);
		}
	}

	/** RelayDriver: relay `id` (1-based) on or off; a relay the board does not have is ignored. */
	set(id: number, active: boolean): void {
		const relay = this.#relays[id - 1];
		if (!relay) {
			this.#o.log?.(`pins: no relay ${id} on this board`);
			return;
		}
		relay.write(active ? this.#on : (this.#on ? 0 : 1));
		this.#energised[id - 1] = active;
	}

	/** Hand input levels to `target` from now on; each input's present level is reported at once. */
	attach(target: InputTarget): void {
		this.#target = target;
		this.#open();
		this.#inputs!.forEach((input, i) => this.#report(i + 1, input));
	}

	/** Input `id`'s raw level now (before the station runs too: the power-on reset reads it), or undefined when the board has no such input. */
	level(id: number): number | undefined {
		this.#open();
		return this.#inputs![id - 1]?.read();
	}

	#open(): void {
		if (!this.#inputs) {
			const digital = this.#o.digital;
			const pins = this;
			this.#inputs = this.#o.inputs.map((pin, i) => new digital({
				pin,
				mode: this.#o.pull === "none" ? digital.Input : digital.InputPullUp,
				edge: digital.Rising | digital.Falling,
				onReadable() {
					pins.#report(i + 1, this);
				},
			}));
		}
	}

	/** Present states: relays as driven (1 energised), inputs as read. */
	levels(): { relays: number[]; inputs: number[] } {
		return {
			relays: this.#energised.map((on) => (on ? 1 : 0)),
			inputs: (this.#inputs ?? []).map((p) => p.read()),
		};
	}

	close(): void {
		for (const pin of [...this.#relays, ...(this.#inputs ?? [])]) {
			try {
				pin.close();
			}
			catch { /* already closed */ }
		}
		this.#relays = [];
		this.#inputs = undefined;
	}

	#report(id: number, pin: DigitalPin): void {
		try {
			this.#target?.input(id, pin.read());
		}
		catch (e) {
			this.#o.log?.(`pins: input ${id}: ${String(e)}`);
		}
	}
}
