// Declarations of SDK modules that @moddable/typings 5.6.0 lacks.
// The SDK's ECMA-419 HTTP server (examples/io/listener/httpserver), which
// @moddable/typings 5.6.0 does not declare: the shape modules/io/types.ts
// describes and modules/web/server.ts uses.
declare module "embedded:network/http/server" {
	import type { HTTPServerOptions } from "io/types";
	export default class HTTPServer {
		constructor(options: HTTPServerOptions);
		close(): void;
		readonly port: number;
	}
}

// The SDK's ECMA-419 MQTT client (examples/io/tcp/mqttclient) and DNS
// resolver (examples/io/udp/dns).
declare module "embedded:network/mqtt/client" {
	import type { MQTTClient as Client, MQTTClientOptions } from "io/types";
	export default class MQTTClient implements Client {
		constructor(options: MQTTClientOptions & { socket: { io: unknown }; dns: { io: unknown; servers: string[]; socket: { io: unknown } } });
		static readonly CONNACK: number;
		static readonly SUBSCRIBE: number;
		read(count?: number): ArrayBuffer | undefined;
		write(data: ArrayBuffer | null, options: object): number;
		close(): void;
	}
}

declare module "embedded:network/dns/resolver/udp" {
	export default class Resolver {
		constructor(options: object);
		resolve(options: { host: string; onResolved?(host: string, address: string): void; onError?(host: string): void }): void;
		close(): void;
	}
}

// The SDK's debug module (modules/base/debug): a full garbage collection.
declare module "debug" {
	export default class Debug {
		static gc(enable?: boolean): void;
	}
}

// The SDK's Time (modules/base/time): set() sets the system time, in seconds since 1970.
declare module "time" {
	const Time: {
		set(seconds: number): void;
		readonly ticks: number;
	};
	export default Time;
}

// The SDK's ECMA-419 HTTP client (examples/io/tcp/httpclient).
declare module "embedded:network/http/client" {
	export interface HTTPClientRequest {
		read(count?: number): ArrayBuffer | undefined;
	}
	export default class HTTPClient {
		constructor(options: { host: string; port?: number; dns: { io: unknown; client?: unknown }; socket: { io: unknown }; onError?(error?: unknown): void });
		request(options: {
			method?: string; path?: string; headers?: Map<string, string>;
			onHeaders?(this: HTTPClientRequest, status: number, headers: Map<string, string>): void;
			onReadable?(this: HTTPClientRequest, count: number): void;
			onDone?(this: HTTPClientRequest, error: Error | null): void;
		}): HTTPClientRequest;
		close(): void;
	}
}

// The SDK's ECMA-419 firmware update (modules/io/update) and flash storage
// (modules/io/flash), which @moddable/typings 5.6.0 does not declare: a
// panel's firmware upgrade writes the "nextota" partition (hosts/esp32/update).
declare module "embedded:storage/flash" {
	export interface FlashPartition {
		status(): { size: number; blockLength: number };
		close(): void;
	}
	const flash: { open(options: { path: string }): FlashPartition };
	export default flash;
}
declare module "embedded:update" {
	import type { FlashPartition } from "embedded:storage/flash";
	export interface Update {
		write(buffer: ArrayBuffer | ArrayBufferView): void;
		complete(): void;
		close(): void;
	}
	const OTA: { open(options: { partition: FlashPartition; mode?: "a" | "w"; byteLength?: number }): Update };
	export default OTA;
}
