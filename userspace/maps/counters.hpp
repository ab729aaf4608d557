// The counters of one interface: per-CPU stats and the top-drop tallies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "abi.h"
#include "common/result.hpp"
#include "maps/interface_maps.hpp"

namespace xt {

// Per-CPU counters summed over all possible CPUs.
Result<xt_stats> read_stats(const InterfaceMaps& maps);
// The counter members of xt_stats with their JSON/bpftool names, in declaration order.
struct NamedCounter {
    std::string_view name;
    xt_counter counter;
};
std::vector<NamedCounter> named_counters(const xt_stats& stats);
std::string_view verdict_name(uint32_t verdict);

struct TopDropEntry {
    xt_addr source{};
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint32_t last_verdict = 0;
};
// Summed over CPUs, the LRU tallies plus each CPU's pending run (abi.h, struct xt_drop_pending), so
// the counts are exact whenever no packet is being dropped during the read. last_verdict is the
// verdict of the latest drop (by jiffies; ties go to the CPU with more drops). Sorted by packets
// (then bytes) descending, at most `limit` entries.
Result<std::vector<TopDropEntry>> read_top_drops(const InterfaceMaps& maps, size_t limit);

}  // namespace xt
