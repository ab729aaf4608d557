// The rule index (abi.h): presence bits of the rule maps, per-/16 IPv4 deny counts and the ban
// filter. Counts are raised before a rule or ban is added and lowered after it is deleted, so an
// interrupted change leaves them too high (a wasted lookup), never too low (a missed deny or ban).
#include "rule_index.hpp"

#include "host_table.hpp"
#include "maps/config.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace xt::detail {
namespace {

// The slot-count arrays have 65536 slots each.
constexpr uint32_t kSlots = XT_DENY_V4_COVER_SLOTS;  // all three
static_assert(XT_BAN_FILTER_SLOTS == kSlots);
// Beyond this many touched slots, one batch read and write of the whole array beats a lookup and
// an update per slot.
constexpr size_t kBatchThreshold = 512;

Result<bool> has_entries(int fd, std::string_view what) {
    unsigned char key[64];  // larger than any key of ours (xt_lpm_v6: 20 bytes)
    if (bpf_map_get_next_key(fd, nullptr, key) == 0) return true;
    if (errno == ENOENT) return false;
    return failf(errno, "cannot read {}: {}", what, std::strerror(errno));
}

// The /16 slots an IPv4 rule intersects: [first, first + count).
std::pair<uint32_t, uint32_t> slots_of(const Cidr& rule) {
    const uint32_t host = ntohl(rule.addr.w[3]);
    if (rule.prefix_len >= 16) return {host >> 16, 1};
    return {host >> 16, 1u << (16 - rule.prefix_len)};
}

Result<std::vector<uint32_t>> read_slots(const InterfaceMaps& maps, int fd, const char* name) {
    std::vector<uint32_t> keys(kSlots), values(kSlots);
    uint32_t out_batch = 0, count = kSlots;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    const int rc = bpf_map_lookup_batch(fd, nullptr, &out_batch, keys.data(), values.data(), &count,
                                        &opts);
    if ((rc != 0 && errno != ENOENT) || count != kSlots)
        return failf(errno, "{}: cannot read {}: {}", maps.iface, name, std::strerror(errno));
    std::vector<uint32_t> counts(kSlots);
    for (uint32_t i = 0; i < count; ++i) counts[keys[i]] = values[i];
    return counts;
}

Status write_slots(const InterfaceMaps& maps, int fd, const char* name,
                   const std::vector<uint32_t>& counts) {
    std::vector<uint32_t> keys(kSlots);
    for (uint32_t i = 0; i < kSlots; ++i) keys[i] = i;
    uint32_t count = kSlots;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    if (bpf_map_update_batch(fd, keys.data(), counts.data(), &count, &opts) != 0)
        return failf(errno, "{}: cannot write {}: {}", maps.iface, name, std::strerror(errno));
    return {};
}

uint32_t shifted(uint32_t count, int64_t delta) {
    return static_cast<uint32_t>(std::clamp<int64_t>(int64_t{count} + delta, 0, UINT32_MAX));
}

}  // namespace

Result<uint16_t> rule_presence(const InterfaceMaps& maps) {
    const std::pair<int, uint16_t> maps_and_bits[] = {
        {maps.deny_hosts.get(), XT_HAS_DENY_HOSTS_HASH},   {maps.deny_v4.get(), XT_HAS_DENY_V4},
        {maps.deny_v6.get(), XT_HAS_DENY_V6},
        {maps.allow_hosts.get(), XT_HAS_ALLOW_HOSTS_HASH}, {maps.allow_v4.get(), XT_HAS_ALLOW_V4},
        {maps.allow_v6.get(), XT_HAS_ALLOW_V6},
    };
    uint16_t present = 0;
    // A table is an ARRAY, never "empty" to get_next_key: read it (1.5 MB, one batch call).
    for (const auto& [fd, bit] : {std::pair{maps.deny_host_table.get(), XT_HAS_DENY_HOSTS},
                                  std::pair{maps.allow_host_table.get(), XT_HAS_ALLOW_HOSTS}}) {
        auto hosts = XT_TRY(host_table_entries(fd));
        if (!hosts.empty()) present |= bit;
    }
    for (const auto& [fd, bit] : maps_and_bits) {
        auto has = XT_TRY(has_entries(fd, "a rule map"));
        if (has) present |= bit;
    }
    return present;
}

Status SlotDelta::apply(const InterfaceMaps& maps, int fd, const char* name) const {
    if (delta_.size() > kBatchThreshold) {
        auto counts = XT_TRY(read_slots(maps, fd, name));
        for (const auto& [slot, delta] : delta_) counts[slot] = shifted(counts[slot], delta);
        return write_slots(maps, fd, name, counts);
    }
    for (const auto& [slot, delta] : delta_) {
        uint32_t count = 0;
        if (delta == 0) continue;
        if (bpf_map_lookup_elem(fd, &slot, &count) != 0 ||
            (count = shifted(count, delta), bpf_map_update_elem(fd, &slot, &count, BPF_ANY) != 0))
            return failf(errno, "{}: cannot update {}: {}", maps.iface, name, std::strerror(errno));
    }
    return {};
}

void CoverDelta::add(const Cidr& rule, RuleHome home, int delta) {
    if (!rule.v4) return;
    const auto [first, count] = slots_of(rule);
    SlotDelta& slots = home == RuleHome::hosts ? hosts_ : prefixes_;
    for (uint32_t i = 0; i < count; ++i) slots.add(first + i, delta);
}

Status CoverDelta::apply(const InterfaceMaps& maps) const {
    XT_TRY(hosts_.apply(maps, maps.deny4_hosts_cover.get(), XT_NAME(XT_MAP_DENY4_HOSTS_COVER)));
    return prefixes_.apply(maps, maps.deny4_prefix_cover.get(), XT_NAME(XT_MAP_DENY4_PREFIX_COVER));
}

Status BanFilterDelta::apply(const InterfaceMaps& maps) const {
    return slots_.apply(maps, maps.ban_filter.get(), XT_NAME(XT_MAP_BAN_FILTER));
}

// Moves the host rules of one trie (written by an older version, or by hand with bpftool) into the
// list's host table or hash, hits included: rules.cpp then finds every host among the hosts. Hosts
// that fit neither stay in the trie, where the program finds them too.
template <typename Key>
Status migrate_trie_hosts(int trie, int table, int hash, uint32_t host_len,
                          const InterfaceMaps& maps) {
    std::vector<Key> found;
    Key key{}, next{};
    const Key* prev = nullptr;
    while (bpf_map_get_next_key(trie, prev, &next) == 0) {
        if (next.prefixlen == host_len) found.push_back(next);
        key = next;
        prev = &key;
    }
    for (const Key& k : found) {
        xt_ip_rule in_trie{}, in_hash{};
        if (bpf_map_lookup_elem(trie, &k, &in_trie) != 0) continue;
        const xt_addr addr = from_lpm(k).addr;
        auto in_table = XT_TRY(host_table_find(table, addr));
        if (in_table || bpf_map_lookup_elem(hash, &addr, &in_hash) == 0) {
            // Already a host rule too: one rule, the trie copy's hits are not worth a rewrite.
            bpf_map_delete_elem(trie, &k);
            continue;
        }
        const bool stored =
            addr != xt_addr{} && XT_TRY(host_table_insert(table, addr, in_trie.hits));
        if (!stored && bpf_map_update_elem(hash, &addr, &in_trie, BPF_NOEXIST) != 0) {
            if (errno == E2BIG || errno == ENOSPC) return {};  // hash full: the rest stay
            return failf(errno, "{}: cannot move host rule {} out of its trie: {}", maps.iface,
                         format_address(addr), std::strerror(errno));
        }
        bpf_map_delete_elem(trie, &k);
    }
    return {};
}

Status rebuild_rule_index(const InterfaceMaps& maps) {
    struct List {
        int v4, v6, table, hash;
    };
    const List lists[] = {
        {maps.deny_v4.get(), maps.deny_v6.get(), maps.deny_host_table.get(), maps.deny_hosts.get()},
        {maps.allow_v4.get(), maps.allow_v6.get(), maps.allow_host_table.get(),
         maps.allow_hosts.get()},
    };
    for (const List& l : lists) {
        XT_TRY(migrate_trie_hosts<xt_lpm_v4>(l.v4, l.table, l.hash, 32, maps));
        XT_TRY(migrate_trie_hosts<xt_lpm_v6>(l.v6, l.table, l.hash, 128, maps));
    }

    // Count by where each rule sits now.
    std::vector<uint32_t> hosts(kSlots, 0), prefixes(kSlots, 0);
    auto count_in = [](std::vector<uint32_t>& cover, const Cidr& rule) {
        const auto [first, n] = slots_of(rule);
        for (uint32_t i = 0; i < n; ++i) ++cover[first + i];
    };
    {
        auto table = XT_TRY(host_table_entries(maps.deny_host_table.get()));
        for (const auto& [addr, hits] : table)
            if (is_v4_mapped(addr)) count_in(hosts, Cidr{addr, 32, true});
        xt_addr key{}, next{};
        const xt_addr* prev = nullptr;
        while (bpf_map_get_next_key(maps.deny_hosts.get(), prev, &next) == 0) {
            if (is_v4_mapped(next)) count_in(hosts, Cidr{next, 32, true});
            key = next;
            prev = &key;
        }
        if (errno != ENOENT)
            return failf(errno, "{}: cannot list host rules: {}", maps.iface, std::strerror(errno));
    }
    {
        xt_lpm_v4 key{}, next{};
        const xt_lpm_v4* prev = nullptr;
        while (bpf_map_get_next_key(maps.deny_v4.get(), prev, &next) == 0) {
            count_in(prefixes, from_lpm(next));
            key = next;
            prev = &key;
        }
        if (errno != ENOENT)
            return failf(errno, "{}: cannot list IPv4 rules: {}", maps.iface, std::strerror(errno));
    }
    XT_TRY(write_slots(maps, maps.deny4_hosts_cover.get(), XT_NAME(XT_MAP_DENY4_HOSTS_COVER),
                       hosts));
    XT_TRY(write_slots(maps, maps.deny4_prefix_cover.get(), XT_NAME(XT_MAP_DENY4_PREFIX_COVER),
                       prefixes));

    // Every entry of the ban box counts, expired or not: the program lowers the count when it
    // reaps one, the library when it deletes one.
    std::vector<uint32_t> filter(kSlots, 0);
    xt_addr key{}, next{};
    const xt_addr* prev = nullptr;
    while (bpf_map_get_next_key(maps.bans.get(), prev, &next) == 0) {
        ++filter[xt_addr_slot(&next)];
        key = next;
        prev = &key;
    }
    if (errno != ENOENT)
        return failf(errno, "{}: cannot list bans: {}", maps.iface, std::strerror(errno));
    return write_slots(maps, maps.ban_filter.get(), XT_NAME(XT_MAP_BAN_FILTER), filter);
}

Status refresh_rule_index(const InterfaceMaps& maps) {
    XT_TRY(update_config(maps, [](xt_config&) {}));
    return {};
}

}  // namespace xt::detail
