/*
 * The panel's way back from a wrong network setting (SPEC §8): the exit
 * button held while the panel powers on. A static address that does not fit
 * the network, or Wi-Fi credentials that no longer work, leave the page out
 * of reach; holding the button for `hold` ms from power-on restores DHCP
 * (and, on a Wi-Fi panel, its setup access point). The LED blinks while the
 * button is held and stays lit once the hold counts. A button released
 * sooner, or not pressed at power-on, changes nothing and costs no delay.
 */
import type { Clock } from "./types.js";

export interface PowerOnHoldOptions {
	/** The input's raw level now; undefined: the board has no such input. */
	level: () => number | undefined;
	/** The level that means pressed (the input's configured active level). */
	activeLevel: number;
	clock: Clock;
	/** How long the button must be held (ms); 10 s, so no brief press at power-on counts. */
	hold?: number;
	/** How often the level is read while held (ms). */
	poll?: number;
	led?: (on: boolean) => void;
	/** Called once: true when the button was held for `hold` ms. */
	done: (held: boolean) => void;
}

export function watchPowerOnHold(options: PowerOnHoldOptions): void {
	const { clock, done } = options;
	const hold = options.hold ?? 10000;
	const poll = options.poll ?? 100;
	const pressed = () => {
		try {
			return options.level() === options.activeLevel;
		}
		catch {
			return false;
		}
	};
	if (!pressed()) {
		done(false);
		return;
	}
	const started = clock.now();
	let blink = false;
	const timer = clock.repeat(() => {
		if (!pressed()) {
			clock.clear(timer);
			options.led?.(false);
			done(false);
			return;
		}
		if (clock.now() - started >= hold) {
			clock.clear(timer);
			options.led?.(true);
			done(true);
			return;
		}
		blink = !blink;
		options.led?.(blink);
	}, poll);
}
