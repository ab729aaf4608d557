#include <bpf/bpf.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/ranges.h>

#include "rule_index.hpp"
#include "maps/bans.hpp"
#include "maps/config.hpp"
#include "maps/tables.hpp"

namespace xt {
namespace {

// Iterates the ban hash, calling fn(address, ban) for every entry still present.
template <typename Fn>
Status for_each_ban(const InterfaceMaps& maps, Fn&& fn) {
    xt_addr key{}, next{};
    const xt_addr* prev = nullptr;
    while (bpf_map_get_next_key(maps.bans.get(), prev, &next) == 0) {
        xt_ban ban{};
        if (bpf_map_lookup_elem(maps.bans.get(), &next, &ban) == 0) fn(next, ban);
        key = next;
        prev = &key;
    }
    if (errno != ENOENT)
        return failf(errno, "{}: cannot list bans: {}", maps.iface, std::strerror(errno));
    return {};
}

// The error of an add_bans call that found the ban box full: every refused address counted,
// the first few named, and what the operator can do.
tl::unexpected<Error> refused_bans(const InterfaceMaps& maps, const std::vector<xt_addr>& refused,
                                   size_t asked) {
    const auto size = map_max_entries(maps.bans.get(), "the ban box");
    std::vector<std::string> named;
    for (size_t i = 0; i < refused.size() && i < 3; ++i) named.push_back(format_address(refused[i]));
    if (refused.size() > named.size()) named.push_back("...");
    return failf(ErrorKind::unsupported,
                 "{}: the ban box is full ({} bans): {} of {} address{} refused ({}), {} banned; no "
                 "ban is ever dropped to make room: lift some with 'xdp-throttle ban del' or wait "
                 "for bans to expire",
                 maps.iface, size ? std::to_string(*size) : "?", refused.size(), asked,
                 asked == 1 ? "" : "es", fmt::join(named, ", "), asked - refused.size());
}

}  // namespace

uint64_t program_clock_ns(const xt_config& config) {
    if (config.clock_override_ns != 0) return config.clock_override_ns;
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);  // what bpf_ktime_get_ns() reads
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string_view ban_origin_name(uint32_t origin) {
    switch (origin) {
        case XT_BAN_BY_OPERATOR: return "operator";
        case XT_BAN_BY_CONTROLLER: return "controller";
        default: return "unknown";
    }
}

std::string ban_reason(const xt_ban& ban) {
    return std::string(ban.reason, strnlen(ban.reason, sizeof ban.reason));
}

Status add_bans(const InterfaceMaps& maps, std::span<const xt_addr> addresses, uint64_t duration_ns,
                std::string_view reason, xt_ban_origin origin) {
    if (reason.size() > XT_BAN_REASON_LEN)
        return failf(ErrorKind::invalid_input, "ban reason '{}' is longer than {} bytes", reason, XT_BAN_REASON_LEN);
    const auto lock = XT_TRY(maps.lock());
    const xt_config config = XT_TRY(read_config(maps));
    const uint64_t now = program_clock_ns(config);
    xt_ban ban{};
    ban.created_ns = now;
    ban.deadline_ns = duration_ns > UINT64_MAX - now ? UINT64_MAX : now + duration_ns;
    ban.origin = origin;
    std::memcpy(ban.reason, reason.data(), reason.size());
    // Count every address in the filter before its ban exists (abi.h: too high is the safe side),
    // then take back the count of each address that was banned already or could not be banned.
    detail::BanFilterDelta raise, lower;
    for (const xt_addr& addr : addresses) raise.add(addr, +1);
    XT_TRY(raise.apply(maps));
    Status result;
    std::vector<xt_addr> refused;  // the ban box was full: refused, never another ban dropped
    size_t i = 0;
    for (; i < addresses.size(); ++i) {
        const xt_addr& addr = addresses[i];
        // Re-banning an address replaces its deadline and reason (the operator's latest word) but
        // keeps its hit counter. It succeeds in a full box too: the kernel swaps the entry in place.
        xt_ban old{};
        xt_ban value = ban;
        const bool existed = bpf_map_lookup_elem(maps.bans.get(), &addr, &old) == 0;
        if (existed) value.hits = old.hits;
        if (bpf_map_update_elem(maps.bans.get(), &addr, &value, BPF_ANY) != 0) {
            const int err = errno;
            if (err == E2BIG) {  // a plain hash (maps.h): full is refused, nothing evicted
                refused.push_back(addr);
                lower.add(addr, -1);
                continue;
            }
            result = failf(err, "{}: cannot ban on {}: {}", format_address(addr), maps.iface,
                           std::strerror(err));
            break;
        }
        if (existed) lower.add(addr, -1);
    }
    for (; i < addresses.size(); ++i) lower.add(addresses[i], -1);
    XT_TRY(lower.apply(maps));
    if (result && !refused.empty()) result = refused_bans(maps, refused, addresses.size());
    return result;
}

Status delete_bans(const InterfaceMaps& maps, std::span<const xt_addr> addresses) {
    const auto lock = XT_TRY(maps.lock());
    for (const xt_addr& addr : addresses) {
        xt_ban ban{};
        if (bpf_map_lookup_elem(maps.bans.get(), &addr, &ban) != 0)
            return failf(ErrorKind::not_found, "{}: not banned on {}; nothing was deleted", format_address(addr),
                         maps.iface);
    }
    detail::BanFilterDelta lower;
    Status result;
    for (const xt_addr& addr : addresses) {
        if (bpf_map_delete_elem(maps.bans.get(), &addr) == 0) {
            lower.add(addr, -1);
        } else if (errno != ENOENT) {
            result = failf(errno, "{}: cannot delete ban: {}", format_address(addr),
                           std::strerror(errno));
            break;
        }
    }
    XT_TRY(lower.apply(maps));
    return result;
}

Result<bool> is_banned(const InterfaceMaps& maps, const xt_addr& address) {
    xt_ban ban{};
    if (bpf_map_lookup_elem(maps.bans.get(), &address, &ban) != 0) {
        if (errno == ENOENT) return false;
        return failf(errno, "{}: cannot look up a ban: {}", maps.iface, std::strerror(errno));
    }
    const xt_config config = XT_TRY(read_config(maps));
    return ban.deadline_ns > program_clock_ns(config);
}

Result<std::vector<BanEntry>> list_bans(const InterfaceMaps& maps) {
    const xt_config config = XT_TRY(read_config(maps));
    const uint64_t now = program_clock_ns(config);
    std::vector<BanEntry> out;
    XT_TRY(for_each_ban(maps, [&](const xt_addr& addr, const xt_ban& ban) {
        if (ban.deadline_ns > now) out.push_back({addr, ban});
    }));
    std::sort(out.begin(), out.end(), [](const BanEntry& a, const BanEntry& b) {
        return a.ban.deadline_ns < b.ban.deadline_ns;
    });
    return out;
}

Result<size_t> reap_expired_bans(const InterfaceMaps& maps) {
    const auto lock = XT_TRY(maps.lock());
    const xt_config config = XT_TRY(read_config(maps));
    const uint64_t now = program_clock_ns(config);
    std::vector<xt_addr> expired;
    XT_TRY(for_each_ban(maps, [&](const xt_addr& addr, const xt_ban& ban) {
        if (ban.deadline_ns <= now) expired.push_back(addr);
    }));
    size_t reaped = 0;
    detail::BanFilterDelta lower;
    for (const xt_addr& addr : expired)
        if (bpf_map_delete_elem(maps.bans.get(), &addr) == 0) {
            ++reaped;
            lower.add(addr, -1);
        }
    XT_TRY(lower.apply(maps));
    return reaped;
}

}  // namespace xt
