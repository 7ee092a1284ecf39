/*
 * xs_portier_microseconds: a monotonic clock in microseconds, for timing the
 * station's own paths inside the engine (hosts/moddable/sip-timing). The
 * SDK's Time has milliseconds on Linux (Time.ticks) and no microseconds
 * there; ESP-IDF's esp_timer counts them on a panel.
 */
#include "xsmc.h"

#if defined(ESP_PLATFORM)
#include "esp_timer.h"
static double portierMicroseconds(void)
{
	return (double)esp_timer_get_time();
}
#else
#include <time.h>
static double portierMicroseconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000000.0 + (double)ts.tv_nsec / 1000.0;
}
#endif

void xs_portier_microseconds(xsMachine *the)
{
	xsmcSetNumber(xsResult, portierMicroseconds());
}
