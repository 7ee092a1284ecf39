/*
 * The panel's wired network: one ESP-IDF Ethernet interface ("ETH_DEF"),
 * started by the firmware from its stored network settings (host name, DHCP
 * or a static address), not by an SDK setup module before it.
 *
 * The MAC and PHY come from the target's manifest defines:
 *   ethernet.openeth = 1   QEMU's OpenCores MAC (the emulation target,
 *                          `-nic user,model=open_eth`) and the generic IEEE
 *                          802.3 PHY driver on its DP83848 model at MDIO 1
 *   ethernet.emac = 1      the ESP32's internal EMAC (RMII) and a LAN87xx PHY
 *                          through the generic 802.3 driver, with
 *                          ethernet.phy.address, ethernet.phy.power (a GPIO
 *                          that powers the PHY, -1: none), ethernet.mdc,
 *                          ethernet.mdio and ethernet.clock.out (the GPIO
 *                          where the ESP32 drives the 50 MHz RMII clock,
 *                          -1: the PHY's crystal drives GPIO 0)
 *
 * ESP-IDF v6.0 keeps only the generic 802.3 PHY driver in esp_eth (the
 * LAN87xx, IP101... drivers moved to Espressif's component registry, which
 * a build here cannot reach); the LAN8720 implements the standard registers
 * it uses (reset, auto-negotiation, link, speed and duplex). The SDK's own
 * Ethernet modules do not fit: modules/network/ethernet pulls an enc28j60
 * component from that registry, and modules/io/ethernet has no RMII clock
 * output (the Olimex ESP32-POE has no crystal on its PHY) and no OpenCores
 * MAC.
 *
 *   Ethernet.start(hostname, address, mask, gateway)
 *       once (later calls do nothing): address "" means DHCP with that host
 *       name; otherwise the static address (Netif.configure in netif.c)
 *   Ethernet.get("LINK")   true while the cable is up
 *   Ethernet.get("IP" | "MASK" | "GATEWAY" | "DNS" | "MAC" | "HOSTNAME")
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.defines.h"

#include "esp_err.h"
#include "esp_event.h"
#include "esp_eth.h"
#include "esp_eth_netif_glue.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_netif.h"

/* netif.c */
void portierNetifConfigure(xsMachine *the, esp_netif_t *netif, int first);
void portierNetifGet(xsMachine *the, esp_netif_t *netif, const char *what);

#if MODDEF_ETHERNET_OPENETH
	#include "esp_eth_mac_openeth.h"
	#if !CONFIG_ETH_USE_OPENETH
		#error "ethernet.openeth needs CONFIG_ETH_USE_OPENETH=y (the target's sdkconfig)"
	#endif
#elif MODDEF_ETHERNET_EMAC
	#include "esp_eth_mac_esp.h"
	#include "driver/gpio.h"
	#include "freertos/FreeRTOS.h"
	#include "freertos/task.h"
	#if !CONFIG_ETH_USE_ESP32_EMAC
		#error "ethernet.emac needs CONFIG_ETH_USE_ESP32_EMAC=y (the target's sdkconfig)"
	#endif
#else
	#error "the target's manifest defines neither ethernet.openeth nor ethernet.emac"
#endif

static const char *TAG = "ethernet";
static esp_netif_t *gNetif = NULL;
static esp_eth_handle_t gEth = NULL;
static volatile uint8_t gLink = 0;

static void onEthernet(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	if (ETHERNET_EVENT_CONNECTED == id)
		gLink = 1;
	else if (ETHERNET_EVENT_DISCONNECTED == id)
		gLink = 0;
}

static void onAddress(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	ip_event_got_ip_t *event = data;
	ESP_LOGI(TAG, "address " IPSTR, IP2STR(&event->ip_info.ip));
}

static void newDriver(xsMachine *the, esp_eth_mac_t **mac, esp_eth_phy_t **phy)
{
	eth_mac_config_t macConfig = ETH_MAC_DEFAULT_CONFIG();
	eth_phy_config_t phyConfig = ETH_PHY_DEFAULT_CONFIG();
#if MODDEF_ETHERNET_OPENETH
	phyConfig.phy_addr = 1;					// where QEMU's open_eth answers MDIO
	phyConfig.reset_gpio_num = -1;
	phyConfig.autonego_timeout_ms = 100;
	*mac = esp_eth_mac_new_openeth(&macConfig);
#else
	#if defined(MODDEF_ETHERNET_PHY_POWER) && (MODDEF_ETHERNET_PHY_POWER >= 0)
		// the PHY is powered (and its 50 MHz input fed) by the ESP32: off, then on, so it starts from reset
		gpio_reset_pin(MODDEF_ETHERNET_PHY_POWER);
		gpio_set_direction(MODDEF_ETHERNET_PHY_POWER, GPIO_MODE_OUTPUT);
		gpio_set_level(MODDEF_ETHERNET_PHY_POWER, 0);
		vTaskDelay(pdMS_TO_TICKS(10));
		gpio_set_level(MODDEF_ETHERNET_PHY_POWER, 1);
		vTaskDelay(pdMS_TO_TICKS(10));
	#endif
	eth_esp32_emac_config_t emacConfig = ETH_ESP32_EMAC_DEFAULT_CONFIG();
	#ifdef MODDEF_ETHERNET_MDC			// else ESP-IDF's defaults, 23 and 18
		emacConfig.smi_gpio.mdc_num = MODDEF_ETHERNET_MDC;
		emacConfig.smi_gpio.mdio_num = MODDEF_ETHERNET_MDIO;
	#endif
	#if defined(MODDEF_ETHERNET_CLOCK_OUT) && (MODDEF_ETHERNET_CLOCK_OUT >= 0)
		// the ESP32 makes the RMII clock (APLL) and drives it to the PHY: no crystal on the PHY.
		// ESP32 errata: not stable beside Wi-Fi, which this target does not use.
		emacConfig.clock_config.rmii.clock_mode = EMAC_CLK_OUT;
		emacConfig.clock_config.rmii.clock_gpio = MODDEF_ETHERNET_CLOCK_OUT;
	#else
		emacConfig.clock_config.rmii.clock_mode = EMAC_CLK_EXT_IN;
		emacConfig.clock_config.rmii.clock_gpio = 0;
	#endif
	#ifdef MODDEF_ETHERNET_PHY_ADDRESS
		phyConfig.phy_addr = MODDEF_ETHERNET_PHY_ADDRESS;
	#endif						// else: the driver looks for the PHY on the bus
	phyConfig.reset_gpio_num = -1;			// reset by its power pin above
	*mac = esp_eth_mac_new_esp32(&emacConfig, &macConfig);
#endif
	*phy = esp_eth_phy_new_generic(&phyConfig);
	if (!*mac || !*phy) {
		if (*mac)
			(*mac)->del(*mac);
		if (*phy)
			(*phy)->del(*phy);
		xsUnknownError("no Ethernet MAC or PHY");
	}
}

void xs_ethernet_start(xsMachine *the)
{
	if (gEth)
		return;

	esp_err_t err = esp_netif_init();
	if (ESP_OK != err)
		xsUnknownError("esp_netif_init failed");
	err = esp_event_loop_create_default();
	if ((ESP_OK != err) && (ESP_ERR_INVALID_STATE != err))		// INVALID_STATE: it exists already
		xsUnknownError("no event loop");

	if (!gNetif) {
		esp_netif_config_t netifConfig = ESP_NETIF_DEFAULT_ETH();
		gNetif = esp_netif_new(&netifConfig);
		if (!gNetif)
			xsUnknownError("esp_netif_new failed");
	}
	// before the driver starts: the DHCP client starts (or not) when the link comes up
	portierNetifConfigure(the, gNetif, 0);

	esp_eth_mac_t *mac = NULL;
	esp_eth_phy_t *phy = NULL;
	newDriver(the, &mac, &phy);
	esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
	esp_eth_handle_t eth = NULL;
	err = esp_eth_driver_install(&config, &eth);
	if (ESP_OK != err) {
		mac->del(mac);
		phy->del(phy);
		xsUnknownError("esp_eth_driver_install failed (no PHY answering?)");
	}
	uint8_t address[6];
	if (ESP_OK == esp_read_mac(address, ESP_MAC_ETH))
		esp_eth_ioctl(eth, ETH_CMD_S_MAC_ADDR, address);
	esp_netif_attach(gNetif, esp_eth_new_netif_glue(eth));
	esp_event_handler_register(ETH_EVENT, ESP_EVENT_ANY_ID, onEthernet, NULL);
	esp_event_handler_register(IP_EVENT, IP_EVENT_ETH_GOT_IP, onAddress, NULL);
	err = esp_eth_start(eth);
	if (ESP_OK != err)
		xsUnknownError("esp_eth_start failed");
	gEth = eth;
}

void xs_ethernet_get(xsMachine *the)
{
	const char *what = xsmcToString(xsArg(0));
	if (!c_strcmp(what, "LINK"))
		xsmcSetBoolean(xsResult, gLink);
	else
		portierNetifGet(the, gNetif, what);
}
