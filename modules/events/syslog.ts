/*
 * Remote syslog: every log line of the station also goes, as one RFC 5424
 * message over UDP (RFC 5426), to the installer's log server. Sent through
 * the host's ECMA-419 UDP class; nothing is queued (UDP syslog loses what the
 * network loses), so it costs no memory however long the server is away.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME portier - MSGID - MSG
 *
 * PRI: facility local0 (16); severity warning (4) for refusals, failures and
 * alarms, notice (5) for doors and calls, informational (6) otherwise.
 * TIMESTAMP: the UTC time when the clock is set, else "-" (the nil value).
 * MSGID: the line's prefix ("sip", "web", "portier", "station"...).
 */
import type { Clock, UDPClass, UDPSocket } from "../io/types.js";
import { encodeText } from "../sip/text.js";

export interface SyslogSettings {
	enabled: boolean;
	server: string;
	port: number;
}

export interface SyslogOptions {
	udp: UDPClass;
	clock: Clock;
	settings: SyslogSettings;
	/** The HOSTNAME field: the station's address, or "-". */
	hostname?: string;
}

/** The longest message sent (bytes of text): a datagram that no network fragments. */
const MAX = 480;

/** The severity a line gets from its words. */
function severity(line: string): number {
	if (line.indexOf("refused") >= 0 || line.indexOf("fail") >= 0 || line.indexOf("wrong") >= 0 || line.indexOf("alarm") >= 0 || line.indexOf("locked") >= 0 || line.indexOf("held open") >= 0)
		return 4;
	if (line.indexOf("door") >= 0 || line.indexOf("call") >= 0)
		return 5;
	return 6;
}

/** The MSGID: the word before the first ":", when it is a short word, else "-". */
function msgid(line: string): string {
	const colon = line.indexOf(":");
	if (colon < 1 || colon > 32)
		return "-";
	for (let i = 0; i < colon; i++) {
		const c = line.charCodeAt(i);
		if (c <= 0x20 || c > 0x7e)
			return "-";
	}
	return line.slice(0, colon);
}

/** One RFC 5424 message (without the UDP). */
export function syslogMessage(line: string, now: number, hostname: string): string {
	const pri = 16 * 8 + severity(line);
	const time = now >= 1577836800000 ? new Date(now).toISOString() : "-";
	const text = line.length > MAX ? line.slice(0, MAX) : line;
	return "<" + pri + ">1 " + time + " " + (hostname || "-") + " portier - " + msgid(line) + " - " + text;
}

export class Syslog {
	#o: SyslogOptions;
	#socket: UDPSocket | undefined;
	#sent = 0;
	#closed = false;

	constructor(options: SyslogOptions) {
		this.#o = options;
	}

	/** Messages sent so far. */
	get sent(): number {
		return this.#sent;
	}

	/** Send a log line (never throws: a log sink must not take the caller down). */
	send(line: string): void {
		const s = this.#o.settings;
		if (!s.enabled || !s.server || this.#closed)
			return;
		try {
			this.#socket ??= new this.#o.udp({ onError() { /* a lost datagram: nothing to do */ } });
			this.#socket.write(encodeText(syslogMessage(line, this.#o.clock.now(), this.#o.hostname ?? "-")), s.server, s.port);
			this.#sent++;
		}
		catch {
			// no route, no socket: syslog is best effort
		}
	}

	close(): void {
		this.#closed = true;
		try {
			this.#socket?.close();
		}
		catch { /* closed already */ }
		this.#socket = undefined;
	}
}
