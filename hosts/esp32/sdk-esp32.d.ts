// What the Wi-Fi panel uses of the SDK's ECMA-419 Wi-Fi class (modules/io/wifi),
// for `npm run typecheck`: the typings on npm (@moddable/typings 5.6) predate it.
// mcconfig compiles with the SDK's own typings (typings/embedded_network/interface/wifi.d.ts).
declare module "embedded:network/interface/wifi" {
	export interface WiFiStaticAddress {
		address: string;
		mask: string;
		gateway: string;
	}

	class WiFi {
		constructor(options: { onChanged?: (this: WiFi, property: "connection" | "address") => void });
		close(): void;
		connect(options: { SSID: string; password?: string }): void;
		disconnect(): void;
		configure(options: { hostname?: string; static?: WiFiStaticAddress | false }): void;
		/** 200 disconnected, 300 connecting, 400 connected, 500 connected with its addresses */
		readonly connection: number;
		readonly address: string | undefined;
		readonly MAC: string | undefined;
		readonly SSID: string | undefined;
	}

	export default WiFi;
}
