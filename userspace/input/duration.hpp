// Durations as KrakenD writes them: Go's time.ParseDuration syntax ("250ms", "10s", "1m30s", "1.5h",
// units ns, us/µs, ms, s, m, h). Negative durations are refused: nothing here can last less than 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace xt {

Result<uint64_t> parse_duration_ns(std::string_view text);

// The shortest exact spelling in the largest whole unit: 1500000000 -> "1500ms", 60e9 -> "1m".
std::string format_duration(uint64_t ns);

}  // namespace xt
