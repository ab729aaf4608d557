// Bans of one interface. Bans must be written through these functions: they keep
// XT_MAP_BAN_FILTER (abi.h) in step, and the program does not look up a ban the filter does not
// count. Every change holds maps.lock().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "common/result.hpp"
#include "maps/interface_maps.hpp"

namespace xt {

// "Now" on the XDP program's clock: CLOCK_MONOTONIC (bpf_ktime_get_ns), or the injected test clock
// when config.clock_override_ns is set.
uint64_t program_clock_ns(const xt_config& config);

struct BanEntry {
    xt_addr address{};
    xt_ban ban{};
};
// Bans every address it can. When the ban box (a plain hash of XT_BANS_MAX entries) is full, the
// new addresses are refused and the error counts and names them; an existing ban is never dropped
// to make room, and re-banning an address already banned still works.
Status add_bans(const InterfaceMaps& maps, std::span<const xt_addr> addresses, uint64_t duration_ns,
                std::string_view reason, xt_ban_origin origin);
// Refuses (and deletes nothing) when one of the addresses is not banned.
Status delete_bans(const InterfaceMaps& maps, std::span<const xt_addr> addresses);
// Whether `address` has an unexpired ban now.
Result<bool> is_banned(const InterfaceMaps& maps, const xt_addr& address);
// Unexpired bans only, soonest deadline first.
Result<std::vector<BanEntry>> list_bans(const InterfaceMaps& maps);
// Removes expired entries (they no longer match in the kernel, but occupy slots). Returns how many.
Result<size_t> reap_expired_bans(const InterfaceMaps& maps);
std::string_view ban_origin_name(uint32_t origin);
std::string ban_reason(const xt_ban& ban);

}  // namespace xt
