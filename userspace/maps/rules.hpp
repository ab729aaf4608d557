// Allow/deny rules of one interface: one list per kind, whatever maps hold it (abi.h).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "input/address.hpp"
#include "maps/interface_maps.hpp"

namespace xt {

enum class RuleList { deny, allow };
std::string_view rule_list_name(RuleList list);

struct RuleEntry {
    Cidr cidr;
    uint64_t hits = 0;
};

// /32 and /128 rules go to the host tables (the host hashes when a table bucket is full), shorter
// prefixes to the LPM tries (abi.h); callers see one list either way. Every change updates the
// rule index (write_config) and holds maps.lock().
// All or nothing: when one update fails (a full map), the rules this call added are removed again.
// Rules already present are kept as they are (their hit counters survive).
struct AddOutcome {
    size_t added = 0;
    size_t already_present = 0;
};
Result<AddOutcome> add_rules(const InterfaceMaps& maps, RuleList list, std::span<const Cidr> rules);
// Refuses (and deletes nothing) when one of the rules is not in the list.
Status delete_rules(const InterfaceMaps& maps, RuleList list, std::span<const Cidr> rules);
// Sorted: IPv4 before IPv6, then by address and prefix length.
Result<std::vector<RuleEntry>> list_rules(const InterfaceMaps& maps, RuleList list);

}  // namespace xt
