// Gateway mode (bpf/abi.h): the same loaded program on the client side `client_iface` (A, the
// L3/L4 stages run there) and the server side `server_iface` (B), bridging them in the kernel.
#pragma once

#include <string_view>

#include "common/result.hpp"
#include "input/http_ports.hpp"
#include "loader/attach.hpp"

namespace xt {

// The maps are pinned under pin_dir(client_iface); its xt_config records both ifindexes and the
// HTTP ports, and XT_MAP_PORTS maps each port to the other. Frames bridge without the daemon. Both
// or neither get attached. Caller holds PinRootLock and has run ensure_bpffs().
Result<AttachResult> attach_gateway(std::string_view client_iface, std::string_view server_iface,
                                    AttachMode mode, const HttpPorts& http_ports,
                                    std::span<const TableSize> sizes = {});

}  // namespace xt
