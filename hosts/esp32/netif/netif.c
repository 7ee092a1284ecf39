/*
 * What the panel's network code needs of an ESP-IDF network interface and
 * the SDK's classes do not give: the DHCP client's host name, a static
 * address with its DNS servers, and reading the interface back, by the
 * interface's key ("ETH_DEF" for Ethernet, "WIFI_STA_DEF" and "WIFI_AP_DEF"
 * for Wi-Fi: ESP-IDF's default interfaces). Used by the Ethernet module
 * (hosts/esp32/ethernet) and the Wi-Fi panel (hosts/esp32/network-wifi).
 *
 *   Netif.configure(key, hostname, address, mask, gateway)
 *       hostname "" leaves the name; address "" means DHCP (the client is
 *       started if it was stopped); otherwise the DHCP client is stopped and
 *       the address set: the interface reports it when its link comes up.
 *   Netif.dns(key, first, second)   DNS servers ("" leaves one unset)
 *   Netif.get(key, "IP" | "MASK" | "GATEWAY" | "DNS" | "MAC" | "HOSTNAME")
 *   Netif.mac()   the chip's base MAC (the Wi-Fi station's), before any
 *                 interface exists: the setup access point's name needs it
 */
#include "xsmc.h"
#include "xsHost.h"

#include "esp_err.h"
#include "esp_mac.h"
#include "esp_netif.h"


static esp_netif_t *netifOf(xsMachine *the, int argument)
{
	esp_netif_t *netif = esp_netif_get_handle_from_ifkey(xsmcToString(xsArg(argument)));
	if (!netif)
		xsUnknownError("no such interface");
	return netif;
}

static void parseAddress(xsMachine *the, int argument, esp_ip4_addr_t *to, const char *name)
{
	const char *text = xsmcToString(xsArg(argument));
	if (ESP_OK != esp_netif_str_to_ip4(text, to))
		xsRangeError("invalid %s", name);
}

void portierNetifConfigure(xsMachine *the, esp_netif_t *netif, int first)
{
	const char *hostname = xsmcToString(xsArg(first));
	if (*hostname && (ESP_OK != esp_netif_set_hostname(netif, hostname)))
		xsUnknownError("set hostname failed");

	if (!*xsmcToString(xsArg(first + 1))) {
		esp_netif_dhcp_status_t status;
		if ((ESP_OK == esp_netif_dhcpc_get_status(netif, &status)) && (ESP_NETIF_DHCP_STOPPED == status))
			esp_netif_dhcpc_start(netif);
		return;
	}

	esp_netif_ip_info_t info = {0};
	parseAddress(the, first + 1, &info.ip, "address");
	parseAddress(the, first + 2, &info.netmask, "mask");
	if (*xsmcToString(xsArg(first + 3)))
		parseAddress(the, first + 3, &info.gw, "gateway");
	// stopped before the interface is up, the client never starts: the
	// interface then reports the static address when its link comes up
	esp_err_t err = esp_netif_dhcpc_stop(netif);
	if ((ESP_OK != err) && (ESP_ERR_ESP_NETIF_DHCP_ALREADY_STOPPED != err))
		xsUnknownError("DHCP client stop failed");
	if (ESP_OK != esp_netif_set_ip_info(netif, &info))
		xsUnknownError("set address failed");
}

void xs_netif_configure(xsMachine *the)
{
	portierNetifConfigure(the, netifOf(the, 0), 1);
}

void xs_netif_dns(xsMachine *the)
{
	esp_netif_t *netif = netifOf(the, 0);
	for (int i = 0; i < 2; i++) {
		if (!*xsmcToString(xsArg(1 + i)))
			continue;
		esp_netif_dns_info_t dns = {0};
		dns.ip.type = ESP_IPADDR_TYPE_V4;
		parseAddress(the, 1 + i, &dns.ip.u_addr.ip4, "DNS server");
		if (ESP_OK != esp_netif_set_dns_info(netif, i ? ESP_NETIF_DNS_BACKUP : ESP_NETIF_DNS_MAIN, &dns))
			xsUnknownError("set DNS failed");
	}
}

static void setAddress(xsMachine *the, const esp_ip4_addr_t *address)
{
	char text[16];
	if (!address->addr)
		return;
	esp_ip4addr_ntoa(address, text, sizeof(text));
	xsmcSetString(xsResult, text);
}

static void setMAC(xsMachine *the, const uint8_t *mac)
{
	char text[18];
	snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	xsmcSetString(xsResult, text);
}

void portierNetifGet(xsMachine *the, esp_netif_t *netif, const char *what)
{
	if (!netif)
		return;
	if (!c_strcmp(what, "IP") || !c_strcmp(what, "GATEWAY") || !c_strcmp(what, "MASK")) {
		esp_netif_ip_info_t info;
		if (ESP_OK == esp_netif_get_ip_info(netif, &info))
			setAddress(the, ('I' == what[0]) ? &info.ip : ('G' == what[0]) ? &info.gw : &info.netmask);
	}
	else if (!c_strcmp(what, "DNS")) {
		esp_netif_dns_info_t dns;
		if (ESP_OK == esp_netif_get_dns_info(netif, ESP_NETIF_DNS_MAIN, &dns))
			setAddress(the, &dns.ip.u_addr.ip4);
	}
	else if (!c_strcmp(what, "MAC")) {
		uint8_t mac[6];
		if (ESP_OK == esp_netif_get_mac(netif, mac))
			setMAC(the, mac);
	}
	else if (!c_strcmp(what, "HOSTNAME")) {
		const char *name = NULL;
		if ((ESP_OK == esp_netif_get_hostname(netif, &name)) && name)
			xsmcSetString(xsResult, (char *)name);
	}
}

void xs_netif_get(xsMachine *the)
{
	portierNetifGet(the, esp_netif_get_handle_from_ifkey(xsmcToString(xsArg(0))), xsmcToString(xsArg(1)));
}

void xs_netif_mac(xsMachine *the)
{
	uint8_t mac[6];
	if (ESP_OK == esp_read_mac(mac, ESP_MAC_WIFI_STA))
		setMAC(the, mac);
}
