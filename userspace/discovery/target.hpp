// One address a backend is reached at on the wire: the flow's destination address and port.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "abi.h"
#include "input/address.hpp"

namespace xt::discovery {

struct Target {
    xt_addr addr{};
    uint16_t port = 0;
};

bool operator==(const Target& a, const Target& b);
using xt::operator==;  // xt_addr's, which the line above would hide in this namespace
bool operator<(const Target& a, const Target& b);

// "10.0.0.2:80", "[2001:db8::1]:80".
std::string format_target(const Target& t);
// "10.0.0.2:80, 10.0.0.3:80"; "(none)" for an empty set.
std::string format_targets(const std::vector<Target>& set);

// Sorted, without duplicates: the canonical form every set is kept and compared in.
void normalize(std::vector<Target>& set);

}  // namespace xt::discovery
