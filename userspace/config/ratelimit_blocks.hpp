// Parsers of the qos/ratelimit blocks (ratelimit_blocks.cpp). Internal to the config loader; like
// every block parser, each returns nothing (and records why in `problems`) when the block is unusable.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "json_fields.hpp"
#include "config/gateway_config.hpp"

namespace xt::config {

// qos/ratelimit/router (scope endpoint; `placeholders` are the endpoint's, for strategy param)
std::optional<RateLimit> parse_router_limit(const json& block, const JsonPath& at, Problems& problems,
                                            const std::vector<std::string>& placeholders);
// qos/ratelimit/service (scope service: no placeholders, so no strategy param)
std::optional<RateLimit> parse_service_limit(const json& block, const JsonPath& at,
                                             Problems& problems);
// qos/ratelimit/proxy (scope backend)
std::optional<TokenRate> parse_proxy_limit(const json& block, const JsonPath& at, Problems& problems);

}  // namespace xt::config
