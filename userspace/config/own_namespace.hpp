// Parser of the "xdp-throttle" namespace (own_namespace.cpp). Internal to the config loader.
#pragma once

#include "json_fields.hpp"
#include "config/gateway_config.hpp"

namespace xt::config {

// "xdp-throttle" (scope service); fields with problems keep their defaults.
GatewaySettings parse_own_namespace(const json& block, const JsonPath& at, Problems& problems);
// An endpoint's own "xdp-throttle" block: the client address grouping of its limits, starting from
// the root's (`defaults`).
ClientPrefixes parse_endpoint_own_namespace(const json& block, const JsonPath& at, Problems& problems,
                                            ClientPrefixes defaults);

}  // namespace xt::config
