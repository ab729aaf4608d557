// Per-CPU maps: a lookup returns one value per possible CPU, each padded to 8 bytes.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "xdp_throttle/maps.hpp"

namespace xt {
namespace {

Result<int> possible_cpus() {
    const int n = libbpf_num_possible_cpus();
    if (n <= 0) return failf(-n, "cannot count possible CPUs: {}", std::strerror(-n));
    return n;
}

template <typename T>
constexpr size_t percpu_stride() {
    return (sizeof(T) + 7) / 8 * 8;
}

template <typename T>
const T& per_cpu(const std::vector<unsigned char>& buf, int cpu) {
    return *reinterpret_cast<const T*>(buf.data() + static_cast<size_t>(cpu) * percpu_stride<T>());
}

void add(xt_counter& into, const xt_counter& c) {
    into.packets += c.packets;
    into.bytes += c.bytes;
}

}  // namespace

std::string_view verdict_name(uint32_t verdict) {
    switch (verdict) {
        case XT_PASS: return "passed";
        case XT_DROP_MALFORMED: return "malformed";
        case XT_DROP_IP_DENY: return "ip_deny";
        case XT_DROP_NOT_ALLOWED: return "not_allowed";
        case XT_DROP_BANNED: return "banned";
        case XT_DROP_SPIKE: return "spike";
        case XT_DROP_SYN_SOURCE: return "syn_source";
        case XT_DROP_SYN_GLOBAL: return "syn_global";
        default: return "unknown";
    }
}

std::vector<NamedCounter> named_counters(const xt_stats& stats) {
    std::vector<NamedCounter> out{{"seen", stats.seen}};
    const xt_counter* by_verdict = &stats.passed;  // abi.h: verdict order after `seen`
    for (uint32_t v = 0; v < XT_VERDICT_COUNT; ++v) out.push_back({verdict_name(v), by_verdict[v]});
    return out;
}

Result<xt_stats> read_stats(const InterfaceMaps& maps) {
    auto cpus = possible_cpus();
    if (!cpus) return tl::unexpected(cpus.error());
    std::vector<unsigned char> buf(static_cast<size_t>(*cpus) * percpu_stride<xt_stats>());
    const uint32_t key = 0;
    if (bpf_map_lookup_elem(maps.stats.get(), &key, buf.data()) != 0)
        return failf(errno, "{}: cannot read counters: {}", maps.iface, std::strerror(errno));
    xt_stats total{};
    for (int cpu = 0; cpu < *cpus; ++cpu) {
        const auto& s = per_cpu<xt_stats>(buf, cpu);
        xt_counter* into = &total.seen;
        const xt_counter* from = &s.seen;
        for (size_t i = 0; i < sizeof(xt_stats) / sizeof(xt_counter); ++i) add(into[i], from[i]);
    }
    return total;
}

Result<std::vector<TopDropEntry>> read_top_drops(const InterfaceMaps& maps, size_t limit) {
    auto cpus = possible_cpus();
    if (!cpus) return tl::unexpected(cpus.error());
    std::vector<unsigned char> buf(static_cast<size_t>(*cpus) * percpu_stride<xt_drop_tally>());
    std::vector<TopDropEntry> out;
    xt_addr key{}, next{};
    const xt_addr* prev = nullptr;
    const int fd = maps.top_drops.get();
    // An LRU evicts while we walk; a vanished cursor restarts the walk from the first key, so the
    // walk is bounded and duplicates are dropped below.
    size_t steps = 0;
    while (steps++ < 2 * XT_TOP_DROPS_MAX && bpf_map_get_next_key(fd, prev, &next) == 0) {
        if (bpf_map_lookup_elem(fd, &next, buf.data()) == 0) {
            TopDropEntry entry;
            entry.source = next;
            uint64_t busiest = 0;
            for (int cpu = 0; cpu < *cpus; ++cpu) {
                const auto& t = per_cpu<xt_drop_tally>(buf, cpu);
                entry.packets += t.packets;
                entry.bytes += t.bytes;
                // The tally has no timestamp; the CPU that dropped most of this source's packets
                // is the best guess at why it is being dropped now.
                if (t.packets > busiest) {
                    busiest = t.packets;
                    entry.last_verdict = t.last_verdict;
                }
            }
            if (entry.packets > 0) out.push_back(entry);
        }
        key = next;
        prev = &key;
    }
    if (steps <= 2 * XT_TOP_DROPS_MAX && errno != ENOENT)
        return failf(errno, "{}: cannot read top drops: {}", maps.iface, std::strerror(errno));
    auto by_source = [](const TopDropEntry& a, const TopDropEntry& b) {
        return std::memcmp(a.source.w, b.source.w, sizeof a.source.w) < 0;
    };
    std::sort(out.begin(), out.end(), by_source);
    out.erase(std::unique(out.begin(), out.end(),
                          [](const TopDropEntry& a, const TopDropEntry& b) { return a.source == b.source; }),
              out.end());
    std::sort(out.begin(), out.end(), [](const TopDropEntry& a, const TopDropEntry& b) {
        if (a.packets != b.packets) return a.packets > b.packets;
        if (a.bytes != b.bytes) return a.bytes > b.bytes;
        return std::memcmp(a.source.w, b.source.w, sizeof a.source.w) < 0;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
}

}  // namespace xt
