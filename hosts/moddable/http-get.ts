/*
 * The station's outgoing HTTP GET on a panel (action URLs, the push-button
 * URL), on the SDK's ECMA-419 HTTP client (`embedded:network/http/client`)
 * over its TCP socket: one client per request, closed with its answer or
 * after TIMEOUT ms, the body read and dropped, the status logged as on Node
 * ("portier: GET URL -> 200"). Names go through the station's DNS client
 * (the one SIP uses: see firmware.ts), addresses are used as they are.
 * http only: an https URL is logged and left (the panel's TLS socket needs
 * the server's CA, which action URLs do not carry).
 */
import HTTPClient from "embedded:network/http/client";
import type { Clock } from "io/types";
import type { DnsClient } from "sip/resolver";

const TIMEOUT = 5000;
/** Requests in flight at most: each holds a TCP socket of the panel's ten or so. */
const MAX_OPEN = 2;

export interface HttpGetOptions {
	tcp: unknown;
	dns: DnsClient;
	clock: Clock;
	log: (line: string) => void;
}

/** http://host[:port][/path]: [host, port, path], or undefined. */
export function parseHttpUrl(url: string): [string, number, string] | undefined {
	const m = /^http:\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[^#\s]*)?$/.exec(url);
	if (!m)
		return undefined;
	const port = m[2] === undefined ? 80 : Number(m[2]);
	return port > 0 && port < 65536 ? [m[1], port, m[3] ?? "/"] : undefined;
}

/**
 * The SDK client's resolver (it makes one with `new dns.io(dns)`), answered by
 * the station's DNS client handed in as `dns.client`; addresses as they are.
 * A class of the module, not of each getter: a class made at run time costs
 * heap (about 1.6 KB on the ESP32 scale, measured in the simulator).
 */
class Lookup {
	#client: DnsClient;
	constructor(options: { client: DnsClient }) {
		this.#client = options.client;
	}
	resolve(o: { host: string; onResolved(host: string, address: string): void; onError(host: string): void }): void {
		if (/^\d+\.\d+\.\d+\.\d+$/.test(o.host)) {
			o.onResolved(o.host, o.host);
			return;
		}
		this.#client.a(o.host, (addresses) => addresses.length ? o.onResolved(o.host, addresses[0]) : o.onError(o.host));
	}
	close(): void {}
}

export function httpGetter(options: HttpGetOptions): (url: string) => void {
	const { tcp, dns, clock, log } = options;
	let open = 0;
	return (url: string) => {
		const target = parseHttpUrl(url);
		if (!target) {
			log(`portier: GET ${url} not sent: ${/^https:/.test(url) ? "https is not supported on this panel" : "not an http URL"}`);
			return;
		}
		if (open >= MAX_OPEN) {
			log(`portier: GET ${url} not sent: ${MAX_OPEN} requests still open`);
			return;
		}
		open++;
		let client: HTTPClient | undefined;
		let timer: unknown;
		let finished = false;
		const finish = (line: string) => {
			if (finished)
				return;
			finished = true;
			open--;
			clock.clear(timer);
			try {
				client?.close();
			}
			catch { /* closed */ }
			log(line);
		};
		timer = clock.set(() => finish(`portier: GET ${url} failed: no answer in ${TIMEOUT / 1000} s`), TIMEOUT);
		let status = 0;
		try {
			client = new HTTPClient({ host: target[0], port: target[1], dns: { io: Lookup, client: dns }, socket: { io: tcp }, onError: () => finish(`portier: GET ${url} failed`) });
			client.request({
				path: target[2],
				headers: new Map([["user-agent", "portier"], ["connection", "close"]]),
				onHeaders(s: number) {
					status = s;
				},
				onReadable(count: number) {
					this.read(count);	// the body is not wanted
				},
				onDone(error: Error | null) {
					finish(error || !status ? `portier: GET ${url} failed` : `portier: GET ${url} -> ${status}`);
				},
			});
		}
		catch (e) {
			finish(`portier: GET ${url} failed: ${String(e)}`);
		}
	};
}
