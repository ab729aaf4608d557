// Parsers of qos/circuit-breaker and security/bot-detector (qos_blocks.cpp). Internal to the config
// loader.
#pragma once

#include <optional>

#include "json_fields.hpp"
#include "config/gateway_config.hpp"

namespace xt::config {

// qos/circuit-breaker (scope backend)
std::optional<CircuitBreaker> parse_circuit_breaker(const json& block, const JsonPath& at,
                                                    Problems& problems);
// security/bot-detector (scope service or endpoint)
std::optional<BotDetector> parse_bot_detector(const json& block, const JsonPath& at,
                                              Problems& problems);

}  // namespace xt::config
