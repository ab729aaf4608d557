// Typed access to the pinned maps of one interface. Everything goes through the pins, so the CLI
// needs no running daemon and sees exactly what the XDP program sees.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "abi.h"
#include "common/fd.hpp"
#include "common/result.hpp"
#include "maps/pin_root_lock.hpp"

struct bpf_object;

namespace xt {

// The fds of every map of one interface, opened from its pin directory.
struct InterfaceMaps {
    std::string iface;
    UniqueFd config, stats, deny_host_table, allow_host_table, deny_hosts, allow_hosts,
        deny4_hosts_cover, deny4_prefix_cover, deny_v4,
        deny_v6, allow_v4, allow_v6, bans, ban_filter, spike, syn, syn_global, floors, top_drops,
        top_pending;
    bool pinned = false;  // opened from the pins (shared with other processes), not from_object()

    static Result<InterfaceMaps> open(std::string_view iface);
    // The maps of a loaded (not attached) xdp_throttle object, fds duplicated: tests and the
    // benchmark fill and read a private copy of the program with the CLI's code. `label` stands in
    // for the interface name in messages.
    static Result<InterfaceMaps> from_object(bpf_object* obj, std::string_view label);

    // The fd of the map named `name` (XT_NAME(...)), -1 when it is none of ours.
    int fd_of(std::string_view name) const;

    // What every change to the maps holds: the pin-root lock for pinned maps; nothing for the
    // private maps of a loaded object, which no other process sees.
    Result<std::optional<PinRootLock>> lock() const;
};

}  // namespace xt
