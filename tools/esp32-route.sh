#!/usr/bin/env bash
# Set up the offline ESP32 route (toolchain, ESP-IDF, QEMU: see
# ../shared/esp32/README.md in the brief's layout) in a scratch folder, then
# apply the route's compatibility fix-ups, and write DIR/env.sh.
#
# usage: tools/esp32-route.sh ROUTE_FOLDER SCRATCH_DIR   then: . SCRATCH_DIR/env.sh
#
# The fix-ups mend the route, never the project's build: each one applies only
# where the packed ESP-IDF shows the mismatch it mends, and changes nothing
# on a stock ESP-IDF v6.0.
#  1. lwIP: the packed ESP-IDF carries an older esp-lwip than v6.0's port.
#     Its core ip4.c already defines ip4_netif_exist() and
#     ip4_route_src_hook(), which v6.0 moved to port/hooks/lwip_default_hooks.c;
#     any firmware that uses the DHCP client (whose hooks live in that file)
#     fails to link on "multiple definition of ip4_netif_exist". The port's
#     copies (identical code) are compiled out when the core has them.
set -euo pipefail
route=${1:?usage: esp32-route.sh ROUTE_FOLDER SCRATCH_DIR}
dir=${2:?usage: esp32-route.sh ROUTE_FOLDER SCRATCH_DIR}
bash "$route/setup-route.sh" "$dir" >/dev/null
hooks=$dir/esp-idf/components/lwip/port/hooks/lwip_default_hooks.c
core=$dir/esp-idf/components/lwip/lwip/src/core/ipv4/ip4.c
if grep -q "^ip4_route_src_hook\|ip4_route_src_hook(const" "$core" 2>/dev/null && grep -q "^#if ESP_IP4_ROUTE$" "$hooks"; then
	sed -i 's|^#if ESP_IP4_ROUTE$|#if ESP_IP4_ROUTE \&\& 0 /* route fix-up: this esp-lwip core (ip4.c) defines these */|' "$hooks"
	echo "esp32 route: lwIP fix-up applied (ip4 route hooks defined once)" >&2
fi
echo "$dir/env.sh"
