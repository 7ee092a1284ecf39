/*
 * Run by the SDK before the firmware's main (modules named setup/... are):
 * brings up the OpenCores Ethernet interface and waits for its DHCP address
 * (QEMU's user network answers at once), so the station starts with its
 * address, as a panel does after Wi-Fi. With probePort set, it also starts
 * the emulation's probe (./probe): the XS heap read through the
 * Instrumentation module, for the black-box tests.
 */
import config from "mc/config";
import Timer from "timer";
import OpenEth from "openeth";
import { startProbe } from "probe";

export default function (done) {
	trace("openeth: starting\n");
	try {
		OpenEth.start();
	}
	catch (e) {
		trace(`openeth: cannot start: ${e}\n`);
		return done();
	}
	const started = Date.now();
	Timer.repeat((id) => {
		const address = OpenEth.get("IP");
		if (!address) {
			if (Date.now() - started < 60000)
				return;
			trace("openeth: no DHCP address\n");
		}
		else
			trace(`openeth: IP address ${address} after ${Date.now() - started} ms\n`);
		Timer.clear(id);
		if (config.probePort)
			startProbe(Number(config.probePort));
		done();
	}, 50);
}
