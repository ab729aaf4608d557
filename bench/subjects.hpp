// The programs bench/progrun measures and the map contents each is measured with.
#pragma once

#include <cstdint>
#include <string>

#include "abi.h"
#include "bpf_support.hpp"
#include "maps/bans.hpp"
#include "maps/config.hpp"
#include "maps/counters.hpp"
#include "maps/interface_maps.hpp"
#include "maps/rules.hpp"
#include "common/result.hpp"

namespace xt::bench {

// Sources of the test packets. None of them is covered by a random rule.
struct BenchAddresses {
    // In no rule, not banned, and no deny rule lies in its /16: the per-/16 deny counts (abi.h)
    // let the program skip the host and prefix lookups. The best case of the pass path.
    const char* pass_src = "198.51.100.7";
    // In no rule, not banned, but its /16 holds deny prefixes (Population::neighbour_rules): the
    // pass path walks the LPM trie to find that none covers it. What a source pays in a /16 that
    // a blocklist touches.
    const char* covered_src = "198.18.7.7";
    const char* deny_src = "203.0.113.9";   // a /32 deny rule
    const char* ban_src = "192.0.2.33";     // in xt_bans with a deadline an hour ahead
    const char* dst = "10.0.0.1";
};

struct Population {
    int deny_prefixes = 10'000;     // IPv4 deny rules in total, the deny_src /32 included
    int shortest_prefix = 16;       // random rules are /shortest_prefix../32 (32: hosts only)
    int tracked_sources = 100'000;  // xt_spike entries written before the run
    int bans = 1'000;               // xt_bans entries, the ban_src included
    // Two deny prefixes in covered_src's /16 that do not cover it (counted in deny_prefixes).
    bool neighbour_rules = true;
};

// The per-/16 IPv4 deny counts of one address's /16 (abi.h: XT_MAP_DENY4_*_COVER).
struct DenyCover {
    uint32_t hosts = 0;
    uint32_t prefixes = 0;
};

// One loaded xdp_throttle.bpf.o with its maps filled per Population through the library's typed
// map access (the CLI's code path). The program is never attached, only test-run, so nothing
// outside this process sees it.
class ThrottleSubject {
public:
    static Result<ThrottleSubject> load(const std::string& object_path, const Population& pop);

    int prog_fd() const { return prog_fd_; }
    Status write_config(const xt_config& cfg) const { return xt::write_config(maps_, cfg); }
    // Packets counted under verdict v, summed over CPUs.
    Result<uint64_t> verdict_packets(xt_verdict v) const;
    // What the program reads to decide whether `ipv4`'s /16 needs the host and prefix lookups.
    Result<DenyCover> deny_cover(const char* ipv4) const;

private:
    ObjectPtr obj_;
    InterfaceMaps maps_;  // dup'ed fds of obj_'s maps
    int prog_fd_ = -1;
};

struct Stages {
    bool spike = true;
    bool syn = true;
    bool syn_global = true;
    bool track_top = true;
    bool coarse_clock = false;       // XT_CFG_COARSE_CLOCK (opt-in in production)
    uint64_t clock_override_ns = 0;  // 0: the real clock, as in production
};
// The attach-time default configuration with the chosen stages on and limits far above what a
// benchmark run sends, so every packet of the pass path passes every stage (and pays for each).
Result<xt_config> bench_config(const Stages& stages);

// xdp-filter's installed program (xdpfilt_<policy>_<features>.o), loaded the way `xdp-filter load`
// + `xdp-filter ip ADDR --mode src` leave it: the source in filter_ipv4 with the source flag, among
// `entries` addresses in total (its map holds at most 10,000).
class XdpFilterSubject {
public:
    static Result<XdpFilterSubject> load(const std::string& object_path, const char* deny_src,
                                         int entries);
    int prog_fd() const { return prog_fd_; }

private:
    ObjectPtr obj_;
    int prog_fd_ = -1;
};

}  // namespace xt::bench
