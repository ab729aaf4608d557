#include "discovery/target.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "input/address.hpp"

namespace xt::discovery {

bool operator==(const Target& a, const Target& b) { return a.port == b.port && a.addr == b.addr; }

bool operator<(const Target& a, const Target& b) {
    if (const int c = std::memcmp(&a.addr, &b.addr, sizeof a.addr); c != 0) return c < 0;
    return a.port < b.port;
}

std::string format_target(const Target& t) {
    const std::string a = format_address(t.addr);
    return is_v4_mapped(t.addr) ? fmt::format("{}:{}", a, t.port) : fmt::format("[{}]:{}", a, t.port);
}

std::string format_targets(const std::vector<Target>& set) {
    if (set.empty()) return "(none)";
    std::string out;
    for (const auto& t : set) out += (out.empty() ? "" : ", ") + format_target(t);
    return out;
}

void normalize(std::vector<Target>& set) {
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
}

}  // namespace xt::discovery
