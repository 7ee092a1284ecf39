// A SIP stack on Node's sockets for the interop tests (127.0.0.1, free ports).
import { nodeClock } from "../../hosts/node/clock.js";
import { Listener, TCP, TLS, UDP } from "../../hosts/node/io.js";
import { nodeHash, nodeRandom, nodeDns } from "../../hosts/node/platform.js";
import { SipStack, type StackOptions } from "../../modules/sip/stack.js";
import { freePort } from "../node/helpers.js";

export async function nodeStack(overrides: Partial<StackOptions> = {}): Promise<{ stack: SipStack; port: number; log: string[] }> {
	const port = await freePort();
	const log: string[] = [];
	const stack = new SipStack({
		udp: { io: UDP, port, address: "127.0.0.1" },
		listener: { io: Listener, port, address: "127.0.0.1" },
		tcp: { io: TCP },
		tls: { io: TLS },
		clock: nodeClock,
		host: "127.0.0.1",
		hash: nodeHash,
		random: nodeRandom,
		dns: nodeDns,
		userAgent: "portier-test",
		log: (line) => log.push(line),
		onRequest() {},
		...overrides,
	});
	await Promise.all([(stack.transport.udpSocket as UDP).ready, (stack.transport.listenerSocket as Listener).ready]);
	return { stack, port, log };
}

/** Wait until check() is true (polling real time), or fail with what describe() says. */
export async function until(check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline)
			throw new Error("timed out: " + describe());
		await new Promise((r) => setTimeout(r, 25));
	}
}
