// Typed access to the pinned maps of one interface. Everything goes through the pins, so the CLI
// needs no running daemon and sees exactly what the XDP program sees.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "common/fd.hpp"
#include "input/address.hpp"
#include "common/result.hpp"

struct bpf_object;

namespace xt {

// The fds of every map of one interface, opened from its pin directory.
struct InterfaceMaps {
    std::string iface;
    UniqueFd config, stats, deny_host_table, allow_host_table, deny_hosts, allow_hosts,
        deny4_hosts_cover, deny4_prefix_cover, deny_v4,
        deny_v6, allow_v4, allow_v6, bans, ban_filter, spike, syn, syn_global, top_drops, top_pending;

    static Result<InterfaceMaps> open(std::string_view iface);
    // The maps of a loaded (not attached) xdp_throttle object, fds duplicated: tests and the
    // benchmark fill and read a private copy of the program with the CLI's code. `label` stands in
    // for the interface name in messages.
    static Result<InterfaceMaps> from_object(bpf_object* obj, std::string_view label);
};

// ---- config ----------------------------------------------------------------------------------
// The settings a freshly attached interface starts with: deny policy, top-drop tracking on, spike
// prefixes /24 and /64, every limit off.
xt_config default_config();
Result<xt_config> read_config(const InterfaceMaps& maps);
// Writes `config` with the rule index fields set by the library: XT_CFG_INDEXED and `present`
// (which rule maps hold entries; abi.h). The first write that finds no XT_CFG_INDEXED in the stored
// config (fresh maps, maps of an older version, a config written by bpftool) rebuilds the per-/16
// deny counts and the ban filter from the maps. Callers hold the pin-directory lock, like every rule change.
Status write_config(const InterfaceMaps& maps, const xt_config& config);

// ---- allow/deny rules ------------------------------------------------------------------------
enum class RuleList { deny, allow };
std::string_view rule_list_name(RuleList list);

struct RuleEntry {
    Cidr cidr;
    uint64_t hits = 0;
};

// /32 and /128 rules go to the host tables (the host hashes when a table bucket is full), shorter
// prefixes to the LPM tries (abi.h); callers see one list either way. Every change updates the rule index (write_config).
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

// ---- bans ------------------------------------------------------------------------------------
// Bans must be written through these functions: they keep XT_MAP_BAN_FILTER (abi.h) in step, and
// the program does not look up a ban the filter does not count.
// "Now" on the XDP program's clock: CLOCK_MONOTONIC (bpf_ktime_get_ns), or the injected test clock
// when config.clock_override_ns is set.
uint64_t program_clock_ns(const xt_config& config);

struct BanEntry {
    xt_addr address{};
    xt_ban ban{};
};
Status add_bans(const InterfaceMaps& maps, std::span<const xt_addr> addresses, uint64_t duration_ns,
                std::string_view reason, xt_ban_origin origin);
// Refuses (and deletes nothing) when one of the addresses is not banned.
Status delete_bans(const InterfaceMaps& maps, std::span<const xt_addr> addresses);
// Unexpired bans only, soonest deadline first.
Result<std::vector<BanEntry>> list_bans(const InterfaceMaps& maps);
// Removes expired entries (they no longer match in the kernel, but occupy slots). Returns how many.
Result<size_t> reap_expired_bans(const InterfaceMaps& maps);
std::string_view ban_origin_name(uint32_t origin);
std::string ban_reason(const xt_ban& ban);

// ---- counters --------------------------------------------------------------------------------
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
