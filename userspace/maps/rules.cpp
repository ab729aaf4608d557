// Allow/deny rules. A list is up to four maps (abi.h): exact hosts (/32, /128) in a host table
// (host_table.hpp), the hosts its full buckets cannot take in a hash keyed by xt_addr, shorter
// prefixes (and hosts that fit nowhere else) in an LPM trie per family. Callers see one list; this
// file routes each rule and keeps the rule index (rule_index.hpp) in step. LPM tries have no batch
// update on this kernel: one syscall per rule (docs/PERFORMANCE.md has what that costs).
#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "host_table.hpp"
#include "rule_index.hpp"
#include "maps/rules.hpp"

namespace xt {
namespace {

struct ListMaps {
    int table, hash, v4, v6;
};

ListMaps list_maps(const InterfaceMaps& maps, RuleList list) {
    return list == RuleList::deny
               ? ListMaps{maps.deny_host_table.get(), maps.deny_hosts.get(), maps.deny_v4.get(),
                          maps.deny_v6.get()}
               : ListMaps{maps.allow_host_table.get(), maps.allow_hosts.get(),
                          maps.allow_v4.get(), maps.allow_v6.get()};
}

bool is_host(const Cidr& cidr) { return cidr.prefix_len == (cidr.v4 ? 32u : 128u); }

bool is_zero(const xt_addr& addr) { return addr == xt_addr{}; }

// Calls `fn(fd, key_ptr)` with the trie and trie key of the rule: where every prefix lives, and a
// host that fit nowhere else or was written by an older version or by hand.
template <typename Fn>
int with_trie_key(const ListMaps& m, const Cidr& cidr, Fn&& fn) {
    if (cidr.v4) {
        const xt_lpm_v4 key = to_lpm_v4(cidr);
        return fn(m.v4, &key);
    }
    const xt_lpm_v6 key = to_lpm_v6(cidr);
    return fn(m.v6, &key);
}

// Whether the trie holds exactly this key. An LPM lookup returns the longest rule covering the key,
// maybe a shorter one; get_next_key is exact instead: for a key it holds it returns the key's
// successor (or ENOENT after the last), for any other key it restarts at the first key, which is
// never a successor.
template <typename Key>
bool trie_holds(int fd, const Key& key) {
    Key first{}, after{};
    if (bpf_map_get_next_key(fd, nullptr, &first) != 0) return false;  // empty
    if (bpf_map_get_next_key(fd, &key, &after) != 0) return errno == ENOENT;
    return std::memcmp(&after, &first, sizeof first) != 0;
}

bool in_trie(const ListMaps& m, const Cidr& cidr) {
    return with_trie_key(m, cidr, [&](int fd, const void* key) {
               return (cidr.v4 ? trie_holds(fd, *static_cast<const xt_lpm_v4*>(key))
                               : trie_holds(fd, *static_cast<const xt_lpm_v6*>(key)))
                          ? 0
                          : -1;
           }) == 0;
}

// A host in its table or its hash.
Result<bool> in_hosts(const ListMaps& m, const xt_addr& addr) {
    if (!is_zero(addr)) {
        auto found = XT_TRY(detail::host_table_find(m.table, addr));
        if (found) return true;
    }
    xt_ip_rule value{};
    return bpf_map_lookup_elem(m.hash, &addr, &value) == 0;
}

Result<bool> rule_exists(const ListMaps& m, const Cidr& cidr) {
    if (is_host(cidr)) {
        auto found = in_hosts(m, cidr.addr);
        if (!found || *found) return found;
    }
    return in_trie(m, cidr);
}

// A new host rule (not in the list yet) into its table, else its hash. `full`: both are full for
// it, the caller puts it in the trie.
enum class HostInsert { stored, full };
Result<HostInsert> insert_host(const ListMaps& m, const xt_addr& addr) {
    if (!is_zero(addr)) {  // :: marks a free table slot, so it can only live in the hash
        auto stored = XT_TRY(detail::host_table_insert(m.table, addr, 0));
        if (stored) return HostInsert::stored;
    }
    const xt_ip_rule zero{};
    if (bpf_map_update_elem(m.hash, &addr, &zero, BPF_NOEXIST) == 0) return HostInsert::stored;
    if (errno == E2BIG || errno == ENOSPC) return HostInsert::full;
    return failf(errno, "cannot store host rule {}: {}", format_address(addr), std::strerror(errno));
}

int insert_in_trie(const ListMaps& m, const Cidr& cidr) {
    const xt_ip_rule zero{};
    return with_trie_key(m, cidr, [&](int fd, const void* key) {
        return bpf_map_update_elem(fd, key, &zero, BPF_NOEXIST);
    });
}

// Deletes the rule wherever it sits and reports where it was (a host may sit in two places: its
// table or hash, and a trie copy left by an older version).
struct Deleted {
    bool hosts = false, trie = false;
};
Status delete_rule(const ListMaps& m, const Cidr& cidr, Deleted& where) {
    if (is_host(cidr)) {
        if (!is_zero(cidr.addr)) {
            auto erased = XT_TRY(detail::host_table_erase(m.table, cidr.addr));
            where.hosts = erased;
        }
        if (bpf_map_delete_elem(m.hash, &cidr.addr) == 0)
            where.hosts = true;
        else if (errno != ENOENT)
            return failf(errno, "{}", std::strerror(errno));
    }
    if (with_trie_key(m, cidr, [](int fd, const void* key) { return bpf_map_delete_elem(fd, key); }) == 0)
        where.trie = true;
    else if (errno != ENOENT)
        return failf(errno, "{}", std::strerror(errno));
    return {};
}

bool cidr_less(const Cidr& a, const Cidr& b) {
    if (a.v4 != b.v4) return a.v4;
    const int c = std::memcmp(a.addr.w, b.addr.w, sizeof a.addr.w);
    if (c != 0) return c < 0;
    return a.prefix_len < b.prefix_len;
}

Cidr host_cidr(const xt_addr& addr) {
    Cidr cidr;
    cidr.addr = addr;
    cidr.v4 = is_v4_mapped(addr);
    cidr.prefix_len = cidr.v4 ? 32 : 128;
    return cidr;
}

template <typename Key, typename ToCidr>
Status collect(int fd, std::vector<RuleEntry>& out, std::string_view what, ToCidr&& to_cidr) {
    Key key{}, next{};
    const Key* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        xt_ip_rule value{};
        // A rule deleted between the two calls is simply skipped.
        if (bpf_map_lookup_elem(fd, &next, &value) == 0) out.push_back({to_cidr(next), value.hits});
        key = next;
        prev = &key;
    }
    if (errno != ENOENT) return failf(errno, "cannot list {}: {}", what, std::strerror(errno));
    return {};
}

}  // namespace

std::string_view rule_list_name(RuleList list) { return list == RuleList::deny ? "deny" : "allow"; }

Result<AddOutcome> add_rules(const InterfaceMaps& maps, RuleList list, std::span<const Cidr> rules) {
    using detail::RuleHome;
    const auto lock = XT_TRY(maps.lock());
    const ListMaps m = list_maps(maps, list);
    const bool deny = list == RuleList::deny;
    auto home = [](const Cidr& cidr) { return is_host(cidr) ? RuleHome::hosts : RuleHome::trie; };
    // Raise the per-/16 counts first: until the rules are in, a count too high costs a lookup.
    detail::CoverDelta raise, lower;
    if (deny) {
        for (const Cidr& cidr : rules) raise.add(cidr, home(cidr), +1);
        XT_TRY(raise.apply(maps));
    }
    std::vector<const Cidr*> added;
    AddOutcome outcome;
    std::optional<Error> failure;  // the first one, kind and errno kept; nothing stays applied after it
    auto fail_with = [&](const Cidr& cidr, Error error) {
        const char* hint = error.code == ENOSPC || error.code == E2BIG ? " (the list is full)" : "";
        error.message = fmt::format("{}: cannot add to the {} list of {}: {}{}; nothing was applied",
                                    format_cidr(cidr), rule_list_name(list), maps.iface, error.message,
                                    hint);
        failure = std::move(error);
    };
    for (const Cidr& cidr : rules) {
        auto exists = rule_exists(m, cidr);
        if (!exists) {
            fail_with(cidr, exists.error());
            break;
        }
        if (*exists) {
            ++outcome.already_present;
            lower.add(cidr, home(cidr), -1);
            continue;
        }
        bool to_trie = !is_host(cidr);
        if (!to_trie) {
            auto stored = insert_host(m, cidr.addr);
            if (!stored) {
                fail_with(cidr, stored.error());
                break;
            }
            if (*stored == HostInsert::full) {
                // Table bucket and hash are full: the trie finds the host too. Count it there
                // before it lands there, and no longer among the hosts.
                to_trie = true;
                detail::CoverDelta spill;
                spill.add(cidr, RuleHome::trie, +1);
                if (deny)
                    XT_TRY(spill.apply(maps));
                lower.add(cidr, RuleHome::hosts, -1);
            }
        }
        if (to_trie && insert_in_trie(m, cidr) != 0) {
            const int err = errno;
            fail_with(cidr, Error{err, std::strerror(err)});
            break;
        }
        added.push_back(&cidr);
        ++outcome.added;
    }
    if (failure) {
        for (const Cidr* undo : added) {
            Deleted gone;
            (void)delete_rule(m, *undo, gone);
        }
        if (deny) {
            // Nothing stayed: take back the whole raise. A spilled host's trie count stays, too
            // high: the safe side.
            detail::CoverDelta undo_raise;
            for (const Cidr& cidr : rules) undo_raise.add(cidr, home(cidr), -1);
            XT_TRY(undo_raise.apply(maps));
        }
    } else if (deny) {
        XT_TRY(lower.apply(maps));
    }
    XT_TRY(detail::refresh_rule_index(maps));
    if (failure) return tl::unexpected(std::move(*failure));
    return outcome;
}

Status delete_rules(const InterfaceMaps& maps, RuleList list, std::span<const Cidr> rules) {
    const auto lock = XT_TRY(maps.lock());
    const ListMaps m = list_maps(maps, list);
    for (const Cidr& cidr : rules) {
        auto exists = XT_TRY(rule_exists(m, cidr));
        if (!exists)
            return failf(ErrorKind::not_found, "{}: not in the {} list of {}; nothing was deleted",
                         format_cidr(cidr), rule_list_name(list), maps.iface);
    }
    detail::CoverDelta lower;
    std::optional<Error> failure;  // the first one, kind and errno kept
    for (const Cidr& cidr : rules) {
        Deleted gone;
        auto ok = delete_rule(m, cidr, gone);
        // Lower the counts only for what is gone.
        if (gone.hosts) lower.add(cidr, detail::RuleHome::hosts, -1);
        if (gone.trie) lower.add(cidr, detail::RuleHome::trie, -1);
        if (!ok) {
            failure = reword("{}: cannot delete from the {} list of {}: {}", format_cidr(cidr),
                             rule_list_name(list), maps.iface)(ok.error());
            break;
        }
    }
    if (list == RuleList::deny)
        XT_TRY(lower.apply(maps));
    XT_TRY(detail::refresh_rule_index(maps));
    if (failure) return tl::unexpected(std::move(*failure));
    return {};
}

Result<std::vector<RuleEntry>> list_rules(const InterfaceMaps& maps, RuleList list) {
    const ListMaps m = list_maps(maps, list);
    std::vector<RuleEntry> out;
    auto from_v4 = [](const xt_lpm_v4& k) { return from_lpm(k); };
    auto from_v6 = [](const xt_lpm_v6& k) { return from_lpm(k); };
    auto table = XT_TRY(detail::host_table_entries(m.table));
    for (const auto& [addr, hits] : table) out.push_back({host_cidr(addr), hits});
    XT_TRY(collect<xt_addr>(m.hash, out, "host rules", host_cidr));
    XT_TRY(collect<xt_lpm_v4>(m.v4, out, "IPv4 rules", from_v4));
    XT_TRY(collect<xt_lpm_v6>(m.v6, out, "IPv6 rules", from_v6));
    std::sort(out.begin(), out.end(),
              [](const RuleEntry& a, const RuleEntry& b) { return cidr_less(a.cidr, b.cidr); });
    // A host rule both in its hash and (written by an older version) in a trie is one rule.
    std::vector<RuleEntry> merged;
    for (const RuleEntry& e : out) {
        if (!merged.empty() && merged.back().cidr == e.cidr)
            merged.back().hits += e.hits;
        else
            merged.push_back(e);
    }
    return merged;
}

}  // namespace xt
