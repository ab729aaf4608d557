// libbpf and libxdp print warnings to stderr on their own, including expected ones (libxdp probing
// the dispatcher on a kernel that refuses freplace). We capture them instead, show them only with
// XDP_THROTTLE_DEBUG=1, and append the tail of the log to load errors where it explains the cause.
#pragma once

#include <string>

namespace xt::detail {

void install_library_log();
// The captured text since the last call (and forgets it).
std::string take_library_log();
// The last `max_lines` non-empty lines, joined by "\n  ".
std::string library_log_tail(const std::string& log, size_t max_lines);

}  // namespace xt::detail
