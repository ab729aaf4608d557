// What a loaded config enforces where, as `check-config --json` prints it ("enforced"): one entry
// per (scope, namespace) block that loads, so an operator can diff it against what KrakenD
// enforced. The shape is documented in the check-config help text (tools/verbs.cpp) and README.
//
//   {"json_path": "$.endpoints[0].extra_config[\"qos/ratelimit/router\"]",
//    "scope": "endpoint", "method": "GET", "endpoint": "/users/{id}", "route": "/users/:id",
//    "namespace": "qos/ratelimit/router",
//    "shared": {"max_rate": 10, "every": "1s", "capacity": 10, "status": 503},
//    "client": {"strategy": "ip", "key": "", "max_rate": 2, "every": "1s", "capacity": 2,
//               "status": 429},
//    "krakend_differs": []}
#pragma once

#include <nlohmann/json.hpp>

#include "config/gateway_config.hpp"

namespace xt::config {

nlohmann::json enforcement_json(const Config& config);

// `unenforceable_backends` as JSON: [{"json_path", "reason", "dropped": [namespaces]}].
nlohmann::json unenforceable_json(const Config& config);

}  // namespace xt::config
