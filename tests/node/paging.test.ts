// Multicast paging on fake sockets and fake timers: groups, priorities,
// Paging Barge over a SIP call, Paging Priority Active, the end of a page.
import assert from "node:assert/strict";
import sinon from "sinon";
import { nodeClock } from "../../hosts/node/clock.js";
import { type PagingGroup, PagingListener } from "../../modules/media/paging.js";
import { writeRtpHeader } from "../../modules/media/rtp.js";
import { FakeUDP } from "./fakes.js";

const A: PagingGroup = { address: "239.1.1.1", port: 50001, priority: 1 };
const B: PagingGroup = { address: "239.1.1.2", port: 50002, priority: 2 };
const C: PagingGroup = { address: "239.1.1.3", port: 50003, priority: 3 };

function page(group: PagingGroup, value: number): Uint8Array {
	const p = new Uint8Array(12 + 160);
	writeRtpHeader(p, false, 0, 1, 160, 42);
	p.fill(value, 12);
	return p;
}

function setup(o: { barge?: number; priorityActive?: boolean; inCall?: boolean } = {}) {
	FakeUDP.all = [];
	const heard: number[] = [];
	const pages: Array<string | undefined> = [];
	let inCall = o.inCall ?? false;
	const listener = new PagingListener({
		udp: { io: FakeUDP }, clock: nodeClock, groups: [C, A, B], barge: o.barge ?? 0, priorityActive: o.priorityActive ?? false,
		inCall: () => inCall, sink: (f) => heard.push(f[0]), onPage: (g) => pages.push(g?.address),
	});
	const socket = (g: PagingGroup) => FakeUDP.all.find((u) => u.options.multicast === g.address)!;
	return { listener, heard, pages, socket, setCall: (v: boolean) => { inCall = v; } };
}

describe("multicast paging (fake timers)", () => {
	let clock: sinon.SinonFakeTimers;
	beforeEach(() => { clock = sinon.useFakeTimers({ now: 0, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] }); });
	afterEach(() => clock.restore());

	it("joins each group on its port and plays a page until it falls silent", () => {
		const { heard, pages, socket, listener } = setup();
		assert.deepEqual(FakeUDP.all.map((u) => [u.options.multicast, u.options.port]), [["239.1.1.1", 50001], ["239.1.1.2", 50002], ["239.1.1.3", 50003]]);
		socket(B).deliver(page(B, 0xFF), "192.0.2.7", 4000);
		assert.deepEqual(pages, ["239.1.1.2"]);
		assert.deepEqual(heard, [0], "µ-law silence decodes to 0");
		clock.tick(999);
		assert.equal(listener.playing, B);
		clock.tick(1);
		assert.deepEqual(pages, ["239.1.1.2", undefined]);
		listener.close();
	});

	it("a lower-priority page waits; with Paging Priority Active a higher one interrupts", () => {
		const off = setup();
		off.socket(B).deliver(page(B, 0xFF));
		off.socket(A).deliver(page(A, 0xFF));
		assert.deepEqual(off.pages, ["239.1.1.2"], "A ignored while B plays");
		const on = setup({ priorityActive: true });
		on.socket(B).deliver(page(B, 0xFF));
		on.socket(C).deliver(page(C, 0xFF));
		on.socket(A).deliver(page(A, 0xFF));
		assert.deepEqual(on.pages, ["239.1.1.2", "239.1.1.1"], "C is lower than B; A is higher");
	});

	it("Paging Barge: during a SIP call only the N highest-priority groups play", () => {
		const none = setup({ inCall: true, barge: 0 });
		none.socket(A).deliver(page(A, 0xFF));
		assert.deepEqual(none.pages, []);
		const two = setup({ inCall: true, barge: 2 });
		two.socket(C).deliver(page(C, 0xFF));
		assert.deepEqual(two.pages, [], "C is third");
		two.socket(B).deliver(page(B, 0xFF));
		assert.deepEqual(two.pages, ["239.1.1.2"]);
	});

	it("ignores what is not G.711 RTP", () => {
		const { socket, pages } = setup();
		socket(A).deliver(Uint8Array.of(1, 2, 3));
		const video = page(A, 0);
		video[1] = 96;
		socket(A).deliver(video);
		assert.deepEqual(pages, []);
	});
});
