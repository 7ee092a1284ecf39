/*
 * The shapes of the ECMA-419 I/O classes the firmware uses (ECMA-419 2nd
 * edition: UDP, TCP, Listener). The host provides the classes: the Moddable
 * SDK's `embedded:io/socket/*` on the device and in the simulator, the
 * adapters in hosts/node on a PC, fakes in tests. Callbacks are called with
 * `this` set to the instance.
 */

/** An ECMA-419 digital pin (embedded:io/digital): a relay output or a button input. */
export interface DigitalPin {
	read(): number;
	write(value: 0 | 1): void;
	close(): void;
}

export interface DigitalOptions {
	pin: number;
	/** One of the class's modes (Digital.Output, Digital.InputPullUp...). */
	mode: unknown;
	/** Digital.Rising, Digital.Falling or both (ORed). */
	edge?: number;
	onReadable?(this: DigitalPin): void;
}

export interface DigitalClass {
	new(options: DigitalOptions): DigitalPin;
	readonly Input: unknown;
	readonly InputPullUp: unknown;
	readonly Output: unknown;
	readonly Rising: number;
	readonly Falling: number;
}

/** ECMA-419 audio in/out (embedded:io/audio/in, embedded:io/audio/out): LPCM in blocks of the device's size. */
export interface AudioOptions {
	sampleRate: number;
	bitsPerSample: 16;
	channels: 1;
}

export interface AudioInput {
	/** Fill the buffer from the block being delivered (inside onReadable). */
	read(buffer: Uint8Array): unknown;
	start(): void;
	close(): void;
}

export interface AudioInClass {
	new(options: AudioOptions & { onReadable(this: AudioInput, count: number): void }): AudioInput;
}

export interface AudioOutput {
	/** Hand over samples for the block being asked for (inside onWritable). */
	write(buffer: Uint8Array): unknown;
	start(): void;
	close(): void;
}

export interface AudioOutClass {
	new(options: AudioOptions & { onWritable(this: AudioOutput, count: number): void }): AudioOutput;
}

/** A datagram as ECMA-419 UDP read() returns it: the octets, with the sender. */
export interface Datagram extends ArrayBuffer {
	address: string;
	port: number;
}

export interface UDPSocket {
	read(): Datagram | undefined;
	write(buffer: ArrayBuffer | Uint8Array, address: string, port: number): void;
	close(): void;
	readonly port?: number;
}

export interface UDPOptions {
	port?: number;
	address?: string;
	/** A multicast group to join (paging); the host's socket must support it. */
	multicast?: string;
	onReadable?(this: UDPSocket, count: number): void;
	onError?(this: UDPSocket, error?: Error): void;
}

export interface UDPClass {
	new(options: UDPOptions): UDPSocket;
}

export interface TCPSocket {
	read(count?: number): ArrayBuffer | undefined;
	write(buffer: ArrayBuffer | Uint8Array): number;
	close(): void;
	readonly remoteAddress?: string;
	readonly remotePort?: number;
}

export interface TCPOptions {
	/** Connect to this address and port... */
	address?: string;
	port?: number;
	/** ...or adopt a connection a Listener accepted. */
	from?: unknown;
	onReadable?(this: TCPSocket, count: number): void;
	onWritable?(this: TCPSocket, count: number): void;
	onError?(this: TCPSocket, error?: Error): void;
}

export interface TCPClass {
	new(options: TCPOptions): TCPSocket;
}

export interface ListenerSocket {
	/** The next accepted connection, to pass as `from` to the TCP class. */
	read(): unknown;
	close(): void;
	readonly port?: number;
}

export interface ListenerOptions {
	port: number;
	address?: string;
	onReadable?(this: ListenerSocket, count: number): void;
	onError?(this: ListenerSocket, error?: Error): void;
}

export interface ListenerClass {
	new(options: ListenerOptions): ListenerSocket;
}

/** Where log lines go: trace() on the device, stdout on Node. */
export type Log = (line: string) => void;

/**
 * Time, injected so that every SIP timer can be driven by a test: `set`
 * schedules a one-shot callback, `repeat` one that fires every `ms` until
 * cleared (one timer for a whole RTP stream, not one per packet), `clear`
 * cancels either. Timer on the device, setTimeout/setInterval on Node (and
 * sinon's fake timers in tests).
 */
export interface Clock {
	now(): number;
	set(callback: () => void, ms: number): unknown;
	repeat(callback: () => void, ms: number): unknown;
	clear(id: unknown): void;
}

/** TLS client options, as the SDK's TLS socket takes them. */
export interface SecureOptions {
	/** Trusted CA certificate(s), PEM text on Node, DER on the device. */
	ca?: unknown;
	/** Server name to verify (and to send as SNI). */
	serverName?: string;
}

export interface TLSOptions extends TCPOptions {
	secure?: SecureOptions;
}

export interface TLSClass {
	new(options: TLSOptions): TCPSocket;
}

/*
 * The HTTP server of the SDK (`embedded:network/http/server`, ECMA-419 2nd
 * edition draft): a connection is handed to onConnect, which accepts it with
 * the route's callbacks; they run with `this` the connection.
 */
export interface HTTPRequest {
	method: string;
	path: string;
	/** Header names in lower case. */
	headers: Map<string, string>;
}

export interface HTTPResponse {
	status: number;
	headers: Map<string, string | number>;
}

export interface HTTPRoute {
	onRequest?(this: HTTPConnection, request: HTTPRequest): void;
	onReadable?(this: HTTPConnection, count: number): void;
	onResponse?(this: HTTPConnection, response: HTTPResponse): void;
	onWritable?(this: HTTPConnection, count: number): void;
	onDone?(this: HTTPConnection): void;
	onError?(this: HTTPConnection, error?: unknown): void;
}

export interface HTTPConnection {
	accept(route: HTTPRoute): void;
	read(count?: number): ArrayBuffer | undefined;
	respond(response: HTTPResponse): void;
	/** Body bytes (at most the count given to onWritable); no argument ends a chunked body. */
	write(data?: ArrayBuffer | Uint8Array): number;
	close(): void;
}

export interface HTTPServerOptions {
	io?: ListenerClass;
	port: number;
	address?: string;
	onConnect(this: unknown, connection: HTTPConnection): void;
}

export interface HTTPServerClass {
	new(options: HTTPServerOptions): { close(): void; readonly port?: number };
}

/*
 * The MQTT client of the SDK (`embedded:network/mqtt/client`, ECMA-419 2nd
 * edition draft): control packets arrive in onControl, a received PUBLISH in
 * onReadable with its topic; write(data, {topic, QoS, retain}) publishes,
 * write(null, {operation: SUBSCRIBE, items}) subscribes.
 */
export interface MQTTWill {
	topic: string;
	message: ArrayBuffer;
	QoS?: number;
	retain?: boolean | number;
}

export interface MQTTClientOptions {
	host: string;
	port?: number;
	id?: string;
	user?: string;
	password?: string;
	clean?: boolean;
	/** Keep-alive in ms (0: none). */
	keepAlive?: number;
	will?: MQTTWill;
	secure?: SecureOptions;
	onControl?(this: MQTTClient, message: { operation: number; id?: number; returnCode?: number }): void;
	onReadable?(this: MQTTClient, count: number, options: { topic: string; byteLength?: number; more?: boolean }): void;
	onWritable?(this: MQTTClient, count: number): void;
	onClose?(this: MQTTClient): void;
	onError?(this: MQTTClient, error?: unknown): void;
}

export interface MQTTClient {
	read(count?: number): ArrayBuffer | undefined;
	write(data: ArrayBuffer | null, options: { topic?: string; QoS?: number; retain?: boolean; operation?: number; items?: Array<{ topic: string; QoS?: number }> }): number;
	close(): void;
}

export interface MQTTClientClass {
	new(options: MQTTClientOptions): MQTTClient;
	readonly CONNACK: number;
	readonly SUBSCRIBE: number;
}
