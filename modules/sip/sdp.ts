/*
 * SDP (RFC 4566) as a door station needs it for offer/answer (RFC 3264):
 * one audio stream of G.711 µ-law (PT 0) or A-law (PT 8) at 8 kHz, 20 ms
 * packets, with RFC 4733 telephone-event. Any other stream a peer offers
 * (video above all) is declined with port 0 in the answer (RFC 3264 §6).
 */

export interface AudioCodec {
	payloadType: number;
	name: "PCMU" | "PCMA";
}

export interface MediaDescription {
	media: string;
	port: number;
	protocol: string;
	formats: string[];
	/** a=rtpmap values by payload type. */
	rtpmap: Map<string, string>;
	/** sendrecv / sendonly / recvonly / inactive (RFC 3264 §5.1), if given for the stream. */
	direction: string | undefined;
	address: string | undefined;
	ptime: number | undefined;
}

export interface SessionDescription {
	origin: { username: string; sessionId: string; version: string; address: string };
	address: string | undefined;
	direction: string | undefined;
	media: MediaDescription[];
}

const DIRECTIONS: readonly string[] = Object.freeze(["sendrecv", "sendonly", "recvonly", "inactive"]);

/**
 * Fields separated by runs of spaces and tabs. Written out: XS compiles a
 * RegExp each time split() is given one (the splitter is a new RegExp, ECMA-262
 * §22.2.6.14), which cost more than the rest of an INVITE's SDP.
 */
function fields(value: string): string[] {
	// the usual line: single spaces only, split natively (a string separator compiles no RegExp)
	if (value.indexOf("  ") < 0 && value.indexOf("\t") < 0)
		return value.length === 0 ? [] : value.split(" ");
	const out: string[] = [];
	let start = -1;
	for (let i = 0; i <= value.length; i++) {
		const c = i < value.length ? value.charCodeAt(i) : 32;
		if (c === 32 || c === 9) {
			if (start >= 0) {
				out.push(value.slice(start, i));
				start = -1;
			}
		}
		else if (start < 0)
			start = i;
	}
	return out;
}

/** The body's lines, split at LF with a CR before it dropped (RFC 4566 §5: CRLF, LF accepted). */
function sdpLines(text: string): string[] {
	const out: string[] = [];
	let start = 0;
	while (start <= text.length) {
		let end = text.indexOf("\n", start);
		if (end < 0)
			end = text.length;
		out.push(text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end));
		start = end + 1;
	}
	return out;
}

/** Parse an SDP body; throws on a body that is not SDP. */
export function parseSdp(text: string): SessionDescription {
	const lines = sdpLines(text);
	const session: SessionDescription = { origin: { username: "-", sessionId: "0", version: "0", address: "" }, address: undefined, direction: undefined, media: [] };
	let current: MediaDescription | undefined;
	let sawVersion = false;
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		if (line.length < 2 || line[1] !== "=")
			continue;
		const type = line[0];
		const value = line.slice(2).trim();
		if (type === "v") {
			sawVersion = value === "0";
			continue;
		}
		if (type === "o") {
			const f = fields(value);
			if (f.length >= 6)
				session.origin = { username: f[0], sessionId: f[1], version: f[2], address: f[5] };
			continue;
		}
		if (type === "c") {
			const f = fields(value);
			const address = f.length >= 3 ? f[2].split("/")[0] : undefined;
			if (current)
				current.address = address;
			else
				session.address = address;
			continue;
		}
		if (type === "m") {
			const f = fields(value);
			const port = Number(f[1]?.split("/")[0]);
			if (f.length < 4 || !Number.isInteger(port) || port < 0 || port > 65535)
				throw new Error("bad m= line");
			current = { media: f[0], port, protocol: f[2], formats: f.slice(3), rtpmap: new Map(), direction: undefined, address: undefined, ptime: undefined };
			session.media.push(current);
			continue;
		}
		if (type === "a") {
			const colon = value.indexOf(":");
			const name = colon < 0 ? value : value.slice(0, colon);
			const rest = colon < 0 ? "" : value.slice(colon + 1);
			if (DIRECTIONS.indexOf(name) >= 0) {
				if (current)
					current.direction = name;
				else
					session.direction = name;
			}
			else if (name === "rtpmap" && current) {
				const space = rest.indexOf(" ");
				if (space > 0)
					current.rtpmap.set(rest.slice(0, space), rest.slice(space + 1).trim());
			}
			else if (name === "ptime" && current)
				current.ptime = Number(rest);
		}
	}
	if (!sawVersion)
		throw new Error("not SDP (no v=0)");
	return session;
}

/** The codec of a payload type in a stream: static types 0 and 8, or by rtpmap name. */
function codecOf(m: MediaDescription, pt: string): AudioCodec | undefined {
	const map = m.rtpmap.get(pt);
	const name = map ? map.split("/")[0].toUpperCase() : pt === "0" ? "PCMU" : pt === "8" ? "PCMA" : "";
	const rate = map ? map.split("/")[1] : "8000";
	if ((name === "PCMU" || name === "PCMA") && rate === "8000")
		return { payloadType: Number(pt), name };
	return undefined;
}

function telephoneEventOf(m: MediaDescription): number | undefined {
	for (const [pt, map] of m.rtpmap) {
		if (map.toLowerCase().startsWith("telephone-event/8000"))
			return Number(pt);
	}
	return undefined;
}

export interface LocalMedia {
	address: string;
	port: number;
	/** Codecs in order of preference. */
	codecs: readonly ("PCMU" | "PCMA")[];
	/** Payload type offered for telephone-event. */
	telephoneEvent?: number;
	sessionId: string;
	version: number;
}

/** What offer/answer agreed for the audio stream. */
export interface AudioSession {
	remoteAddress: string;
	remotePort: number;
	codec: AudioCodec;
	telephoneEvent: number | undefined;
	direction: string;
}

function header(local: LocalMedia): string[] {
	return ["v=0", `o=portier ${local.sessionId} ${local.version} IN IP4 ${local.address}`, "s=portier", `c=IN IP4 ${local.address}`, "t=0 0"];
}

function audioLines(local: LocalMedia, codecs: AudioCodec[], telephoneEvent: number | undefined, direction: string): string[] {
	const formats = codecs.map((c) => String(c.payloadType));
	if (telephoneEvent !== undefined)
		formats.push(String(telephoneEvent));
	const lines = [`m=audio ${local.port} RTP/AVP ${formats.join(" ")}`];
	for (const c of codecs)
		lines.push(`a=rtpmap:${c.payloadType} ${c.name}/8000`);
	if (telephoneEvent !== undefined)
		lines.push(`a=rtpmap:${telephoneEvent} telephone-event/8000`, `a=fmtp:${telephoneEvent} 0-15`);
	lines.push("a=ptime:20", "a=" + direction);
	return lines;
}

export function createOffer(local: LocalMedia): string {
	const codecs = local.codecs.map((name) => ({ payloadType: name === "PCMU" ? 0 : 8, name }) as AudioCodec);
	return header(local).concat(audioLines(local, codecs, local.telephoneEvent ?? 101, "sendrecv")).join("\r\n") + "\r\n";
}

/** The direction we answer with for an offered direction (RFC 3264 §6.1). */
function answerDirection(offered: string): string {
	switch (offered) {
		case "sendonly": return "recvonly";
		case "recvonly": return "sendonly";
		case "inactive": return "inactive";
	}
	return "sendrecv";
}

/**
 * Answer an offer: the first offered codec we support on the first audio
 * stream, every other stream declined with port 0. Returns undefined when no
 * audio codec is acceptable (answer the INVITE 488).
 */
export function createAnswer(offer: SessionDescription, local: LocalMedia): { sdp: string; audio: AudioSession } | undefined {
	const lines = header(local);
	let audio: AudioSession | undefined;
	for (const m of offer.media) {
		if (!audio && m.media === "audio" && m.port !== 0 && m.protocol.toUpperCase() === "RTP/AVP") {
			let codec: AudioCodec | undefined;
			for (const pt of m.formats) {
				const c = codecOf(m, pt);
				if (c && local.codecs.indexOf(c.name) >= 0) {
					codec = c;
					break;
				}
			}
			if (codec) {
				const te = telephoneEventOf(m);
				const direction = answerDirection(m.direction ?? offer.direction ?? "sendrecv");
				lines.push(...audioLines(local, [codec], te, direction));
				audio = { remoteAddress: m.address ?? offer.address ?? "", remotePort: m.port, codec, telephoneEvent: te, direction };
				continue;
			}
		}
		// declined: same media type and formats, port 0 (RFC 3264 §6)
		lines.push(`m=${m.media} 0 ${m.protocol} ${m.formats.join(" ")}`);
	}
	if (!audio)
		return undefined;
	return { sdp: lines.join("\r\n") + "\r\n", audio };
}

/** Read the answer to our offer. */
export function acceptAnswer(answer: SessionDescription, local: LocalMedia): AudioSession | undefined {
	for (const m of answer.media) {
		if (m.media !== "audio" || m.port === 0)
			continue;
		for (const pt of m.formats) {
			const c = codecOf(m, pt);
			if (c && local.codecs.indexOf(c.name) >= 0)
				return { remoteAddress: m.address ?? answer.address ?? "", remotePort: m.port, codec: c, telephoneEvent: telephoneEventOf(m), direction: m.direction ?? answer.direction ?? "sendrecv" };
		}
	}
	return undefined;
}
