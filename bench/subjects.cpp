#include "subjects.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "input/address.hpp"
#include "common/rate.hpp"

namespace xt::bench {
namespace {

uint32_t prefix_mask(uint32_t len) {
    return len == 0 ? 0 : ~uint32_t(0) << (32 - len);
}

uint32_t host_ipv4(const char* text) {
    in_addr a{};
    inet_pton(AF_INET, text, &a);
    return ntohl(a.s_addr);
}

std::string dotted(uint32_t host) {
    return fmt::format("{}.{}.{}.{}", host >> 24, (host >> 16) & 0xff, (host >> 8) & 0xff,
                       host & 0xff);
}

// Whether addr/len covers one of the test sources, or lies in (or covers) pass_src's /16, which
// must hold no deny rule at all.
bool covers_test_address(uint32_t addr, uint32_t len = 32) {
    const BenchAddresses a;
    for (const char* t : {a.pass_src, a.covered_src, a.deny_src, a.ban_src})
        if (((addr ^ host_ipv4(t)) & prefix_mask(len)) == 0) return true;
    return ((addr ^ host_ipv4(a.pass_src)) & prefix_mask(std::min(len, 16u))) == 0;
}

// Deny prefixes in covered_src's /16 that do not cover it: a /24 below it and a /20 above it.
std::vector<std::pair<uint32_t, uint32_t>> neighbour_rules() {
    const uint32_t slash16 = host_ipv4(BenchAddresses{}.covered_src) & prefix_mask(16);
    return {{slash16 | 0x0000u, 24}, {slash16 | 0x8000u, 20}};
}

// Fixed seed: every run measures the same tries and tables.
std::mt19937& rng() {
    static std::mt19937 generator(20240601);
    return generator;
}

// Prefix lengths shortest../32: by default /16../32, the spread of a real blocklist; /32 only to
// compare with xdp-filter, which knows nothing but host addresses.
Result<std::vector<Cidr>> random_deny_rules(int count, uint32_t shortest, const char* deny_src,
                                            bool with_neighbours) {
    std::uniform_int_distribution<uint32_t> len_dist(shortest, 32), addr_dist;
    std::set<std::pair<uint32_t, uint32_t>> rules{{host_ipv4(deny_src), 32}};
    if (with_neighbours)
        for (const auto& rule : neighbour_rules()) rules.insert(rule);
    while (static_cast<int>(rules.size()) < count) {
        const uint32_t len = len_dist(rng());
        const uint32_t addr = addr_dist(rng()) & prefix_mask(len);
        if (!covers_test_address(addr, len)) rules.emplace(addr, len);
    }
    std::vector<Cidr> cidrs;
    cidrs.reserve(rules.size());
    for (const auto& [addr, len] : rules) {
        auto cidr = parse_cidr(fmt::format("{}/{}", dotted(addr), len));
        if (!cidr) return tl::unexpected(cidr.error());
        cidrs.push_back(*cidr);
    }
    return cidrs;
}

std::vector<uint32_t> random_sources(int count) {
    std::uniform_int_distribution<uint32_t> addr_dist;
    std::set<uint32_t> out;
    while (static_cast<int>(out.size()) < count) {
        const uint32_t addr = addr_dist(rng());
        if (!covers_test_address(addr)) out.insert(addr);
    }
    return {out.begin(), out.end()};
}

// The controller has no "pre-fill" operation (buckets are born in the kernel on a source's first
// packet), so the 100,000 tracked sources are written directly: recently seen, full buckets.
Status fill_spike_sources(int fd, int count) {
    const xt_source_buckets recently_seen{{monotonic_ns()}, {0}};
    for (uint32_t addr : random_sources(count)) {
        auto key = parse_address(dotted(addr));
        if (!key) return tl::unexpected(key.error());
        if (bpf_map_update_elem(fd, &*key, &recently_seen, BPF_NOEXIST) != 0)
            return failf(errno, "cannot pre-fill {}: {}", XT_NAME(XT_MAP_SPIKE),
                         std::strerror(errno));
    }
    return {};
}

}  // namespace

Result<ThrottleSubject> ThrottleSubject::load(const std::string& object_path,
                                              const Population& pop) {
    auto obj = load_object_file(object_path);
    if (!obj) return tl::unexpected(obj.error());
    ThrottleSubject s;
    s.obj_ = std::move(*obj);
    auto prog = program_fd(s.obj_.get(), XT_PROG_NAME);
    if (!prog) return tl::unexpected(prog.error());
    s.prog_fd_ = *prog;
    auto maps = InterfaceMaps::from_object(s.obj_.get(), "bench");
    if (!maps) return tl::unexpected(maps.error());
    s.maps_ = std::move(*maps);
    if (auto st = s.write_config(default_config()); !st) return tl::unexpected(st.error());

    const BenchAddresses a;
    if (pop.deny_prefixes > 0) {
        auto rules = random_deny_rules(pop.deny_prefixes,
                                       static_cast<uint32_t>(pop.shortest_prefix), a.deny_src,
                                       pop.neighbour_rules);
        if (!rules) return tl::unexpected(rules.error());
        auto added = add_rules(s.maps_, RuleList::deny, *rules);
        if (!added) return tl::unexpected(added.error());
    }
    if (pop.tracked_sources > 0)
        if (auto st = fill_spike_sources(s.maps_.spike.get(), pop.tracked_sources); !st)
            return tl::unexpected(st.error());
    if (pop.bans > 0) {
        std::vector<xt_addr> banned;
        for (uint32_t addr : random_sources(pop.bans - 1))
            banned.push_back(*parse_address(dotted(addr)));
        banned.push_back(*parse_address(a.ban_src));
        constexpr uint64_t kHour = 3600ull * 1'000'000'000ull;
        if (auto st = add_bans(s.maps_, banned, kHour, "bench", XT_BAN_BY_OPERATOR); !st)
            return tl::unexpected(st.error());
    }
    return s;
}

Result<uint64_t> ThrottleSubject::verdict_packets(xt_verdict v) const {
    auto stats = read_stats(maps_);
    if (!stats) return tl::unexpected(stats.error());
    // abi.h: the members after `seen` are the verdict counters in enum xt_verdict order.
    return (&stats->passed)[v].packets;
}

Result<DenyCover> ThrottleSubject::deny_cover(const char* ipv4) const {
    uint32_t slot = host_ipv4(ipv4) >> 16;  // abi.h: index = the first 16 bits of the address
    DenyCover cover;
    if (bpf_map_lookup_elem(maps_.deny4_hosts_cover.get(), &slot, &cover.hosts) != 0 ||
        bpf_map_lookup_elem(maps_.deny4_prefix_cover.get(), &slot, &cover.prefixes) != 0)
        return failf(errno, "cannot read the deny covers of {}: {}", ipv4, std::strerror(errno));
    return cover;
}

Result<xt_config> bench_config(const Stages& stages) {
    // 10 Mpps per source and globally, burst 10^9: a test run of 10^6 packets never empties a
    // bucket yet every bucket is read, checked and advanced for every packet.
    auto generous = make_rate(10'000'000, 1'000'000'000, 1'000'000'000);
    if (!generous) return tl::unexpected(generous.error());
    xt_config cfg = default_config();
    cfg.flags = stages.track_top ? (cfg.flags | XT_CFG_TRACK_TOP) : (cfg.flags & ~XT_CFG_TRACK_TOP);
    cfg.clock_override_ns = stages.clock_override_ns;
    if (stages.coarse_clock) cfg.flags |= XT_CFG_COARSE_CLOCK;
    cfg.spike = stages.spike ? *generous : rate_off();
    cfg.syn = stages.syn ? *generous : rate_off();
    cfg.syn_global = stages.syn_global ? *generous : rate_off();
    return cfg;
}

Result<XdpFilterSubject> XdpFilterSubject::load(const std::string& object_path,
                                                const char* deny_src, int entries) {
    auto obj = load_object_file(object_path);
    if (!obj) return tl::unexpected(obj.error());
    XdpFilterSubject s;
    s.obj_ = std::move(*obj);
    auto prog = program_fd(s.obj_.get());
    auto filter = map_fd(s.obj_.get(), "filter_ipv4");
    if (!prog) return tl::unexpected(prog.error());
    if (!filter) return tl::unexpected(filter.error());
    s.prog_fd_ = *prog;

    // xdp-filter's filter_ipv4: PERCPU_HASH, key the address as it is in the header (network
    // order), value a per-CPU u64 of MAP_FLAG_* bits (hit counter above bit 6). MAP_FLAG_SRC = 1.
    constexpr uint64_t kMapFlagSrc = 1;
    const std::vector<uint64_t> value(static_cast<size_t>(possible_cpus()), kMapFlagSrc);
    std::vector<uint32_t> addrs = random_sources(entries - 1);
    addrs.push_back(host_ipv4(deny_src));
    for (uint32_t addr : addrs) {
        const uint32_t key = htonl(addr);
        if (bpf_map_update_elem(*filter, &key, value.data(), BPF_ANY) != 0)
            return failf(errno, "cannot write xdp-filter's filter_ipv4: {}", std::strerror(errno));
    }
    return s;
}

}  // namespace xt::bench
