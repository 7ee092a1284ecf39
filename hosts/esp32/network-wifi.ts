/*
 * The network of a Wi-Fi panel (the module "host/network" of the devkit
 * target), from the stored settings rather than the mcconfig command line:
 *
 * - A Wi-Fi network is stored: join it through the SDK's ECMA-419 Wi-Fi
 *   class (embedded:network/interface/wifi), with the device name as the
 *   DHCP client's host name, or the static address (its configure() stops
 *   the DHCP client and sets address, mask and gateway); the settings' DNS
 *   servers are set on the interface (hosts/esp32/netif). The station
 *   starts once the address is there. A network that does not answer, or
 *   refuses the password, is tried again and again (5 s, doubling up to a
 *   minute): a panel never falls back to an open access point on its own,
 *   so jamming its Wi-Fi cannot open a way in. Only the exit button held
 *   at power-on, which forgets the network, does (firmware.ts).
 * - No Wi-Fi network is stored (a new panel, or one reset at the panel):
 *   open the first-start access point "portier-setup-XXXX" (XXXX: the last
 *   two bytes of the panel's MAC, so that two panels can be told apart)
 *   through the SDK's `wifi` module (its ECMA-419 class has no access point
 *   mode), and start the station on it: the page at http://192.168.4.1/
 *   (ESP-IDF's default access point address, with its DHCP server) asks for
 *   the administrator password first, then the Wi-Fi network is entered on
 *   the Network tab; it is joined when the panel restarts (the page's
 *   Restart restarts a panel whole after a change of the network settings).
 *
 * `mcconfig ... ssid=NAME password=SECRET` still works for development: it
 * overrides the stored network (the SDK's own setup/network is left out of
 * the build, this module joins it).
 */
import WiFi from "embedded:network/interface/wifi";
import LegacyWiFi from "wifi";
import Net from "net";
import Netif from "netif";
import Timer from "timer";
import config from "mc/config";
import type { NetworkSettings } from "config/network";

export interface NetworkOptions {
	/** The stored network settings (addressing, static address, DNS, Wi-Fi). */
	settings: NetworkSettings;
	log: (line: string) => void;
	/** Called once, with the station's address, when the network is up. */
	onReady: (address: string) => void;
	/** Called when the address changes after onReady (a new DHCP lease after a lost connection). */
	onAddress?: (address: string) => void;
}

/** ESP-IDF's default address of its access point interface (esp_netif's WIFI_AP_DEF). */
export const SETUP_ADDRESS = "192.168.4.1";
const RETRY_FIRST_MS = 5000;
const RETRY_MOST_MS = 60000;
const POLL_MS = 250;

/** The access point's name: "portier-setup-" and the MAC's last two bytes, "portier-setup-A1B2". */
export function setupName(mac: string | undefined): string {
	const hex = (mac ?? "").split(":").join("").toUpperCase();
	return "portier-setup-" + (hex.length === 12 ? hex.slice(8) : "0000");
}

export function bringUp(options: NetworkOptions): void {
	const development = config as unknown as { ssid?: string; password?: string };
	const ssid = development.ssid ? String(development.ssid) : options.settings.wifi.ssid;
	const password = development.ssid ? String(development.password ?? "") : options.settings.wifi.password;
	if (ssid)
		join(options, ssid, password);
	else
		openSetup(options);
}

function openSetup(options: NetworkOptions): void {
	const ssid = setupName(Netif.mac());
	try {
		LegacyWiFi.accessPoint({ ssid, channel: 1, max: 4 });
	}
	catch (e) {
		options.log("network: setup access point cannot start: " + String(e));
	}
	const address = Net.get("IP") || SETUP_ADDRESS;
	options.log(`network: no Wi-Fi network set: setup access point "${ssid}", the page at http://${address}/`);
	options.onReady(address);
}

function join(options: NetworkOptions, ssid: string, password: string): void {
	const { settings, log } = options;
	const fixed = settings.addressing === "static";
	const started = Date.now();
	let retryMs = RETRY_FIRST_MS;
	let retry: Timer | undefined;
	let known = "";
	let ready = false;
	const connect = () => {
		retry = undefined;
		try {
			wifi.connect(password ? { SSID: ssid, password } : { SSID: ssid });
		}
		catch (e) {
			log("network: Wi-Fi connect: " + String(e));
			later();
		}
	};
	// a lost or refused connection is tried again, never given up
	const later = () => {
		if (retry !== undefined)
			return;
		log(`network: Wi-Fi "${ssid}" not connected, next try in ${retryMs / 1000} s`);
		retry = Timer.set(connect, retryMs);
		retryMs = Math.min(retryMs * 2, RETRY_MOST_MS);
	};
	const wifi = new WiFi({
		onChanged() {
			try {
				const connection = wifi.connection;
				if (connection <= 200) {	// disconnected, or the attempt failed
					known = "";
					later();
				}
				else if (connection >= 400 && !known)
					log(`network: Wi-Fi connected to "${ssid}"`);
			}
			catch (e) {
				log("network: " + String(e));
			}
		},
	});
	try {
		wifi.configure({ hostname: settings.name });
		if (fixed)
			wifi.configure({ static: { address: settings.address, mask: settings.mask, gateway: settings.gateway } });
	}
	catch (e) {
		log("network: Wi-Fi interface not configured: " + String(e));
	}
	// the address is read here rather than in onChanged: the SDK announces it only once IPv6 is up too
	let slow = false;
	Timer.repeat((id) => {
		try {
			const address = wifi.connection >= 400 ? wifi.address ?? "" : "";
			if (!address.includes(".") || address === known)
				return;
			known = address;
			retryMs = RETRY_FIRST_MS;
			if (settings.dns.length)
				Netif.dns("WIFI_STA_DEF", settings.dns[0] ?? "", settings.dns[1] ?? "");
			log(`network: Wi-Fi "${ssid}" ${fixed ? "static" : "DHCP"} address ${address} after ${Date.now() - started} ms (MAC ${wifi.MAC ?? "?"})`);
			if (!ready) {
				ready = true;
				options.onReady(address);
			}
			else
				options.onAddress?.(address);
			// once the station runs, a new lease is looked for every 2 s
			if (!slow) {
				slow = true;
				Timer.schedule(id, 2000, 2000);
			}
		}
		catch (e) {
			log("network: " + String(e));
		}
	}, POLL_MS);
	connect();
}

/** The DNS servers lwIP has (DHCP's, or the settings' once set), for the firmware's own lookups. */
export function dnsServers(): string[] {
	try {
		const dns = Net.get("DNS") as unknown;
		return Array.isArray(dns) ? dns.filter((d): d is string => typeof d === "string" && d !== "0.0.0.0") : [];
	}
	catch {
		return [];
	}
}
