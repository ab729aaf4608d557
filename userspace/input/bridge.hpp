// The two interfaces of a gateway bridge as the operator names them: `xdp-throttle attach A
// --peer B`, the config's "xdp-throttle".iface/.peer, `xdp-throttled --iface A --peer B`.
#pragma once

#include <string_view>

#include "common/result.hpp"

namespace xt {

// Both valid interface names, and two different ones. An empty `server` stands for "not given".
Status validate_bridge_ends(std::string_view client, std::string_view server);

}  // namespace xt
