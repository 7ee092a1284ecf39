/*
 * Run by the SDK before the firmware's main (modules named setup/... are),
 * only with probePort set: starts the emulation's probe (./probe: the XS
 * heap read through the Instrumentation module, for the black-box tests)
 * once the Ethernet interface, which the firmware starts from its stored
 * settings, has its link and its address. A socket made before then would ask lwIP
 * before the firmware has initialised it.
 */
import config from "mc/config";
import Timer from "timer";
import Ethernet from "ethernet";
import { startProbe } from "probe";

export default function (done) {
	if (config.probePort) {
		Timer.repeat((id) => {
			// a static address is there before the link: a socket then fails ("no network")
			if (!Ethernet.get("LINK") || !Ethernet.get("IP"))
				return;
			Timer.clear(id);
			startProbe(Number(config.probePort));
		}, 250);
	}
	done();
}
