// Parser of the "xdp-throttle" namespace (own_namespace.cpp). Internal to the config loader.
#pragma once

#include "json_fields.hpp"
#include "config/gateway_config.hpp"

namespace xt::config {

// "xdp-throttle" (scope service); fields with problems keep their defaults.
GatewaySettings parse_own_namespace(const json& block, const JsonPath& at, Problems& problems);

}  // namespace xt::config
