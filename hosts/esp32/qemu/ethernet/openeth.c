/*
 * The emulated panel's network: QEMU's OpenCores Ethernet MAC (the esp32
 * machine's `-nic user,model=open_eth`) through ESP-IDF's openeth driver and
 * its generic IEEE 802.3 PHY (QEMU models a DP83848), an esp_netif with
 * ESP-IDF's default Ethernet settings (DHCP client on), and lwIP. No Wi-Fi:
 * nothing here needs the Wi-Fi or PHY libraries.
 *
 *   OpenEth.start()      brings the interface up once (later calls do nothing)
 *   OpenEth.get("IP")    the DHCP address as a dotted string, or undefined
 *   OpenEth.get("MAC")   the interface's MAC address "aa:bb:cc:dd:ee:ff"
 *   OpenEth.get("GATEWAY"), OpenEth.get("DNS")
 */
#include "xsmc.h"
#include "xsHost.h"

#include "esp_err.h"
#include "esp_event.h"
#include "esp_eth.h"
#include "esp_eth_mac_openeth.h"
#include "esp_eth_netif_glue.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "lwip/ip4_addr.h"

#if !CONFIG_ETH_USE_OPENETH
	#error "the emulation target needs CONFIG_ETH_USE_OPENETH=y (its sdkconfig)"
#endif

static const char *TAG = "openeth";
static esp_netif_t *gNetif = NULL;
static esp_eth_handle_t gEth = NULL;

static void gotIP(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	ip_event_got_ip_t *event = data;
	ESP_LOGI(TAG, "got IP " IPSTR, IP2STR(&event->ip_info.ip));
}

void xs_openeth_start(xsMachine *the)
{
	if (gEth)
		return;

	esp_err_t err = esp_netif_init();
	if (ESP_OK != err)
		xsUnknownError("esp_netif_init failed");
	err = esp_event_loop_create_default();
	if ((ESP_OK != err) && (ESP_ERR_INVALID_STATE != err))		// INVALID_STATE: it exists already
		xsUnknownError("no event loop");

	esp_netif_config_t netifConfig = ESP_NETIF_DEFAULT_ETH();
	gNetif = esp_netif_new(&netifConfig);
	if (!gNetif)
		xsUnknownError("esp_netif_new failed");

	eth_mac_config_t macConfig = ETH_MAC_DEFAULT_CONFIG();
	eth_phy_config_t phyConfig = ETH_PHY_DEFAULT_CONFIG();
	phyConfig.phy_addr = 1;					// where QEMU's open_eth answers MDIO
	phyConfig.reset_gpio_num = -1;
	phyConfig.autonego_timeout_ms = 100;
	esp_eth_mac_t *mac = esp_eth_mac_new_openeth(&macConfig);
	esp_eth_phy_t *phy = esp_eth_phy_new_generic(&phyConfig);
	if (!mac || !phy)
		xsUnknownError("no OpenCores Ethernet MAC");

	esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
	esp_eth_handle_t eth = NULL;
	err = esp_eth_driver_install(&config, &eth);
	if (ESP_OK != err) {
		mac->del(mac);
		phy->del(phy);
		xsUnknownError("esp_eth_driver_install failed");
	}
	esp_netif_attach(gNetif, esp_eth_new_netif_glue(eth));
	esp_event_handler_register(IP_EVENT, IP_EVENT_ETH_GOT_IP, gotIP, NULL);
	err = esp_eth_start(eth);
	if (ESP_OK != err)
		xsUnknownError("esp_eth_start failed");
	gEth = eth;
}

static void setAddress(xsMachine *the, const esp_ip4_addr_t *address)
{
	char text[16];
	if (!address->addr)
		return;
	esp_ip4addr_ntoa(address, text, sizeof(text));
	xsmcSetString(xsResult, text);
}

void xs_openeth_get(xsMachine *the)
{
	const char *what = xsmcToString(xsArg(0));
	if (!gNetif)
		return;
	if (!c_strcmp(what, "IP") || !c_strcmp(what, "GATEWAY")) {
		esp_netif_ip_info_t info;
		if (ESP_OK == esp_netif_get_ip_info(gNetif, &info))
			setAddress(the, ('I' == what[0]) ? &info.ip : &info.gw);
	}
	else if (!c_strcmp(what, "DNS")) {
		esp_netif_dns_info_t dns;
		if (ESP_OK == esp_netif_get_dns_info(gNetif, ESP_NETIF_DNS_MAIN, &dns))
			setAddress(the, &dns.ip.u_addr.ip4);
	}
	else if (!c_strcmp(what, "MAC")) {
		uint8_t mac[6];
		char text[18];
		if (ESP_OK == esp_netif_get_mac(gNetif, mac)) {
			snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
			xsmcSetString(xsResult, text);
		}
	}
}
