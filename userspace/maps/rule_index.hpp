// The rule index (abi.h, XT_CFG_INDEXED): which rule maps hold entries, how many IPv4 deny rules
// intersect each /16, how many bans hash to each filter slot. Private to userspace/maps:
// rules.cpp and bans.cpp keep it current, write_config publishes it.
#pragma once

#include <cstdint>
#include <map>

#include "input/address.hpp"
#include "maps/interface_maps.hpp"

namespace xt::detail {

// enum xt_present_bits of the rule maps as they are now.
Result<uint16_t> rule_presence(const InterfaceMaps& maps);

// Builds the index from the maps as they are: moves host rules found in a trie into the host hash
// (an older version put them there), then recounts the deny covers and XT_MAP_BAN_FILTER and
// writes them whole.
Status rebuild_rule_index(const InterfaceMaps& maps);

// Pending changes to one of the slot-count arrays (ARRAY of __u32: the deny covers,
// XT_MAP_BAN_FILTER), applied in one pass; counts clamp at 0 and UINT32_MAX.
class SlotDelta {
public:
    void add(uint32_t slot, int delta) { delta_[slot] += delta; }
    bool empty() const { return delta_.empty(); }
    Status apply(const InterfaceMaps& maps, int fd, const char* name) const;

private:
    std::map<uint32_t, int64_t> delta_;  // slot -> change
};

// Where a rule sits: among its list's hosts (table or hash) or in its trie (abi.h).
enum class RuleHome { hosts, trie };

// The deny covers: a rule counts in every /16 it intersects, in the cover of the map it sits in;
// IPv6 rules do not count.
class CoverDelta {
public:
    void add(const Cidr& rule, RuleHome home, int delta);
    Status apply(const InterfaceMaps& maps) const;

private:
    SlotDelta hosts_, prefixes_;
};

// XT_MAP_BAN_FILTER: a ban counts in the slot of its address (abi.h, xt_addr_slot).
class BanFilterDelta {
public:
    void add(const xt_addr& addr, int delta) { slots_.add(xt_addr_slot(&addr), delta); }
    Status apply(const InterfaceMaps& maps) const;

private:
    SlotDelta slots_;
};

// Re-publishes the index in the config (read_config + write_config) after a rule change.
Status refresh_rule_index(const InterfaceMaps& maps);

}  // namespace xt::detail
