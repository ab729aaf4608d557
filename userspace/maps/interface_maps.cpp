#include "maps/interface_maps.hpp"

#include <bpf/libbpf.h>
#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "maps/paths.hpp"

namespace xt {
namespace {

// Every map of the program, by name: the one list open() and from_object() walk.
std::vector<PinSlot> slots_of(InterfaceMaps& maps) {
    return {
        {&maps.config, XT_NAME(XT_MAP_CONFIG)},
        {&maps.stats, XT_NAME(XT_MAP_STATS)},
        {&maps.deny_host_table, XT_NAME(XT_MAP_DENY_HOST_TABLE)},
        {&maps.allow_host_table, XT_NAME(XT_MAP_ALLOW_HOST_TABLE)},
        {&maps.deny_hosts, XT_NAME(XT_MAP_DENY_HOSTS)},
        {&maps.allow_hosts, XT_NAME(XT_MAP_ALLOW_HOSTS)},
        {&maps.deny4_hosts_cover, XT_NAME(XT_MAP_DENY4_HOSTS_COVER)},
        {&maps.deny4_prefix_cover, XT_NAME(XT_MAP_DENY4_PREFIX_COVER)},
        {&maps.deny_v4, XT_NAME(XT_MAP_DENY_V4)},
        {&maps.deny_v6, XT_NAME(XT_MAP_DENY_V6)},
        {&maps.allow_v4, XT_NAME(XT_MAP_ALLOW_V4)},
        {&maps.allow_v6, XT_NAME(XT_MAP_ALLOW_V6)},
        {&maps.bans, XT_NAME(XT_MAP_BANS)},
        {&maps.ban_filter, XT_NAME(XT_MAP_BAN_FILTER)},
        {&maps.spike, XT_NAME(XT_MAP_SPIKE)},
        {&maps.syn, XT_NAME(XT_MAP_SYN)},
        {&maps.syn_global, XT_NAME(XT_MAP_SYN_GLOBAL)},
        {&maps.floors, XT_NAME(XT_MAP_FLOORS)},
        {&maps.top_drops, XT_NAME(XT_MAP_TOP_DROPS)},
        {&maps.top_pending, XT_NAME(XT_MAP_TOP_PENDING)},
    };
}

}  // namespace

Result<InterfaceMaps> InterfaceMaps::from_object(bpf_object* obj, std::string_view label) {
    InterfaceMaps maps;
    maps.iface = std::string(label);
    for (const auto& slot : slots_of(maps)) {
        const bpf_map* map = bpf_object__find_map_by_name(obj, slot.name);
        if (!map) return failf(ErrorKind::not_found, "{}: the object has no map {}", label, slot.name);
        const int fd = fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0);
        if (fd < 0) return failf(errno, "{}: dup of map {}: {}", label, slot.name, std::strerror(errno));
        *slot.fd = UniqueFd(fd);
    }
    return maps;
}

Result<InterfaceMaps> InterfaceMaps::open(std::string_view iface) {
    InterfaceMaps maps;
    maps.iface = std::string(iface);
    maps.pinned = true;
    XT_TRY(open_pins(iface, PinSet::interface, slots_of(maps)));
    return maps;
}

int InterfaceMaps::fd_of(std::string_view name) const {
    // slots_of only takes addresses of members; nothing is written through them here.
    for (const auto& slot : slots_of(const_cast<InterfaceMaps&>(*this)))
        if (name == slot.name) return slot.fd->get();
    return -1;
}

Result<std::optional<PinRootLock>> InterfaceMaps::lock() const {
    if (!pinned) return std::optional<PinRootLock>{};
    return std::optional<PinRootLock>{XT_TRY(PinRootLock::acquire())};
}

}  // namespace xt
