/*
 * The network of an Ethernet panel (the module "host/network" of the POE
 * and emulation targets): the firmware starts the interface from the stored
 * settings (hosts/esp32/ethernet: the DHCP client with the device name as
 * its host name, or the static address with its mask and gateway), sets the
 * DNS servers the settings name, and starts the station once the address is
 * there.
 *
 * A panel whose cable is unplugged at power-on (or whose DHCP server does
 * not answer) still starts the station after WAIT_MS, so that it serves its
 * page and answers SIP as soon as the link comes: with a static address the
 * station has its address; with DHCP it starts on "0.0.0.0" (the SDK's
 * sockets listen on every address) and the address that comes later is
 * logged and passed to onAddress.
 */
import Ethernet from "ethernet";
import Netif from "netif";
import Timer from "timer";
import type { NetworkSettings } from "config/network";

export interface NetworkOptions {
	/** The stored network settings (addressing, static address, DNS). */
	settings: NetworkSettings;
	log: (line: string) => void;
	/** Called once, with the station's address, when the network is up (or WAIT_MS has passed). */
	onReady: (address: string) => void;
	/** Called when the address comes or changes after onReady (DHCP after a late link). */
	onAddress?: (address: string) => void;
}

/** How long the station waits for the link and the address at power-on. */
export const WAIT_MS = 30000;
const POLL_MS = 100;

export function bringUp(options: NetworkOptions): void {
	const { settings, log } = options;
	const fixed = settings.addressing === "static";
	try {
		Ethernet.start(settings.name, fixed ? settings.address : "", fixed ? settings.mask : "", fixed ? settings.gateway : "");
	}
	catch (e) {
		// a PHY that does not answer (a board other than the target's) or an address the
		// settings' checks let through and lwIP does not take: the page still starts
		log("network: ethernet cannot start: " + String(e));
		options.onReady(fixed ? settings.address : "0.0.0.0");
		return;
	}
	const started = Date.now();
	let ready = false;
	let link = false;
	let known = "";
	let slow = false;
	Timer.repeat((id) => {
		try {
			const now = Ethernet.get("LINK");
			if (now !== link) {
				link = now;
				log(`network: ethernet link ${link ? "up" : "down"}`);
			}
			const address = link ? Ethernet.get("IP") ?? "" : "";
			if (address && address !== known) {
				known = address;
				// DHCP sets the DNS servers it was given: the settings' servers, when named, replace them
				if (settings.dns.length)
					setDns(settings.dns, log);
				log(`network: ethernet ${fixed ? "static" : "DHCP"} address ${address} after ${Date.now() - started} ms (MAC ${Ethernet.get("MAC") ?? "?"}, gateway ${Ethernet.get("GATEWAY") ?? "none"}, DNS ${Ethernet.get("DNS") ?? "none"})`);
				if (ready)
					options.onAddress?.(address);
			}
			if (!ready && (address || Date.now() - started >= WAIT_MS)) {
				ready = true;
				if (!address)
					log(`network: no ethernet ${link ? "address" : "link"} after ${WAIT_MS / 1000} s: the station starts${fixed ? "" : " without an address"}, the page answers once the ${link ? "address" : "link"} comes`);
				options.onReady(address || (fixed ? settings.address : "0.0.0.0"));
			}
			// once the station runs, the link is looked at once a second
			if (ready && !slow) {
				slow = true;
				Timer.schedule(id, 1000, 1000);
			}
		}
		catch (e) {
			log("network: " + String(e));
		}
	}, POLL_MS);
}

/** The DNS servers the interface has (DHCP's, or the settings' once set), for the firmware's own lookups. */
export function dnsServers(): string[] {
	try {
		const dns = Ethernet.get("DNS");
		return dns && dns !== "0.0.0.0" ? [dns] : [];
	}
	catch {
		return [];
	}
}

/** The settings' DNS servers on the interface (lwIP's own lookups use them). */
function setDns(servers: string[], log: (line: string) => void): void {
	try {
		Netif.dns("ETH_DEF", servers[0] ?? "", servers[1] ?? "");
	}
	catch (e) {
		log("network: DNS servers not set: " + String(e));
	}
}
