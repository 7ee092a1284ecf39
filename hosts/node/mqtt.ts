/*
 * The `mqtt` package in the shape of the SDK's ECMA-419 MQTT client
 * (`embedded:network/mqtt/client`), so the station's MQTT code is the same on
 * a PC and on the device. Reconnecting is left to the station (the package's
 * own is switched off), as on the device.
 */
import mqtt from "mqtt";
import type { MQTTClientOptions } from "../../modules/io/types.js";

export class MQTTClient {
	static readonly CONNACK = 2;
	static readonly SUBSCRIBE = 8;
	#client: mqtt.MqttClient;
	#received: Buffer[] = [];
	#closed = false;

	constructor(o: MQTTClientOptions) {
		const url = (o.secure ? "mqtts://" : "mqtt://") + o.host + ":" + (o.port ?? (o.secure ? 8883 : 1883));
		this.#client = mqtt.connect(url, {
			clientId: o.id ?? "",
			username: o.user,
			password: o.password,
			keepalive: Math.round((o.keepAlive ?? 0) / 1000),
			clean: o.clean ?? true,
			protocolVersion: 4,
			reconnectPeriod: 0,
			connectTimeout: 5000,
			ca: typeof o.secure?.ca === "string" ? o.secure.ca : undefined,
			rejectUnauthorized: true,
			will: o.will ? { topic: o.will.topic, payload: Buffer.from(o.will.message), qos: (o.will.QoS ?? 0) as 0 | 1 | 2, retain: Boolean(o.will.retain) } : undefined,
		});
		this.#client.on("connect", () => o.onControl?.call(this, { operation: MQTTClient.CONNACK }));
		this.#client.on("message", (topic, payload) => {
			this.#received.push(payload);
			o.onReadable?.call(this, payload.length, { topic, byteLength: payload.length });
		});
		this.#client.on("error", (e) => o.onError?.call(this, e));
		this.#client.on("close", () => {
			if (!this.#closed)
				o.onClose?.call(this);
		});
	}

	read(count?: number): ArrayBuffer | undefined {
		const next = this.#received.shift();
		if (!next)
			return undefined;
		const bytes = count === undefined ? next : next.subarray(0, count);
		return new Uint8Array(bytes).buffer;
	}

	write(data: ArrayBuffer | null, options: { topic?: string; QoS?: number; retain?: boolean; operation?: number; items?: Array<{ topic: string; QoS?: number }> }): number {
		if (options.operation === MQTTClient.SUBSCRIBE)
			this.#client.subscribe((options.items ?? []).map((i) => i.topic), { qos: 0 });
		else if (data && options.topic)
			this.#client.publish(options.topic, Buffer.from(data), { qos: (options.QoS ?? 0) as 0 | 1 | 2, retain: Boolean(options.retain) });
		return 65536;
	}

	close(): void {
		this.#closed = true;
		this.#client.end(true);
	}
}
