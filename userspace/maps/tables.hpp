// Fill levels of the kernel tables of one interface (`xdp-throttle status`): how many entries each
// map holds against its size, and what the kernel charges for it. Every table is walked entry by
// entry (batched reads; an LPM trie key by key), so the cost is bounded by the tables' sizes, not by
// the traffic: a fraction of a second for full tables at the default sizes. The program is never
// slowed (reads take no lock it uses), but a table that changes during the walk is counted as it
// was somewhere in between.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "maps/gateway_maps.hpp"
#include "maps/interface_maps.hpp"

namespace xt {

struct TableFill {
    std::string table;         // what status calls it: "spike", "syn", "floors", "bans", ...
    std::string map;           // the map's name (abi.h)
    uint64_t entries = 0;      // floors: slots holding a debt that is still ahead of now
    uint64_t max_entries = 0;  // the map's size, as created
    uint64_t memlock_bytes = 0;  // the kernel's memory charge for the map (fdinfo "memlock")
};

// The data plane's tables, in the order status prints them; the gateway's bypass table when
// `gateway` is given.
Result<std::vector<TableFill>> read_table_fill(const InterfaceMaps& maps, const GatewayMaps* gateway);

// A map's size as created (bpf_map_info.max_entries): what "full" means for it.
Result<uint32_t> map_max_entries(int fd, std::string_view what);

// The size an operator chose for a table, applied when its map is created (`attach --size`).
struct TableSize {
    std::string table;  // status's name: "spike", "bans", ...
    std::string map;    // the map's name (abi.h)
    uint32_t entries = 0;
};
inline constexpr uint32_t kMinTableSize = 1024;
inline constexpr uint32_t kMaxTableSize = 1u << 26;
// "TABLE=N" for a table whose size may be chosen: spike, syn, bans, deny_hosts, allow_hosts,
// deny_v4, deny_v6, allow_v4, allow_v6, top_drops, bypass; N in [kMinTableSize, kMaxTableSize].
// The others are tied to the 16-bit slot hash (floors, the host tables, the ban filter) or to the
// 65,536 IPv4 /16s, or hold one entry. `option` names where the text came from ("--size").
Result<TableSize> parse_table_size(std::string_view option, std::string_view text);
// Whether the size of the map `map` (its name) may be chosen.
bool table_resizable(std::string_view map);
// The size of the map `map` pinned for `iface`; nullopt when it has no such pin.
Result<std::optional<uint32_t>> pinned_map_size(std::string_view iface, std::string_view map);

}  // namespace xt
