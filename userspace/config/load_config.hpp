// Loading a KrakenD-shaped configuration. Loading only reads and validates: nothing is applied,
// so an invalid file can never half-apply. Every problem names its JSON path and what was expected:
//   $.endpoints[3].extra_config["qos/ratelimit/router"].max_rate: expected a number, got string "ten"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/gateway_config.hpp"
#include "common/result.hpp"

namespace xt::config {

// All problems found in one pass (not just the first), or the config with its ignored namespaces
// and warnings. `config` is meaningful only when `problems` is empty.
struct CheckReport {
    std::vector<std::string> problems;
    Config config;
    bool ok() const { return problems.empty(); }
};

// For `xdp-throttle check-config FILE`.
CheckReport check_config(const std::string& path);
CheckReport check_config_text(std::string_view json_text, std::string source = "<string>");

// The error message lists every problem, one per line.
Result<Config> load_config(const std::string& path);
Result<Config> parse_config(std::string_view json_text, std::string source = "<string>");

}  // namespace xt::config
