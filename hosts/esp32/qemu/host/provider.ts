/*
 * The emulated door panel (QEMU's esp32 machine): the devkit's pin table, so
 * the firmware finds the same relays and inputs (hosts/esp32/devkit/host/
 * provider.ts has the wiring). QEMU has no relay board: the relays' state is
 * read through the page's API, as on a panel.
 */
import Digital from "embedded:io/digital";

const device = {
	io: { Digital },
	pin: {
		relay1: 16,
		relay2: 17,
		input1: 32,
		input2: 33,
		input3: 27,
		led: 2,
	},
};

export default device;
