/*
 * An ECMA-419-shaped embedded:io/digital for tests of a panel's pins: it
 * keeps every pin made, what was written, and drives an input's level as the
 * board would (onReadable with the pin as `this`). Plain code, so the same
 * tests run under Node and inside XS.
 */
import type { DigitalOptions } from "../../modules/io/types.js";

export class FakeDigital {
	static readonly Input = "input";
	static readonly InputPullUp = "input-pull-up";
	static readonly Output = "output";
	static readonly Rising = 1;
	static readonly Falling = 2;
	static pins: FakeDigital[] = [];
	options: DigitalOptions;
	level = 1;
	written: number[] = [];
	closed = false;
	constructor(options: DigitalOptions) {
		this.options = options;
		FakeDigital.pins.push(this);
	}
	read(): number {
		return this.level;
	}
	write(value: 0 | 1): void {
		this.written.push(value);
	}
	close(): void {
		this.closed = true;
	}
	/** The wire changes level: the pin calls back as the board's would. */
	drive(level: number): void {
		this.level = level;
		this.options.onReadable?.call(this);
	}
}
