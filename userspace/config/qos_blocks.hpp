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
// The same block under its 1.x name "github.com/devopsfaith/krakend-circuitbreaker/gobreaker", read
// as krakend-circuitbreaker's ConfigGetter reads it: no schema applies to that name, so unknown
// keys are ignored (krakend-ce's own 1.x examples spell "maxErrors"), a missing or non-numeric
// field is 0 and a fraction is truncated. All zero: no breaker (KrakenD's ZeroCfg).
std::optional<CircuitBreaker> parse_legacy_circuit_breaker(const json& block, const JsonPath& at,
                                                           Problems& problems);
// security/bot-detector (scope service or endpoint)
std::optional<BotDetector> parse_bot_detector(const json& block, const JsonPath& at,
                                              Problems& problems);

}  // namespace xt::config
