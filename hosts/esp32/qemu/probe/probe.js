/*
 * The emulation's probe (only with probePort set in the manifest config; a
 * panel's build has none): a UDP port that answers "heap" with the XS heap
 * after a full garbage collection, as the Instrumentation module reports it
 * with the ESP32's own 16-byte slots: {"slots":..,"chunks":..,"keys":..,
 * "free":..,"timers":..,"sockets":..} in bytes (free: the ESP-IDF heap's
 * free bytes; timers and sockets: how many are open). The black-box
 * tests read it idle, in a call and after 200 calls.
 */
import UDP from "embedded:io/socket/udp";
import Instrumentation from "instrumentation";
import Debug from "debug";
import Timer from "timer";

function value(name) {
	const index = Instrumentation.map(name);
	return index === undefined ? -1 : Instrumentation.get(index);
}

export function startProbe(port) {
	try {
		new UDP({
			port,
			onReadable(count) {
				while (count-- > 0) {
					try {
						const packet = this.read();
						const command = String.fromArrayBuffer(packet).trim();
						let answer = "error unknown command";
						if (command.startsWith("timer ")) {	// a one-shot Timer of that many ms, traced when it fires
							const ms = Number(command.slice(6));
							Timer.set(() => trace(`probe: timer of ${ms} ms fired\n`), ms);
							answer = "ok";
						}
						else if (command === "heap") {
							Debug.gc();
							answer = JSON.stringify({
								slots: value("XS Slot Heap Used"), chunks: value("XS Chunk Heap Used"),
								keys: value("XS Keys Used"), free: value("System Free Memory"),
								timers: value("Timers"), sockets: value("Network Sockets"),
							});
						}
						this.write(ArrayBuffer.fromString(answer), packet.address, packet.port);
					}
					catch (e) {
						trace(`probe: ${e}\n`);
					}
				}
			},
		});
		trace(`probe: udp port ${port}\n`);
	}
	catch (e) {
		trace(`probe: cannot start: ${e}\n`);
	}
}
