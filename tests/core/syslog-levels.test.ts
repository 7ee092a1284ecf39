// Remote syslog's RFC 5424 messages, and the speaker volume and microphone
// gain applied to a frame in place.
import { deepEqual, equal, ok } from "../lib/assert.js";
import { ManualClock } from "../lib/manual-clock.js";
import { Syslog, syslogMessage } from "../../modules/events/syslog.js";
import { applyLevel } from "../../modules/media/panel-audio.js";
import type { UDPOptions } from "../../modules/io/types.js";

describe("remote syslog (RFC 5424 over UDP)", () => {
	it("formats PRI, version, UTC time, host, app, MSGID and the text", () => {
		const t = Date.UTC(2026, 11, 2, 9, 30, 5, 120);
		equal(syslogMessage("portier: door 1 opened by api", t, "192.168.1.20"), "<133>1 2026-12-02T09:30:05.120Z 192.168.1.20 portier - portier - portier: door 1 opened by api");
		equal(syslogMessage("sip: INVITE from 10.0.0.9 refused (403)", t, "192.168.1.20").slice(0, 5), "<132>", "refusals are warnings");
		equal(syslogMessage("registrar: 1001 registered", t, "h").slice(0, 5), "<134>", "others are informational");
		equal(syslogMessage("no colon here", 5000, ""), "<134>1 - - portier - - - no colon here", "no clock, no host: nil values");
	});

	it("sends one datagram per line to the configured server, only when enabled", () => {
		const sent: Array<[string, string, number]> = [];
		class FakeUDP {
			constructor(_o: UDPOptions) { /* nothing bound */ }
			read() { return undefined; }
			write(b: Uint8Array, address: string, port: number) {
				let s = "";
				for (let i = 0; i < b.length; i++)
					s += String.fromCharCode(b[i]);
				sent.push([s, address, port]);
			}
			close() { /* nothing */ }
		}
		const settings = { enabled: false, server: "192.0.2.7", port: 514 };
		const syslog = new Syslog({ udp: FakeUDP, clock: new ManualClock(), settings, hostname: "192.0.2.10" });
		syslog.send("web: administrator logged in");
		equal(sent.length, 0);
		settings.enabled = true;
		syslog.send("web: administrator logged in");
		deepEqual(sent, [["<134>1 - 192.0.2.10 portier - web - web: administrator logged in", "192.0.2.7", 514]]);
		syslog.close();
		syslog.send("after close");
		equal(sent.length, 1);
	});
});

describe("audio levels", () => {
	it("scales a frame in place, clipping at 16 bits; 100 % leaves it", () => {
		const frame = Int16Array.from([1000, -1000, 20000, -20000, 0]);
		applyLevel(frame, 100);
		deepEqual(Array.from(frame), [1000, -1000, 20000, -20000, 0]);
		applyLevel(frame, 50);
		deepEqual(Array.from(frame), [500, -500, 10000, -10000, 0]);
		applyLevel(frame, 400);
		deepEqual(Array.from(frame), [2000, -2000, 32767, -32768, 0]);
		applyLevel(frame, 0);
		ok(Array.from(frame).every((v) => v === 0));
	});
});
