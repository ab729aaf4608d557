#include "input/bridge.hpp"

#include "input/address.hpp"

namespace xt {

Status validate_bridge_ends(std::string_view client, std::string_view server) {
    XT_TRY(validate_ifname(client));
    if (server.empty()) return {};
    XT_TRY(validate_ifname(server));
    if (server == client)
        return failf(ErrorKind::invalid_input,
                     "{}: the server side of a bridge must be another interface than its client side",
                     server);
    return {};
}

}  // namespace xt
