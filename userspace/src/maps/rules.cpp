// Allow/deny LPM tries. LPM tries have no batch update on this kernel; one update is ~1-2 us, so
// 100,000 rules load in well under a second one by one.
#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "xdp_throttle/maps.hpp"

namespace xt {
namespace {

struct ListMaps {
    int v4, v6;
};

ListMaps list_maps(const InterfaceMaps& maps, RuleList list) {
    return list == RuleList::deny ? ListMaps{maps.deny_v4.get(), maps.deny_v6.get()}
                                  : ListMaps{maps.allow_v4.get(), maps.allow_v6.get()};
}

// Calls `fn(fd, key_ptr)` with the LPM key of `cidr`.
template <typename Fn>
int with_key(const ListMaps& m, const Cidr& cidr, Fn&& fn) {
    if (cidr.v4) {
        const xt_lpm_v4 key = to_lpm_v4(cidr);
        return fn(m.v4, &key);
    }
    const xt_lpm_v6 key = to_lpm_v6(cidr);
    return fn(m.v6, &key);
}

bool rule_exists(const ListMaps& m, const Cidr& cidr) {
    xt_ip_rule value{};
    return with_key(m, cidr, [&](int fd, const void* key) {
               return bpf_map_lookup_elem(fd, key, &value);
           }) == 0;
}

int delete_rule(const ListMaps& m, const Cidr& cidr) {
    return with_key(m, cidr, [](int fd, const void* key) { return bpf_map_delete_elem(fd, key); });
}

bool cidr_less(const Cidr& a, const Cidr& b) {
    if (a.v4 != b.v4) return a.v4;
    const int c = std::memcmp(a.addr.w, b.addr.w, sizeof a.addr.w);
    if (c != 0) return c < 0;
    return a.prefix_len < b.prefix_len;
}

template <typename Key>
Status collect(int fd, std::vector<RuleEntry>& out, std::string_view what) {
    Key key{}, next{};
    const Key* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        xt_ip_rule value{};
        // A rule deleted between the two calls is simply skipped.
        if (bpf_map_lookup_elem(fd, &next, &value) == 0) out.push_back({from_lpm(next), value.hits});
        key = next;
        prev = &key;
    }
    if (errno != ENOENT) return failf(errno, "cannot list {}: {}", what, std::strerror(errno));
    return {};
}

}  // namespace

std::string_view rule_list_name(RuleList list) { return list == RuleList::deny ? "deny" : "allow"; }

Result<AddOutcome> add_rules(const InterfaceMaps& maps, RuleList list, std::span<const Cidr> rules) {
    const ListMaps m = list_maps(maps, list);
    std::vector<const Cidr*> added;
    AddOutcome outcome;
    for (const Cidr& cidr : rules) {
        const xt_ip_rule zero{};
        const int rc = with_key(m, cidr, [&](int fd, const void* key) {
            return bpf_map_update_elem(fd, key, &zero, BPF_NOEXIST);
        });
        if (rc == 0) {
            added.push_back(&cidr);
            ++outcome.added;
            continue;
        }
        const int err = errno;
        if (err == EEXIST) {
            ++outcome.already_present;
            continue;
        }
        for (const Cidr* undo : added) delete_rule(m, *undo);
        const char* hint = err == ENOSPC || err == E2BIG ? " (the list is full)" : "";
        return failf(err, "{}: cannot add to the {} list of {}: {}{}; nothing was applied",
                     format_cidr(cidr), rule_list_name(list), maps.iface, std::strerror(err), hint);
    }
    return outcome;
}

Status delete_rules(const InterfaceMaps& maps, RuleList list, std::span<const Cidr> rules) {
    const ListMaps m = list_maps(maps, list);
    for (const Cidr& cidr : rules)
        if (!rule_exists(m, cidr))
            return failf(ENOENT, "{}: not in the {} list of {}; nothing was deleted",
                         format_cidr(cidr), rule_list_name(list), maps.iface);
    for (const Cidr& cidr : rules)
        if (delete_rule(m, cidr) != 0 && errno != ENOENT)
            return failf(errno, "{}: cannot delete from the {} list of {}: {}", format_cidr(cidr),
                         rule_list_name(list), maps.iface, std::strerror(errno));
    return {};
}

Result<std::vector<RuleEntry>> list_rules(const InterfaceMaps& maps, RuleList list) {
    const ListMaps m = list_maps(maps, list);
    std::vector<RuleEntry> out;
    if (auto ok = collect<xt_lpm_v4>(m.v4, out, "IPv4 rules"); !ok) return tl::unexpected(ok.error());
    if (auto ok = collect<xt_lpm_v6>(m.v6, out, "IPv6 rules"); !ok) return tl::unexpected(ok.error());
    std::sort(out.begin(), out.end(),
              [](const RuleEntry& a, const RuleEntry& b) { return cidr_less(a.cidr, b.cidr); });
    return out;
}

}  // namespace xt
