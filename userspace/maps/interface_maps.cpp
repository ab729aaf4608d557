#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "maps/maps.hpp"
#include "maps/paths.hpp"
#include "rule_index.hpp"

namespace xt {
namespace {

Result<UniqueFd> open_pin(const std::filesystem::path& dir, const char* name) {
    const auto path = dir / name;
    const int fd = bpf_obj_get(path.c_str());
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT)
            return failf(err, "{}: map missing (was xdp-throttle attached to this interface with "
                              "this version? re-attach it, or detach --purge first)", path.string());
        return failf(err, "{}: cannot open pinned map: {}", path.string(), std::strerror(err));
    }
    return UniqueFd(fd);
}

struct Slot {
    UniqueFd* fd;
    const char* name;
};

// Every map of the program, by name: the one list open() and from_object() walk.
std::vector<Slot> slots_of(InterfaceMaps& maps) {
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
        if (!map) return failf(ENOENT, "{}: the object has no map {}", label, slot.name);
        const int fd = fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0);
        if (fd < 0) return failf(errno, "{}: dup of map {}: {}", label, slot.name, std::strerror(errno));
        *slot.fd = UniqueFd(fd);
    }
    return maps;
}

Result<InterfaceMaps> InterfaceMaps::open(std::string_view iface) {
    if (auto ok = validate_ifname(iface); !ok) return tl::unexpected(ok.error());
    const auto dir = pin_dir(iface);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return failf(ENOENT, "no xdp-throttle state for interface {} ({} does not exist; run "
                             "'xdp-throttle attach {}' first)", iface, dir.string(), iface);
    InterfaceMaps maps;
    maps.iface = std::string(iface);
    for (const auto& slot : slots_of(maps)) {
        auto fd = open_pin(dir, slot.name);
        if (!fd) return tl::unexpected(fd.error());
        *slot.fd = std::move(*fd);
    }
    return maps;
}

xt_config default_config() {
    xt_config config{};
    config.flags = XT_CFG_TRACK_TOP;
    config.spike_prefix_v4 = 24;
    config.spike_prefix_v6 = 64;
    return config;
}

Result<xt_config> read_config(const InterfaceMaps& maps) {
    const uint32_t key = 0;
    xt_config config{};
    if (bpf_map_lookup_elem(maps.config.get(), &key, &config) != 0)
        return failf(errno, "{}: cannot read config: {}", maps.iface, std::strerror(errno));
    return config;
}

Status write_config(const InterfaceMaps& maps, const xt_config& config) {
    auto stored = read_config(maps);
    if (!stored) return tl::unexpected(stored.error());
    if (!(stored->flags & XT_CFG_INDEXED))
        if (auto ok = detail::rebuild_rule_index(maps); !ok) return ok;
    auto present = detail::rule_presence(maps);
    if (!present) return tl::unexpected(present.error());
    xt_config indexed = config;
    indexed.flags |= XT_CFG_INDEXED;
    indexed.present = *present;
    const uint32_t key = 0;
    if (bpf_map_update_elem(maps.config.get(), &key, &indexed, BPF_ANY) != 0)
        return failf(errno, "{}: cannot write config: {}", maps.iface, std::strerror(errno));
    return {};
}

}  // namespace xt
