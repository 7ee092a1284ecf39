// RFC 3261 §17 (and RFC 6026) transaction timers, checked to the millisecond
// with sinon's fake timers over a fake UDP socket.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { SipTransport } from "../../modules/sip/transport.js";
import { type Admission, type ClientTransaction, type ServerTransaction, TransactionLayer } from "../../modules/sip/transactions.js";
import type { SipMessage } from "../../modules/sip/message.js";
import type { Source } from "../../modules/sip/transport.js";
import { FakeUDP, lines } from "./fakes.js";

const PEER = { transport: "UDP" as const, address: "192.0.2.1", port: 5060 };

function setup(maxTransactions?: number, onAdmit?: () => Admission, onRequest?: () => void) {
	const requests: Array<{ request: SipMessage; source: Source; tx: ServerTransaction | undefined }> = [];
	let layer!: TransactionLayer;
	const transport = new SipTransport({
		udp: { io: FakeUDP, port: 5060 },
		clock: nodeClock,
		host: "192.0.2.10",
		onRequest: (m, s) => layer.receiveRequest(m, s),
		onResponse: (m, s) => layer.receiveResponse(m, s),
	});
	layer = new TransactionLayer({ transport, clock: nodeClock, maxTransactions, onAdmit, onRequest: onRequest ?? ((request, source, tx) => requests.push({ request, source, tx })) });
	return { udp: FakeUDP.last!, layer, transport, requests };
}

function outgoing(method: string, branch: string) {
	return {
		method,
		uri: "sip:1001@192.0.2.1",
		headers: [
			["Via", `SIP/2.0/UDP 192.0.2.10:5060;branch=${branch};rport`],
			["Max-Forwards", "70"],
			["From", "<sip:door@192.0.2.10>;tag=d1"],
			["To", "<sip:1001@192.0.2.1>"],
			["Call-ID", "tx-" + branch],
			["CSeq", `1 ${method}`],
		] as Array<[string, string]>,
	};
}

function response(status: number, method: string, branch: string, toTag = "p1"): string {
	return lines(`SIP/2.0 ${status} X`, `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch};rport=5060`, "From: <sip:door@192.0.2.10>;tag=d1",
		`To: <sip:1001@192.0.2.1>;tag=${toTag}`, "Call-ID: tx-" + branch, `CSeq: 1 ${method}`, "Content-Length: 0", "", "");
}

function incoming(method: string, branch: string, cseqMethod = method): string {
	return lines(`${method} sip:door@192.0.2.10 SIP/2.0`, `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}`, "Max-Forwards: 70",
		"From: <sip:1001@192.0.2.1>;tag=p1", "To: <sip:door@192.0.2.10>", "Call-ID: in-" + branch, `CSeq: 7 ${cseqMethod}`, "Content-Length: 0", "", "");
}

describe("transactions (RFC 3261 §17, RFC 6026) on fake timers", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	it("work queued while a message is handled runs after its handler returned, in the same receive; at once otherwise", () => {
		const order: string[] = [];
		const logged: string[] = [];
		const transport = new SipTransport({
			udp: { io: FakeUDP, port: 5060 },
			clock: nodeClock,
			host: "192.0.2.10",
			log: (line) => logged.push(line),
			onRequest: (m) => {
				order.push("handler " + m.callId());
				transport.afterDelivery(() => { throw new Error("broken"); });
				transport.afterDelivery(() => {
					order.push("after " + m.callId());
					transport.afterDelivery(() => order.push("queued by after"));
				});
				order.push("handler returns");
			},
			onResponse: () => {},
		});
		FakeUDP.last!.deliver(incoming("OPTIONS", "z9hG4bKq1"));
		assert.deepEqual(order, ["handler in-z9hG4bKq1", "handler returns", "after in-z9hG4bKq1", "queued by after"]);
		assert.deepEqual(logged, ["sip: error after a message: Error: broken"], "what throws is logged, the rest still runs");
		transport.afterDelivery(() => order.push("outside"));
		assert.equal(order.at(-1), "outside", "no message at hand: at once");
		transport.close();
	});

	it("INVITE client over UDP: Timer A doubles with no cap (0, 500, 1500 ... 31500 ms), Timer B times out at 64*T1", () => {
		const { udp, layer } = setup();
		let timedOut = -1;
		layer.request(outgoing("INVITE", "z9hG4bKa1"), "z9hG4bKa1", PEER, { onResponse() {}, onTimeout: () => { timedOut = Date.now(); } });
		clock.tick(40000);
		assert.deepEqual(udp.sent.map((s) => s.at), [0, 500, 1500, 3500, 7500, 15500, 31500]);
		assert.equal(timedOut, 32000);
		assert.equal(layer.size, 0);
	});

	it("non-INVITE client over UDP: Timer E doubles up to T2 (4 s), Timer F at 32 s", () => {
		const { udp, layer } = setup();
		let timedOut = -1;
		layer.request(outgoing("OPTIONS", "z9hG4bKe1"), "z9hG4bKe1", PEER, { onResponse() {}, onTimeout: () => { timedOut = Date.now(); } });
		clock.tick(40000);
		assert.deepEqual(udp.sent.map((s) => s.at), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
		assert.equal(timedOut, 32000);
	});

	it("non-INVITE client: after a provisional response Timer E fires every T2; a final response ends it after T4", () => {
		const { udp, layer } = setup();
		const seen: number[] = [];
		const tx = layer.request(outgoing("REGISTER", "z9hG4bKe2"), "z9hG4bKe2", PEER, { onResponse: (r) => seen.push(r.status) })!;
		clock.tick(600);
		udp.deliver(response(100, "REGISTER", "z9hG4bKe2"));
		assert.equal(tx.state, "proceeding");
		clock.tick(9000);	// to 9600
		assert.deepEqual(udp.sent.map((s) => s.at), [0, 500, 1500, 5500, 9500]);
		udp.deliver(response(200, "REGISTER", "z9hG4bKe2"));
		assert.equal(tx.state, "completed");
		udp.deliver(response(200, "REGISTER", "z9hG4bKe2"));
		assert.deepEqual(seen, [100, 200], "a retransmitted final response is absorbed");
		clock.tick(4999);
		assert.equal(tx.state, "completed");
		clock.tick(1);
		assert.equal(tx.state, "terminated", "Timer K = T4");
		assert.equal(udp.sent.length, 5);
	});

	it("INVITE client: 180 stops retransmissions; 486 is ACKed by the transaction, again for each retransmission; Timer D is 32 s", () => {
		const { udp, layer } = setup();
		const seen: number[] = [];
		const tx = layer.request(outgoing("INVITE", "z9hG4bKi1"), "z9hG4bKi1", PEER, { onResponse: (r) => seen.push(r.status) })!;
		clock.tick(100);
		udp.deliver(response(180, "INVITE", "z9hG4bKi1"));
		clock.tick(60000);
		assert.equal(udp.sent.length, 1, "no retransmission and no Timer B once Proceeding");
		assert.equal(tx.state, "proceeding");
		udp.deliver(response(486, "INVITE", "z9hG4bKi1", "busy"));
		const ack = udp.messages()[1];
		assert.equal(ack.method, "ACK");
		assert.equal(ack.branch(), "z9hG4bKi1", "the ACK of a non-2xx is part of the INVITE transaction");
		assert.equal(ack.toTag(), "busy");
		assert.deepEqual(ack.cseq().toJSON(), { seq: 1, method: "ACK" });
		assert.equal(ack.uriText, "sip:1001@192.0.2.1");
		udp.deliver(response(486, "INVITE", "z9hG4bKi1", "busy"));
		assert.equal(udp.messages().filter((m) => m.method === "ACK").length, 2);
		assert.deepEqual(seen, [180, 486]);
		clock.tick(31999);
		assert.equal(tx.state, "completed");
		clock.tick(1);
		assert.equal(tx.state, "terminated");
	});

	it("INVITE client: a 2xx moves to Accepted (RFC 6026), its retransmissions reach the TU, Timer M ends it", () => {
		const { udp, layer } = setup();
		const seen: number[] = [];
		const tx = layer.request(outgoing("INVITE", "z9hG4bKi2"), "z9hG4bKi2", PEER, { onResponse: (r) => seen.push(r.status) }) as ClientTransaction;
		udp.deliver(response(200, "INVITE", "z9hG4bKi2"));
		assert.equal(tx.state, "accepted");
		udp.deliver(response(200, "INVITE", "z9hG4bKi2"));
		assert.deepEqual(seen, [200, 200]);
		assert.equal(udp.messages().filter((m) => m.method === "ACK").length, 0, "the TU acknowledges a 2xx, not the transaction");
		clock.tick(32000);
		assert.equal(tx.state, "terminated");
	});

	it("INVITE server: 100 then 486; Timer G retransmits (capped at T2) until the ACK; Timer I; the ACK is absorbed", () => {
		const { udp, layer, requests } = setup();
		udp.deliver(incoming("INVITE", "z9hG4bKs1"));
		assert.equal(requests.length, 1);
		const tx = requests[0].tx!;
		tx.respond(100);
		tx.respond(486, { toTag: "door" });
		clock.tick(12000);
		const at = udp.sent.map((s) => s.at);
		assert.deepEqual(at, [0, 0, 500, 1500, 3500, 7500, 11500]);
		udp.deliver(incoming("ACK", "z9hG4bKs1"));
		assert.equal(tx.state, "confirmed");
		assert.equal(requests.length, 1, "the ACK did not reach the TU");
		clock.tick(20000);
		assert.equal(udp.sent.length, 7);
		assert.equal(tx.state, "terminated");
	});

	it("INVITE server: without an ACK, Timer H gives up at 64*T1", () => {
		const { udp, requests } = setup();
		udp.deliver(incoming("INVITE", "z9hG4bKs2"));
		const tx = requests[0].tx!;
		let gaveUp = -1;
		tx.onTimeout = () => { gaveUp = Date.now(); };
		tx.respond(480);
		clock.tick(40000);
		assert.equal(gaveUp, 32000);
		assert.equal(tx.state, "terminated");
	});

	it("INVITE server: a retransmitted INVITE gets the last response again and never reaches the TU twice", () => {
		const { udp, requests } = setup();
		udp.deliver(incoming("INVITE", "z9hG4bKs3"));
		requests[0].tx!.respond(180, { toTag: "door" });
		udp.deliver(incoming("INVITE", "z9hG4bKs3"));
		assert.equal(requests.length, 1);
		assert.deepEqual(udp.messages().map((m) => m.status), [180, 180]);
	});

	it("non-INVITE server: the final response leaves the table for the retransmission cache, which repeats it for 64*T1", () => {
		const { udp, requests, layer } = setup();
		const idleTimers = clock.countTimers();
		udp.deliver(incoming("OPTIONS", "z9hG4bKn1"));
		const tx = requests[0].tx!;
		tx.respond(200);
		assert.equal(clock.countTimers(), idleTimers + 1, "one sweep timer for the cache");
		assert.equal(tx.state, "terminated", "a completed UDP non-INVITE transaction does not count against the table");
		assert.equal(layer.serverCount, 0);
		assert.equal(layer.cacheSize, 1);
		udp.deliver(incoming("OPTIONS", "z9hG4bKn1"));
		clock.tick(31999);
		udp.deliver(incoming("OPTIONS", "z9hG4bKn1"));
		assert.equal(requests.length, 1);
		assert.deepEqual(udp.messages().map((m) => m.status), [200, 200, 200]);
		clock.tick(1);
		assert.equal(clock.countTimers(), idleTimers, "the cache's sweep has run: no timer left for it");
		assert.equal(layer.cacheSize, 0, "Timer J's time is over");
		udp.deliver(incoming("OPTIONS", "z9hG4bKn1"));
		assert.equal(requests.length, 2, "now it is a new request");
	});

	it("the retransmission cache: once a reader finds every answer expired, no sweep timer is left (timers that run behind the clock)", () => {
		const { udp, requests, layer } = setup();
		const idleTimers = clock.countTimers();
		udp.deliver(incoming("OPTIONS", "z9hG4bKn9"));
		requests[0].tx!.respond(200);
		assert.equal(clock.countTimers(), idleTimers + 1, "one sweep timer for the cache");
		// the clock moves past 64*T1 while the sweep's timer has not run yet (a lagging tick)
		clock.setSystemTime(Date.now() + 32000);
		assert.equal(layer.cacheSize, 0);
		assert.equal(clock.countTimers(), idleTimers, "nothing cached, no timer for it");
	});

	it("the retransmission cache is bounded: the oldest answer goes first", () => {
		const { udp, requests, layer } = setup();
		for (let i = 0; i < 40; i++) {
			udp.deliver(incoming("OPTIONS", "z9hG4bKc" + i));
			requests[i].tx!.respond(200);
		}
		assert.equal(layer.cacheSize, 16);
		udp.deliver(incoming("OPTIONS", "z9hG4bKc39"));
		assert.equal(requests.length, 40, "a recent one is still answered from the cache");
		udp.deliver(incoming("OPTIONS", "z9hG4bKc0"));
		assert.equal(requests.length, 41, "the oldest was forgotten");
	});

	it("a refused INVITE keeps no transaction: its retransmissions get the refusal again, its ACK is absorbed", () => {
		const { udp, requests, layer } = setup();
		udp.deliver(incoming("INVITE", "z9hG4bKr9"));
		requests[0].tx!.refuse(403, { toTag: "x" });
		assert.equal(layer.serverCount, 0);
		udp.deliver(incoming("INVITE", "z9hG4bKr9"));
		udp.deliver(incoming("ACK", "z9hG4bKr9", "ACK"));
		assert.equal(requests.length, 1, "neither reaches the TU");
		assert.deepEqual(udp.messages().map((m) => m.status), [403, 403]);
		clock.tick(60000);
		assert.equal(udp.messages().length, 2, "and nothing is retransmitted by us (stateless, §8.2.7)");
	});

	it("new requests the admission check refuses are dropped before any state is made", () => {
		let admit = false;
		const { udp, requests, layer } = setup(undefined, () => admit ? "stranger" : "drop");
		udp.deliver(incoming("OPTIONS", "z9hG4bKa1"));
		assert.equal(requests.length, 0);
		assert.equal(udp.messages().length, 0, "dropped unanswered");
		assert.equal(layer.counters.dropped, 1);
		admit = true;
		udp.deliver(incoming("OPTIONS", "z9hG4bKa2"));
		assert.equal(requests.length, 1);
	});

	it("a request the TU leaves unanswered is answered 500 after 64*T1; one whose handling throws at once", () => {
		const { udp, requests, layer } = setup();
		udp.deliver(incoming("INFO", "z9hG4bKq1"));
		assert.equal(layer.serverCount, 1);
		clock.tick(31999);
		assert.equal(udp.messages().length, 0);
		clock.tick(1);
		assert.deepEqual(udp.messages().map((m) => m.status), [500]);
		assert.equal(layer.serverCount, 0);
		assert.equal(requests.length, 1);
		const thrower = setup(undefined, undefined, () => { throw new Error("boom"); });
		thrower.udp.deliver(incoming("INVITE", "z9hG4bKq2"));
		assert.deepEqual(thrower.udp.messages().map((m) => m.status), [500]);
		assert.equal(thrower.layer.serverCount, 0);
	});

	it("an INVITE answered 2xx does not count against the cap; released, it shrinks to an entry that absorbs its retransmissions until Timer L", () => {
		const { udp, requests, layer } = setup(1);
		udp.deliver(incoming("INVITE", "z9hG4bKac1"));
		const tx = requests[0].tx!;
		tx.respond(200, { toTag: "door" });
		assert.equal(tx.state, "accepted");
		udp.deliver(incoming("INVITE", "z9hG4bKac2"));
		assert.equal(requests.length, 2, "the table of 1 still takes a new INVITE: the first is only absorbing");
		clock.tick(1000);
		tx.release();
		assert.equal(tx.state, "terminated");
		assert.equal(layer.serverCount, 1);
		const sent = udp.sent.length;
		udp.deliver(incoming("INVITE", "z9hG4bKac1"));
		assert.equal(requests.length, 2, "a retransmitted INVITE is absorbed, not a new call");
		assert.equal(udp.sent.length, sent, "and not answered (the core resends its 2xx itself)");
		requests[1].tx!.refuse(486, { toTag: "busy" });
		clock.tick(30999);
		udp.deliver(incoming("INVITE", "z9hG4bKac1"));
		assert.equal(requests.length, 2, "still absorbed just before Timer L");
		clock.tick(1);
		assert.equal(layer.cacheSize, 1, "only the 486 is left: the absorbing entry went at Timer L, 64*T1 after the 2xx");
	});

	it("when the table is full, requests within a dialog and CANCEL still get a transaction", () => {
		const { udp, requests } = setup(1);
		udp.deliver(incoming("INFO", "z9hG4bKfull"));
		const bye = incoming("BYE", "z9hG4bKbye1").replace("To: <sip:door@192.0.2.10>", "To: <sip:door@192.0.2.10>;tag=door");
		udp.deliver(bye);
		udp.deliver(incoming("CANCEL", "z9hG4bKfull2"));
		udp.deliver(incoming("OPTIONS", "z9hG4bKnew"));
		assert.deepEqual(requests.map((r) => r.request.method), ["INFO", "BYE", "CANCEL"]);
		assert.deepEqual(udp.messages().map((m) => m.status), [503], "only the new OPTIONS is refused");
	});

	it("a full table refuses strangers only: the PBX, the units and calls in progress (\"known\") always get a transaction", () => {
		let admission: Admission = "stranger";
		const { udp, requests } = setup(1, () => admission);
		udp.deliver(incoming("INVITE", "z9hG4bKs1"));
		udp.deliver(incoming("INVITE", "z9hG4bKs2"));
		assert.deepEqual(udp.messages().map((m) => m.status), [503], "a stranger's second INVITE meets the cap");
		admission = "known";
		udp.deliver(incoming("INVITE", "z9hG4bKpbx"));
		assert.deepEqual(requests.map((r) => r.request.branch()), ["z9hG4bKs1", "z9hG4bKpbx"], "the PBX's INVITE is taken");
	});

	it("client transactions have their own table: incoming load never refuses the station's own requests", () => {
		const { udp, layer } = setup(2);
		for (let i = 0; i < 5; i++)
			udp.deliver(incoming("INFO", "z9hG4bKl" + i));
		assert.equal(layer.serverCount, 2, "the server table is full");
		const tx = layer.request(outgoing("REGISTER", "z9hG4bKown"), "z9hG4bKown", { transport: "UDP", address: "192.0.2.1", port: 5060 }, { onResponse() {} });
		assert.ok(tx, "REGISTER still goes out");
		assert.equal(layer.clientCount, 1);
	});

	it("matches RFC 2543 requests (no magic cookie) by their identity", () => {
		const { udp, requests } = setup();
		const old = lines("INVITE sip:door@192.0.2.10 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.1:5060", "From: <sip:1001@192.0.2.1>;tag=p1",
			"To: <sip:door@192.0.2.10>", "Call-ID: old-1", "CSeq: 3 INVITE", "", "");
		udp.deliver(old);
		requests[0].tx!.respond(404, { toTag: "x" });
		udp.deliver(old);
		assert.equal(requests.length, 1);
		udp.deliver(lines("ACK sip:door@192.0.2.10 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.1:5060", "From: <sip:1001@192.0.2.1>;tag=p1",
			"To: <sip:door@192.0.2.10>;tag=x", "Call-ID: old-1", "CSeq: 3 ACK", "", ""));
		assert.equal(requests[0].tx!.state, "confirmed");
	});

	it("a full transaction table answers new requests 503 with Retry-After", () => {
		const { udp, requests } = setup(2);
		udp.deliver(incoming("OPTIONS", "z9hG4bKf1"));
		udp.deliver(incoming("OPTIONS", "z9hG4bKf2"));
		udp.deliver(incoming("OPTIONS", "z9hG4bKf3"));
		assert.equal(requests.length, 2);
		const refused = udp.messages()[0];
		assert.equal(refused.status, 503);
		assert.equal(refused.header("Retry-After"), "5");
	});

	it("responses go back to the source port when the request had rport (RFC 3581)", () => {
		const { udp, requests } = setup();
		udp.deliver(lines("OPTIONS sip:door@192.0.2.10 SIP/2.0", "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKr1;rport", "From: <sip:a@b>;tag=1",
			"To: <sip:door@192.0.2.10>", "Call-ID: r1", "CSeq: 1 OPTIONS", "", ""), "198.51.100.7", 40000);
		requests[0].tx!.respond(200);
		assert.equal(udp.sent[0].address, "198.51.100.7");
		assert.equal(udp.sent[0].port, 40000);
		const via = udp.messages()[0].topVia();
		assert.equal(via.received, "198.51.100.7");
		assert.equal(via.rport, 40000);
	});
});
