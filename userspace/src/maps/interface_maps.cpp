#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "xdp_throttle/maps.hpp"
#include "xdp_throttle/paths.hpp"

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

}  // namespace

Result<InterfaceMaps> InterfaceMaps::open(std::string_view iface) {
    if (auto ok = validate_ifname(iface); !ok) return tl::unexpected(ok.error());
    const auto dir = pin_dir(iface);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return failf(ENOENT, "no xdp-throttle state for interface {} ({} does not exist; run "
                             "'xdp-throttle attach {}' first)", iface, dir.string(), iface);
    InterfaceMaps maps;
    maps.iface = std::string(iface);
    struct Slot {
        UniqueFd* fd;
        const char* name;
    };
    const Slot slots[] = {
        {&maps.config, XT_NAME(XT_MAP_CONFIG)},       {&maps.stats, XT_NAME(XT_MAP_STATS)},
        {&maps.deny_v4, XT_NAME(XT_MAP_DENY_V4)},     {&maps.deny_v6, XT_NAME(XT_MAP_DENY_V6)},
        {&maps.allow_v4, XT_NAME(XT_MAP_ALLOW_V4)},   {&maps.allow_v6, XT_NAME(XT_MAP_ALLOW_V6)},
        {&maps.bans, XT_NAME(XT_MAP_BANS)},           {&maps.spike, XT_NAME(XT_MAP_SPIKE)},
        {&maps.syn, XT_NAME(XT_MAP_SYN)},             {&maps.syn_global, XT_NAME(XT_MAP_SYN_GLOBAL)},
        {&maps.top_drops, XT_NAME(XT_MAP_TOP_DROPS)},
    };
    for (const auto& slot : slots) {
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
    const uint32_t key = 0;
    if (bpf_map_update_elem(maps.config.get(), &key, &config, BPF_ANY) != 0)
        return failf(errno, "{}: cannot write config: {}", maps.iface, std::strerror(errno));
    return {};
}

}  // namespace xt
