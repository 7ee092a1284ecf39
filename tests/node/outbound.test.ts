// SIP Outbound (RFC 5626) in the registration and transport layers, on a
// manual clock and fake stream sockets: the REGISTER's Contact and headers,
// no port the station does not listen on, keep-alive pings and pongs paced
// by Flow-Timer, flow failure and recovery with back-off, `ob` in dialog
// Contacts, and a request over the flow taken as the account's.
import assert from "node:assert/strict";
import { nodeHash } from "../../hosts/node/platform.js";
import type { TCPOptions, TCPSocket, TLSOptions } from "../../modules/io/types.js";
import { parseMessage, type SipMessage } from "../../modules/sip/message.js";
import { type AccountConfig, PONG_TIMEOUT, Registration, type RegistrationStatus } from "../../modules/sip/registration.js";
import { SipStack, type StackOptions } from "../../modules/sip/stack.js";
import { type Call, UserAgent } from "../../modules/sip/ua.js";
import type { SipUri } from "../../modules/sip/uri.js";
import { ManualClock } from "../lib/manual-clock.js";
import { FakeUDP, lines } from "./fakes.js";

const SERVER = "192.0.2.1";

/** A fake TCP/TLS client socket: what the station writes is kept; the test opens it, answers, closes it. */
class FakeStream implements TCPSocket {
	static all: FakeStream[] = [];
	readonly options: TLSOptions;
	readonly written: Uint8Array[] = [];
	#inbox: Uint8Array[] = [];
	closed = false;
	constructor(options: TCPOptions | TLSOptions) {
		this.options = options;
		FakeStream.all.push(this);
	}
	get remoteAddress(): string | undefined {
		return this.options.address;
	}
	get remotePort(): number | undefined {
		return this.options.port;
	}
	read(count?: number): ArrayBuffer | undefined {
		const next = this.#inbox.shift();
		if (!next)
			return undefined;
		if (count !== undefined && count < next.length) {
			this.#inbox.unshift(next.slice(count));
			return next.slice(0, count).buffer;
		}
		return next.slice().buffer;
	}
	write(buffer: ArrayBuffer | Uint8Array): number {
		if (this.closed)
			throw new Error("closed");
		const b = buffer instanceof Uint8Array ? buffer.slice() : new Uint8Array(buffer.slice(0));
		this.written.push(b);
		return b.length;
	}
	close(): void {
		this.closed = true;
	}
	/** The connection is up. */
	open(): void {
		this.options.onWritable?.call(this, 65536);
	}
	/** Bytes from the server. */
	deliver(text: string): void {
		const b = new TextEncoder().encode(text);
		this.#inbox.push(b);
		this.options.onReadable?.call(this, b.length);
	}
	/** The server (or a NAT box) closed the connection. */
	drop(): void {
		this.closed = true;
		this.options.onError?.call(this);
	}
	/** The SIP messages written (keep-alives left out). */
	messages(): SipMessage[] {
		return this.written.filter((b) => !isCrlf(b)).map((b) => parseMessage(b));
	}
	/** How many CRLFCRLF pings were written. */
	pings(): number {
		return this.written.filter((b) => b.length === 4 && isCrlf(b)).length;
	}
}

function isCrlf(b: Uint8Array): boolean {
	return b.every((x) => x === 13 || x === 10);
}

/** The server's answer to a request the station sent over a stream. */
function answer(request: SipMessage, status: number, extra: string[] = []): string {
	const hdr = (name: string) => request.header(name)!;
	const to = hdr("To").includes("tag=") ? hdr("To") : hdr("To") + ";tag=srv";
	return lines(`SIP/2.0 ${status} X`, `Via: ${hdr("Via")};received=198.51.100.7`, `From: ${hdr("From")}`, `To: ${to}`, `Call-ID: ${hdr("Call-ID")}`,
		`CSeq: ${hdr("CSeq")}`, ...extra, "Content-Length: 0", "", "");
}

/** The 2xx of an outbound registrar: our Contact back with its expiry, Require: outbound, Flow-Timer. */
function registered(request: SipMessage, flowTimer = 20, expires = 600): string {
	const contact = request.header("Contact")!;
	return answer(request, 200, [`Contact: ${contact};expires=${expires}`, "Require: outbound", "Supported: outbound, path", `Flow-Timer: ${flowTimer}`]);
}

let counter = 0;
function stackOptions(clock: ManualClock, extra: Partial<StackOptions> = {}): StackOptions {
	return {
		udp: { io: FakeUDP, port: 5060 },
		tcp: { io: FakeStream }, tls: { io: FakeStream },
		clock, host: "192.0.2.10", hash: nodeHash,
		random: () => (++counter).toString(16).padStart(16, "0"),
		onRequest() {},
		...extra,
	};
}

function account(transport: "TLS" | "TCP", extra: Partial<AccountConfig> = {}): AccountConfig {
	return { id: "1", enabled: true, user: "door", password: "pw", server: SERVER, port: transport === "TLS" ? 5061 : 5060, transport, expires: 600, keepAlive: 30, ...extra };
}

describe("SIP Outbound: registration and flows (manual clock, fake sockets)", () => {
	let clock: ManualClock;
	let stacks: SipStack[];
	beforeEach(() => {
		clock = new ManualClock();
		FakeStream.all = [];
		stacks = [];
	});
	afterEach(() => {
		for (const s of stacks)
			s.close();
	});

	/** Move the clock a millisecond at a time until the flow has sent its n-th ping. */
	function untilPing(flow: FakeStream, n: number): void {
		for (let i = 0; i < 30000 && flow.pings() < n; i++)
			clock.advance(1);
		assert.equal(flow.pings(), n, "ping " + n + " sent");
	}

	function start(transport: "TLS" | "TCP", extra: Partial<AccountConfig> = {}, options: Partial<StackOptions> = {}) {
		const stack = new SipStack(stackOptions(clock, options));
		stacks.push(stack);
		const changes: RegistrationStatus[] = [];
		const reg = new Registration(stack, account(transport, extra), (s) => changes.push(s));
		stack.onConnectionLost = (lost) => reg.flowLost(lost);	// as the user agent wires it
		reg.start();
		const flow = FakeStream.all.at(-1)!;
		flow.open();
		return { stack, reg, changes, flow };
	}

	it("the REGISTER carries +sip.instance, reg-id and Supported: outbound, path; over TLS neither Contact nor Via names a port", () => {
		const { flow } = start("TLS");
		assert.equal(flow.options.address, SERVER);
		assert.equal(flow.options.port, 5061);
		const reg = flow.messages()[0];
		assert.equal(reg.method, "REGISTER");
		const contact = reg.contacts()[0];
		assert.match(contact.params.get("+sip.instance")!, /^"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>"$/);
		assert.equal(contact.params.get("reg-id"), "1");
		assert.deepEqual(reg.tokens("Supported"), ["outbound", "path"]);
		assert.equal(contact.uri.scheme, "sips");
		assert.doesNotMatch(contact.uri.toString(), /;ob/, "no ob in the REGISTER's Contact URI (RFC 5626 §4.2.1)");
		assert.equal((contact.uri as SipUri).port, undefined, "no TLS port: the station listens on none");
		assert.doesNotMatch(reg.header("Contact")!, /5061/);
		assert.doesNotMatch(reg.header("Via")!, /5061|\.invalid:\d/, "no port in the Via's sent-by either");
		assert.match(reg.header("Via")!, /^SIP\/2\.0\/TLS [0-9a-f]+\.invalid;branch=/);
	});

	it("over TCP the Contact names the TCP listener; without one, no port at all", () => {
		const withListener = new SipStack(stackOptions(clock, { listener: { io: class { port = 5070; read() { return undefined; } close() {} }, port: 5070 } }));
		stacks.push(withListener);
		assert.equal(withListener.registerContactUri("door", "TCP"), "sip:door@192.0.2.10:5070;transport=tcp");
		assert.equal(withListener.transport.localPort("TLS"), undefined);
		assert.doesNotMatch(withListener.contactUri("door", "TLS"), /:\d+/);
		const { flow } = start("TCP");
		assert.equal((flow.messages()[0].contacts()[0].uri as SipUri).port, undefined, "no TCP listener here: no port");
	});

	it("the instance id stays the same across refreshes and re-registrations; a host's id gives the same one at every start", () => {
		const { flow } = start("TLS", { expires: 120 });
		const first = flow.messages()[0];
		flow.deliver(answer(first, 200, [`Contact: ${first.header("Contact")};expires=120`]));
		clock.advance(90000);	// the refresh
		const refresh = flow.messages()[1];
		assert.equal(refresh.method, "REGISTER");
		assert.equal(refresh.contacts()[0].params.get("+sip.instance"), first.contacts()[0].params.get("+sip.instance"));
		assert.equal(refresh.callId(), first.callId());
		const a = new SipStack(stackOptions(clock, { instanceId: "0c:38:3e:3d:af:10" }));
		const b = new SipStack(stackOptions(clock, { instanceId: "0C:38:3E:3D:AF:10" }));
		stacks.push(a, b);
		assert.equal(a.instance, b.instance);
		assert.match(a.instance, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		const c = new SipStack(stackOptions(clock, { instanceId: "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6" }));
		stacks.push(c);
		assert.equal(c.instance, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
	});

	it("Require: outbound and Flow-Timer: pings at 80-100 % of the Flow-Timer, answered by pongs; ob in dialog Contacts", () => {
		const { stack, reg, flow } = start("TLS");
		assert.equal(stack.contactUri("door", "TLS").includes(";ob"), false, "no ob before the registrar confirmed outbound");
		flow.deliver(registered(flow.messages()[0], 20));
		assert.equal(reg.status.registered, true);
		assert.equal(reg.status.outbound, true);
		assert.match(stack.contactUri("door", "TLS"), /^sips:door@[0-9a-f]+\.invalid;ob$/);
		assert.equal(stack.contactUri("door", "UDP").includes(";ob"), false, "only over the transport of the outbound flow");
		clock.advance(15999);
		assert.equal(flow.pings(), 0, "not before 80 % of 20 s");
		clock.advance(4001);
		assert.equal(flow.pings(), 1, "by 20 s");
		flow.deliver("\r\n");	// the pong
		clock.advance(PONG_TIMEOUT + 1000);
		assert.equal(flow.closed, false, "answered: the flow lives");
		assert.equal(reg.status.registered, true);
		assert.ok(flow.pings() >= 1);
	});

	it("a ping without a pong in 10 s fails the flow: not registered at once, then a new REGISTER on a new connection", () => {
		const { reg, flow, changes } = start("TLS");
		flow.deliver(registered(flow.messages()[0], 20));
		untilPing(flow, 1);
		clock.advance(PONG_TIMEOUT - 1);
		assert.equal(flow.closed, false);
		clock.advance(1);
		assert.equal(flow.closed, true, "no pong within 10 s: the connection is closed (RFC 5626 §4.4.1)");
		clock.advance(0);
		assert.equal(reg.status.registered, false, "a failed flow cannot receive calls");
		assert.equal(reg.status.outbound, false);
		assert.deepEqual(changes.map((c) => c.registered), [true, false]);
		assert.equal(FakeStream.all.length, 2, "a new connection");
		const fresh = FakeStream.all[1];
		fresh.open();
		const again = fresh.messages()[0];
		assert.equal(again.method, "REGISTER");
		assert.equal(again.contacts()[0].params.get("reg-id"), "1");
		assert.equal(again.contacts()[0].params.get("+sip.instance"), flow.messages()[0].contacts()[0].params.get("+sip.instance"));
		fresh.deliver(registered(again, 20));
		assert.equal(reg.status.registered, true);
	});

	it("without Require: outbound no pong is awaited (a server that does not support outbound need not answer pings)", () => {
		const { reg, flow } = start("TCP");
		const r = flow.messages()[0];
		flow.deliver(answer(r, 200, [`Contact: ${r.header("Contact")};expires=600`]));
		assert.equal(reg.status.registered, true);
		assert.equal(reg.status.outbound, false);
		clock.advance(30000 + PONG_TIMEOUT + 5000);
		assert.equal(flow.pings(), 1, "the configured 30 s keep-alive");
		assert.equal(flow.closed, false);
		assert.equal(reg.status.registered, true);
	});

	it("a connection the server closes: not registered until a new flow is registered; a flow that keeps failing at once waits for the back-off (§4.5)", () => {
		const { reg, flow } = start("TLS");
		flow.deliver(registered(flow.messages()[0], 20));
		// the flow lives a while: each ping gets its pong
		for (let n = 1; n <= 7; n++) {
			untilPing(flow, n);
			flow.deliver("\r\n");
		}
		assert.ok(clock.now() >= 60000);
		assert.equal(flow.closed, false);
		flow.drop();
		clock.advance(0);	// the transport reports the loss on the next turn, outside the socket's callback
		assert.equal(reg.status.registered, false, "not registered the moment the flow is gone");
		assert.equal(reg.status.lastReason, "flow lost");
		assert.equal(FakeStream.all.length, 2, "registered again at once on a new connection");
		const second = FakeStream.all[1];
		second.open();
		second.deliver(registered(second.messages()[0], 20));
		assert.equal(reg.status.registered, true);
		second.drop();	// dies again right away
		clock.advance(0);
		assert.equal(reg.status.registered, false);
		assert.equal(FakeStream.all.length, 2, "no new connection at once: the back-off");
		clock.advance(4999);
		assert.equal(FakeStream.all.length, 2);
		clock.advance(1);
		assert.equal(FakeStream.all.length, 3, "after 5 s");
	});

	it("un-REGISTER keeps the instance and reg-id and stops the pings", () => {
		const { reg, flow } = start("TLS");
		flow.deliver(registered(flow.messages()[0], 20));
		let done = false;
		reg.stop(() => { done = true; });
		const bye = flow.messages().at(-1)!;
		assert.equal(bye.header("Expires"), "0");
		assert.equal(bye.contacts()[0].params.get("reg-id"), "1");
		assert.ok(bye.contacts()[0].params.get("+sip.instance"));
		flow.deliver(answer(bye, 200));
		assert.ok(done);
		const pings = flow.pings();
		clock.advance(60000);
		assert.equal(flow.pings(), pings);
	});

	it("with outbound off for the account, the REGISTER is plain", () => {
		const { flow } = start("TCP", { outbound: false });
		const r = flow.messages()[0];
		assert.equal(r.contacts()[0].params.has("+sip.instance"), false);
		assert.equal(r.contacts()[0].params.has("reg-id"), false);
		assert.equal(r.header("Supported"), undefined);
	});
});

describe("SIP Outbound: a call over the account's flow (user agent, manual clock)", () => {
	it("an INVITE from the server over the station's own TLS connection is the account's; the answer's Contact has ob and no port", () => {
		const clock = new ManualClock();
		FakeStream.all = [];
		const calls: Call[] = [];
		const ua = new UserAgent({
			...stackOptions(clock),
			accounts: [account("TLS")],
			media: () => ({ address: "192.0.2.10", port: 40000, codecs: ["PCMU"], sessionId: "1", version: 1 }),
			onIncomingCall: (call) => { calls.push(call); call.answer(); },
		});
		try {
			ua.start();
			const flow = FakeStream.all[0];
			flow.open();
			flow.deliver(registered(flow.messages()[0], 20));
			assert.equal(ua.registrations[0].status.registered, true);
			const sdp = lines("v=0", "o=- 1 1 IN IP4 192.0.2.50", "s=-", "c=IN IP4 192.0.2.50", "t=0 0", "m=audio 30000 RTP/AVP 0", "");
			const contact = flow.messages()[0].contacts()[0].uri.toString();
			flow.deliver(lines(`INVITE ${contact};ob SIP/2.0`, `Via: SIP/2.0/TLS ${SERVER}:5061;branch=z9hG4bKob1`, "Max-Forwards: 69",
				"From: <sip:1001@example.com>;tag=c1", "To: <sip:door@example.com>", "Call-ID: ob-call-1", "CSeq: 1 INVITE",
				`Contact: <sip:1001@192.0.2.50:5060>`, "Record-Route: <sips:" + SERVER + ":5061;lr>", "Content-Type: application/sdp", `Content-Length: ${sdp.length}`, "", sdp));
			assert.equal(calls.length, 1);
			assert.equal(calls[0].account, "1", "a request over the account's flow is the account's (accountOf)");
			const ok = flow.messages().find((m) => m.status === 200 && m.header("CSeq") === "1 INVITE")!;
			assert.ok(ok, "answered over the same connection");
			const answerContact = ok.contacts()[0].uri.toString();
			assert.match(answerContact, /;ob$/, "ob: requests in this dialog come over the flow (RFC 5626 §4.3)");
			assert.doesNotMatch(answerContact, /:\d+/, "no port the station does not listen on");
			assert.equal(FakeStream.all.length, 1, "no other connection");
		}
		finally {
			ua.stack.close();
		}
	});
});
