#include "maps/config.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include "maps/paths.hpp"
#include "rule_index.hpp"

namespace xt {

xt_config default_config() {
    xt_config config{};
    config.flags = XT_CFG_TRACK_TOP;
    config.spike_prefix_v4 = 24;
    config.spike_prefix_v6 = 64;
    return config;
}

namespace {

Result<xt_config> lookup_config(int fd, std::string_view iface) {
    const uint32_t key = 0;
    xt_config config{};
    if (bpf_map_lookup_elem(fd, &key, &config) != 0)
        return failf(errno, "{}: cannot read config: {}", iface, std::strerror(errno));
    return config;
}

}  // namespace

Result<xt_config> read_config(const InterfaceMaps& maps) {
    return lookup_config(maps.config.get(), maps.iface);
}

std::optional<xt_config> read_pinned_config(std::string_view iface) {
    UniqueFd fd;
    const PinSlot slot{&fd, XT_NAME(XT_MAP_CONFIG)};
    if (!open_pins(iface, PinSet::interface, {&slot, 1})) return std::nullopt;
    auto config = lookup_config(fd.get(), iface);
    return config ? std::optional<xt_config>(*config) : std::nullopt;
}

Status write_config(const InterfaceMaps& maps, const xt_config& config) {
    const auto lock = XT_TRY(maps.lock());
    const xt_config stored = XT_TRY(read_config(maps));
    if (!(stored.flags & XT_CFG_INDEXED)) XT_TRY(detail::rebuild_rule_index(maps));
    xt_config indexed = config;
    indexed.flags |= XT_CFG_INDEXED;
    indexed.present = XT_TRY(detail::rule_presence(maps));
    const uint32_t key = 0;
    if (bpf_map_update_elem(maps.config.get(), &key, &indexed, BPF_ANY) != 0)
        return failf(errno, "{}: cannot write config: {}", maps.iface, std::strerror(errno));
    return {};
}

Result<xt_config> update_config(const InterfaceMaps& maps,
                                const std::function<void(xt_config&)>& change) {
    const auto lock = XT_TRY(maps.lock());
    xt_config config = XT_TRY(read_config(maps));
    change(config);
    XT_TRY(write_config(maps, config));
    return config;
}

}  // namespace xt
