import { deepEqual, equal, ok, throws } from "../lib/assert.js";
import { acceptAnswer, createAnswer, createOffer, parseSdp } from "../../modules/sip/sdp.js";

const LOCAL = Object.freeze({ address: "192.0.2.10", port: 40000, codecs: ["PCMU", "PCMA"] as const, sessionId: "7", version: 1 });

describe("SDP offer/answer (RFC 4566, RFC 3264)", () => {
	it("reads the fields of a line however they are spaced (single spaces, runs of spaces and tabs)", () => {
		const single = parseSdp("v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n");
		const spaced = parseSdp("v=0\no=-  1\t2 IN   IP4 192.0.2.1\ns=-\nc=IN\tIP4  192.0.2.1\nt=0 0\nm=audio  4000\tRTP/AVP 8  0\t101 \na=rtpmap:101 telephone-event/8000\na=sendonly\n");
		for (const s of [single, spaced]) {
			deepEqual(s.origin, { username: "-", sessionId: "1", version: "2", address: "192.0.2.1" });
			equal(s.address, "192.0.2.1");
			equal(s.media.length, 1);
			equal(s.media[0].port, 4000);
			equal(s.media[0].protocol, "RTP/AVP");
			deepEqual(s.media[0].formats, ["8", "0", "101"]);
			equal(s.media[0].direction, "sendonly");
			equal(s.media[0].rtpmap.get("101"), "telephone-event/8000");
		}
	});

	it("refuses what is not SDP, and an m= line without a port or formats", () => {
		throws(() => parseSdp("hello\r\n"));
		throws(() => parseSdp("v=0\r\nm=audio x RTP/AVP 0\r\n"));
		throws(() => parseSdp("v=0\r\nm=audio 4000 RTP/AVP\r\n"));
		throws(() => parseSdp("v=0\r\nm=audio 70000 RTP/AVP 0\r\n"));
	});

	it("answers the first supported codec, the opposite direction, and declines other streams with port 0", () => {
		const offer = parseSdp("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 9 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n");
		const answer = createAnswer(offer, LOCAL);
		ok(answer);
		deepEqual(answer.audio, { remoteAddress: "192.0.2.1", remotePort: 4000, codec: { payloadType: 8, name: "PCMA" }, telephoneEvent: 101, direction: "recvonly" });
		ok(answer.sdp.includes("m=video 0 RTP/AVP 96\r\n"), answer.sdp);
		ok(answer.sdp.includes("m=audio 40000 RTP/AVP 8 101\r\n"), answer.sdp);
		equal(createAnswer(parseSdp("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 9 18\r\n"), LOCAL), undefined, "no G.711: 488");
	});

	it("reads the answer to its own offer", () => {
		const offer = createOffer(LOCAL);
		ok(offer.startsWith("v=0\r\no=portier 7 1 IN IP4 192.0.2.10\r\n"), offer);
		const audio = acceptAnswer(parseSdp("v=0\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"), LOCAL);
		deepEqual(audio, { remoteAddress: "192.0.2.5", remotePort: 6000, codec: { payloadType: 0, name: "PCMU" }, telephoneEvent: undefined, direction: "sendrecv" });
	});
});
