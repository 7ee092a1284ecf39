/*
 * The emulated door panel (QEMU's esp32 machine): the devkit's relays on the
 * devkit's pins (hosts/esp32/devkit/host/provider.ts has the wiring), so the
 * firmware drives the same GPIOs. No inputs: QEMU's GPIO model has no
 * pull-ups, so a button pin reads 0, which the firmware takes for a pressed
 * call or exit button. The relays' state is read through the page's API.
 */
import Digital from "embedded:io/digital";

const device = {
	io: { Digital },
	pin: {
		relay1: 16,
		relay2: 17,
		led: 2,
	},
};

export default device;
