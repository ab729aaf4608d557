// Per-CPU maps: a lookup returns one value per possible CPU, each padded to 8 bytes.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "maps/counters.hpp"

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
    // Gateway mode: where passing frames went (abi.h); zero in host mode.
    out.push_back({"redirected", stats.redirected});
    out.push_back({"to_controller", stats.to_controller});
    return out;
}

Result<xt_stats> read_stats(const InterfaceMaps& maps) {
    const int cpus = XT_TRY(possible_cpus());
    std::vector<unsigned char> buf(static_cast<size_t>(cpus) * percpu_stride<xt_stats>());
    const uint32_t key = 0;
    if (bpf_map_lookup_elem(maps.stats.get(), &key, buf.data()) != 0)
        return failf(errno, "{}: cannot read counters: {}", maps.iface, std::strerror(errno));
    xt_stats total{};
    for (int cpu = 0; cpu < cpus; ++cpu) {
        const auto& s = per_cpu<xt_stats>(buf, cpu);
        xt_counter* into = &total.seen;
        const xt_counter* from = &s.seen;
        for (size_t i = 0; i < sizeof(xt_stats) / sizeof(xt_counter); ++i) add(into[i], from[i]);
    }
    return total;
}

namespace {

// One source's tally being summed: the latest drop decides last_verdict.
struct TallySum {
    TopDropEntry entry;
    uint32_t latest_jiffies = 0;
    uint64_t latest_packets = 0;  // of the slot that set last_verdict, to break jiffies ties
    bool any = false;

    void add(const xt_drop_tally& t) {
        if (t.packets == 0) return;
        entry.packets += t.packets;
        entry.bytes += t.bytes;
        // Wrap-safe "later than": the low 32 bits of jiffies wrap every ~49 days at HZ=1000.
        const auto ahead = static_cast<int32_t>(t.last_jiffies - latest_jiffies);
        if (!any || ahead > 0 || (ahead == 0 && t.packets > latest_packets)) {
            entry.last_verdict = t.last_verdict;
            latest_jiffies = t.last_jiffies;
            latest_packets = t.packets;
        }
        any = true;
    }
};

struct AddrLess {
    bool operator()(const xt_addr& a, const xt_addr& b) const {
        return std::memcmp(a.w, b.w, sizeof a.w) < 0;
    }
};

}  // namespace

Result<std::vector<TopDropEntry>> read_top_drops(const InterfaceMaps& maps, size_t limit) {
    const int cpus = XT_TRY(possible_cpus());
    std::map<xt_addr, TallySum, AddrLess> sums;

    // Each CPU's pending run first (abi.h, struct xt_drop_pending): not yet in the LRU.
    std::vector<unsigned char> pending(static_cast<size_t>(cpus) * percpu_stride<xt_drop_pending>());
    const uint32_t zero = 0;
    if (bpf_map_lookup_elem(maps.top_pending.get(), &zero, pending.data()) != 0)
        return failf(errno, "{}: cannot read pending drop tallies: {}", maps.iface,
                     std::strerror(errno));
    for (int cpu = 0; cpu < cpus; ++cpu) {
        const auto& p = per_cpu<xt_drop_pending>(pending, cpu);
        if (p.tally.packets == 0) continue;
        TallySum& sum = sums[p.source];
        sum.entry.source = p.source;
        sum.add(p.tally);
    }

    std::vector<unsigned char> buf(static_cast<size_t>(cpus) * percpu_stride<xt_drop_tally>());
    xt_addr key{}, next{};
    const xt_addr* prev = nullptr;
    const int fd = maps.top_drops.get();
    // An LRU evicts while we walk; a vanished cursor restarts the walk from the first key, so the
    // walk is bounded and a source seen twice is summed once.
    std::set<xt_addr, AddrLess> walked;
    size_t steps = 0;
    while (steps++ < 2 * XT_TOP_DROPS_MAX && bpf_map_get_next_key(fd, prev, &next) == 0) {
        if (walked.insert(next).second && bpf_map_lookup_elem(fd, &next, buf.data()) == 0) {
            TallySum& sum = sums[next];
            sum.entry.source = next;
            for (int cpu = 0; cpu < cpus; ++cpu) sum.add(per_cpu<xt_drop_tally>(buf, cpu));
        }
        key = next;
        prev = &key;
    }
    if (steps <= 2 * XT_TOP_DROPS_MAX && errno != ENOENT)
        return failf(errno, "{}: cannot read top drops: {}", maps.iface, std::strerror(errno));

    std::vector<TopDropEntry> out;
    for (const auto& [source, sum] : sums)
        if (sum.entry.packets > 0) out.push_back(sum.entry);
    std::sort(out.begin(), out.end(), [](const TopDropEntry& a, const TopDropEntry& b) {
        if (a.packets != b.packets) return a.packets > b.packets;
        if (a.bytes != b.bytes) return a.bytes > b.bytes;
        return std::memcmp(a.source.w, b.source.w, sizeof a.source.w) < 0;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
}

}  // namespace xt
