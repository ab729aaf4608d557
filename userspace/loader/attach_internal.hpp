// Pieces of attach/detach shared by host mode (attach.cpp) and gateway mode (gateway.cpp).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "abi.h"
#include "maps/gateway_maps.hpp"
#include "loader/attach.hpp"
#include "maps/tables.hpp"

namespace xt::detail {

struct PortToAttach {
    std::string name;
    int ifindex = 0;
};

// Error unless the XDP hook of the interface can take our program (nothing there, or libxdp's
// dispatcher can chain us); names the bridge when the interface is a gateway's server side.
Status check_hook_free(std::string_view iface, int ifindex);

// Loads the program with its maps pinned under pin_dir(pin_iface) (reusing pins that exist) and
// attaches it to every port, in order; when one fails, the ports done so far are detached again
// and a pin directory created here is removed. No config is written. `sizes` apply to the maps it
// creates; a pinned map keeps its size (a size that differs from it is an error).
Result<AttachResult> load_and_attach(std::string_view pin_iface, std::span<const PortToAttach> ports,
                                     AttachMode mode, std::span<const TableSize> sizes);

// Detaches our program from one interface (legacy attachment or libxdp dispatcher component).
Status detach_ours(int ifindex, std::string_view iface, uint32_t prog_id);

// Host-mode settings: no XT_CFG_GATEWAY, no ports, no HTTP ports.
void clear_gateway_settings(xt_config& config);

// The gateway bridge iface's pinned config records (iface is its client side), if any
// (maps/gateway_maps.hpp, recorded_gateway).
std::optional<GatewayPorts> recorded_gateway_of(std::string_view iface);

// The gateway bridge (recorded in some pin directory's config) whose server side is `ifindex`.
std::optional<GatewayPorts> gateway_of_server_port(int ifindex);

// When iface's pinned config records a gateway bridge: detaches our program from its server side
// (if attached), empties XT_MAP_PORTS and clears the gateway settings. Returns the server side's
// name (its ifindex when it no longer exists), or nothing in host mode.
Result<std::optional<std::string>> detach_gateway_peer(std::string_view iface);

}  // namespace xt::detail
