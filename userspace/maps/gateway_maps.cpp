#include "maps/gateway_maps.hpp"

#include <bpf/bpf.h>
#include <net/if.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "input/address.hpp"
#include "maps/paths.hpp"

namespace xt {

// The layouts the program sees (bpf/abi.h); a mismatch must fail the build, not corrupt a map.
static_assert(sizeof(xt_heartbeat) == 24);
static_assert(sizeof(xt_flow_key) == 40);
static_assert(sizeof(xt_bypass) == 8);

namespace {

Result<UniqueFd> open_gateway_pin(const std::filesystem::path& dir, std::string_view iface,
                                  const char* name) {
    const auto path = dir / name;
    const int fd = bpf_obj_get(path.c_str());
    if (fd >= 0) return UniqueFd(fd);
    const int err = errno;
    if (err == ENOENT)
        return failf(err, "{}: no gateway map {} ({} is not attached as a gateway bridge: run "
                          "'xdp-throttle attach {} --peer SERVER_SIDE_IFACE' first)",
                     iface, path.string(), iface, iface);
    return failf(err, "{}: cannot open pinned map: {}", path.string(), std::strerror(err));
}

}  // namespace

Result<GatewayMaps> GatewayMaps::open(std::string_view iface) {
    if (auto ok = validate_ifname(iface); !ok) return tl::unexpected(ok.error());
    const auto dir = pin_dir(iface);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return failf(ENOENT, "no xdp-throttle state for interface {} ({} does not exist; run "
                             "'xdp-throttle attach {} --peer SERVER_SIDE_IFACE' first)",
                     iface, dir.string(), iface);
    GatewayMaps maps;
    maps.iface = std::string(iface);
    const struct {
        UniqueFd* fd;
        const char* name;
    } slots[] = {
        {&maps.ports, XT_NAME(XT_MAP_PORTS)},
        {&maps.xsk_client, XT_NAME(XT_MAP_XSK_CLIENT)},
        {&maps.xsk_server, XT_NAME(XT_MAP_XSK_SERVER)},
        {&maps.heartbeat, XT_NAME(XT_MAP_HEARTBEAT)},
        {&maps.bypass, XT_NAME(XT_MAP_BYPASS)},
    };
    for (const auto& slot : slots) {
        auto fd = open_gateway_pin(dir, iface, slot.name);
        if (!fd) return tl::unexpected(fd.error());
        *slot.fd = std::move(*fd);
    }
    return maps;
}

Result<GatewayPorts> gateway_ports(const xt_config& config, std::string_view iface) {
    if (!(config.flags & XT_CFG_GATEWAY) || config.server_ifindex == 0)
        return failf(EINVAL, "{} is not attached as a gateway bridge (it is detached, or attached "
                             "in host mode): run 'xdp-throttle attach {} --peer SERVER_SIDE_IFACE' "
                             "(after 'xdp-throttle detach {}' if it is attached)", iface, iface, iface);
    GatewayPorts ports;
    ports.client_ifindex = config.client_ifindex;
    ports.server_ifindex = config.server_ifindex;
    char name[IF_NAMESIZE] = {};
    if (!if_indextoname(config.client_ifindex, name))
        return failf(ENODEV, "{}: the recorded client-side interface (ifindex {}) does not exist "
                             "in this network namespace", iface, config.client_ifindex);
    ports.client_iface = name;
    if (!if_indextoname(config.server_ifindex, name))
        return failf(ENODEV, "{}: the recorded peer interface (ifindex {}) does not exist in this "
                             "network namespace; re-attach with --peer", iface, config.server_ifindex);
    ports.server_iface = name;
    return ports;
}

uint64_t monotonic_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);  // what bpf_ktime_get_ns() reads
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Result<xt_heartbeat> read_heartbeat(const GatewayMaps& maps) {
    const uint32_t key = 0;
    xt_heartbeat beat{};
    if (bpf_map_lookup_elem(maps.heartbeat.get(), &key, &beat) != 0)
        return failf(errno, "{}: cannot read the heartbeat: {}", maps.iface, std::strerror(errno));
    return beat;
}

Status write_heartbeat(const GatewayMaps& maps, const xt_heartbeat& beat) {
    const uint32_t key = 0;
    if (bpf_map_update_elem(maps.heartbeat.get(), &key, &beat, BPF_ANY) != 0)
        return failf(errno, "{}: cannot write the heartbeat: {}", maps.iface, std::strerror(errno));
    return {};
}

Status clear_heartbeat(const GatewayMaps& maps) {
    return write_heartbeat(maps, xt_heartbeat{});
}

bool heartbeat_fresh(const xt_heartbeat& beat, uint64_t now_ns) {
    return xt_heartbeat_fresh(&beat, now_ns) != 0;  // the program's own test
}

Status add_bypass(const GatewayMaps& maps, const xt_flow_key& flow, uint64_t now_ns) {
    const xt_bypass value{now_ns};
    if (bpf_map_update_elem(maps.bypass.get(), &flow, &value, BPF_ANY) != 0)
        return failf(errno, "{}: cannot add a bypass entry: {}", maps.iface, std::strerror(errno));
    return {};
}

Status delete_bypass(const GatewayMaps& maps, const xt_flow_key& flow) {
    if (bpf_map_delete_elem(maps.bypass.get(), &flow) != 0 && errno != ENOENT)
        return failf(errno, "{}: cannot delete a bypass entry: {}", maps.iface, std::strerror(errno));
    return {};
}

Result<std::vector<BypassEntry>> list_bypass(const GatewayMaps& maps) {
    std::vector<BypassEntry> out;
    xt_flow_key key{}, next{};
    const xt_flow_key* prev = nullptr;
    while (bpf_map_get_next_key(maps.bypass.get(), prev, &next) == 0) {
        BypassEntry entry{next, {}};
        if (bpf_map_lookup_elem(maps.bypass.get(), &next, &entry.value) == 0) out.push_back(entry);
        key = next;
        prev = &key;
    }
    if (errno != ENOENT)
        return failf(errno, "{}: cannot list bypass entries: {}", maps.iface, std::strerror(errno));
    return out;
}

Result<std::size_t> expire_bypass(const GatewayMaps& maps, uint64_t cutoff_ns) {
    // List first, delete after: deleting while walking with get_next_key restarts the walk.
    auto entries = list_bypass(maps);
    if (!entries) return tl::unexpected(entries.error());
    std::size_t removed = 0;
    for (const auto& e : *entries) {
        if (e.value.since_ns >= cutoff_ns) continue;
        if (auto ok = delete_bypass(maps, e.flow); !ok) return tl::unexpected(ok.error());
        ++removed;
    }
    return removed;
}

}  // namespace xt
