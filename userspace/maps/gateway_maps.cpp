#include "maps/gateway_maps.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "maps/paths.hpp"

namespace xt {

namespace {

std::optional<std::string> interface_name(uint32_t ifindex) {
    char name[IF_NAMESIZE] = {};
    if (!if_indextoname(ifindex, name)) return std::nullopt;
    return std::string(name);
}

std::string name_of_ifindex(uint32_t ifindex) {
    return interface_name(ifindex).value_or(fmt::format("ifindex {}", ifindex));
}

Status write_bypass(const GatewayMaps& maps, const xt_flow_key& flow, const xt_bypass& value) {
    if (bpf_map_update_elem(maps.bypass.get(), &flow, &value, BPF_ANY) != 0)
        return failf(errno, "{}: cannot add a bypass entry: {}", maps.iface, std::strerror(errno));
    return {};
}

}  // namespace

Result<GatewayMaps> GatewayMaps::open(std::string_view iface) {
    GatewayMaps maps;
    maps.iface = std::string(iface);
    const PinSlot slots[] = {
        {&maps.ports, XT_NAME(XT_MAP_PORTS)},
        {&maps.xsk_client, XT_NAME(XT_MAP_XSK_CLIENT)},
        {&maps.xsk_server, XT_NAME(XT_MAP_XSK_SERVER)},
        {&maps.heartbeat, XT_NAME(XT_MAP_HEARTBEAT)},
        {&maps.bypass, XT_NAME(XT_MAP_BYPASS)},
    };
    XT_TRY(open_pins(iface, PinSet::gateway, slots));
    return maps;
}

std::optional<GatewayPorts> recorded_gateway(const xt_config& config, std::string_view client_iface) {
    if (!(config.flags & XT_CFG_GATEWAY) || config.server_ifindex == 0) return std::nullopt;
    return GatewayPorts{.client_iface = std::string(client_iface),
                        .server_iface = name_of_ifindex(config.server_ifindex),
                        .client_ifindex = config.client_ifindex,
                        .server_ifindex = config.server_ifindex};
}

Result<GatewayPorts> gateway_ports(const xt_config& config, std::string_view iface) {
    auto ports = recorded_gateway(config, iface);
    if (!ports)
        return failf(ErrorKind::not_found, "{} is not attached as a gateway bridge (it is detached, or attached "
                             "in host mode): run 'xdp-throttle attach {} --peer SERVER_SIDE_IFACE' "
                             "(after 'xdp-throttle detach {}' if it is attached)", iface, iface, iface);
    const auto client = interface_name(ports->client_ifindex);
    if (!client)
        return failf(ErrorKind::not_found, "{}: the recorded client-side interface (ifindex {}) does not exist "
                             "in this network namespace", iface, ports->client_ifindex);
    const auto server = interface_name(ports->server_ifindex);
    if (!server)
        return failf(ErrorKind::not_found, "{}: the recorded peer interface (ifindex {}) does not exist in this "
                             "network namespace; re-attach with --peer", iface, ports->server_ifindex);
    ports->client_iface = *client;
    ports->server_iface = *server;
    return *ports;
}

Status set_bridge_ports(const GatewayMaps& maps, uint32_t client_ifindex, uint32_t server_ifindex) {
    const struct {
        uint32_t from, to;
    } links[] = {{client_ifindex, server_ifindex}, {server_ifindex, client_ifindex}};
    for (const auto& link : links) {
        bpf_devmap_val value{};
        value.ifindex = link.to;
        value.bpf_prog.fd = -1;  // no second program on the egress side
        if (bpf_map_update_elem(maps.ports.get(), &link.from, &value, BPF_ANY) != 0)
            return failf(errno, "{}: cannot write the bridge map {} ({} -> {}): {}", maps.iface,
                         XT_NAME(XT_MAP_PORTS), name_of_ifindex(link.from), name_of_ifindex(link.to),
                         std::strerror(errno));
    }
    return {};
}

void clear_bridge_ports(const GatewayMaps& maps, uint32_t client_ifindex, uint32_t server_ifindex) {
    for (const uint32_t port : {client_ifindex, server_ifindex})
        (void)bpf_map_delete_elem(maps.ports.get(), &port);  // ENOENT is fine
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
    return write_bypass(maps, flow,
                        xt_bypass{.last_ns = now_ns, .kind = XT_BYPASS_FLOW, .body_start = 0, .body_end = 0, .pad = 0});
}

Status add_body_skip(const GatewayMaps& maps, const xt_flow_key& flow, uint32_t body_start,
                     uint32_t body_end, uint64_t now_ns) {
    return write_bypass(maps, flow,
                        xt_bypass{.last_ns = now_ns, .kind = XT_BYPASS_RESPONSE_BODY,
                                  .body_start = body_start, .body_end = body_end, .pad = 0});
}

Status delete_bypass(const GatewayMaps& maps, const xt_flow_key& flow) {
    if (bpf_map_delete_elem(maps.bypass.get(), &flow) != 0 && errno != ENOENT)
        return failf(errno, "{}: cannot delete a bypass entry: {}", maps.iface, std::strerror(errno));
    return {};
}

Result<std::optional<xt_bypass>> read_bypass(const GatewayMaps& maps, const xt_flow_key& flow) {
    xt_bypass value{};
    if (bpf_map_lookup_elem(maps.bypass.get(), &flow, &value) == 0) return value;
    if (errno == ENOENT) return std::nullopt;
    return failf(errno, "{}: cannot read a bypass entry: {}", maps.iface, std::strerror(errno));
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

uint64_t bypass_idle_ns(const xt_bypass& entry, uint64_t now_ns) {
    return now_ns > entry.last_ns ? now_ns - entry.last_ns : 0;
}

Result<std::size_t> expire_bypass(const GatewayMaps& maps,
                                  const std::function<bool(const BypassEntry&)>& expired) {
    // List first, delete after: deleting while walking with get_next_key restarts the walk.
    const auto entries = XT_TRY(list_bypass(maps));
    std::size_t removed = 0;
    for (const auto& e : entries) {
        if (!expired(e)) continue;
        XT_TRY(delete_bypass(maps, e.flow));
        ++removed;
    }
    return removed;
}

}  // namespace xt
