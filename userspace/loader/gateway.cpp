// Gateway mode in the loader: one loaded program on both ports of a transparent bridge, the bridge
// recorded in the client side's pinned config (bpf/abi.h, "gateway mode"). bpffs holds no plain
// files, so the config's ifindexes are the record: status, detach and the daemon read them there.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "attach_internal.hpp"
#include "library_log.hpp"
#include "maps/gateway_maps.hpp"
#include "maps/maps.hpp"
#include "input/address.hpp"
#include "maps/paths.hpp"

namespace xt {
namespace {

// The pinned config of an interface, read without opening every map (status walks all of them).
std::optional<xt_config> pinned_config(std::string_view iface) {
    UniqueFd fd(bpf_obj_get((pin_dir(iface) / XT_NAME(XT_MAP_CONFIG)).c_str()));
    if (!fd.valid()) return std::nullopt;
    const uint32_t key = 0;
    xt_config config{};
    if (bpf_map_lookup_elem(fd.get(), &key, &config) != 0) return std::nullopt;
    return config;
}

std::string name_of_ifindex(uint32_t ifindex) {
    char name[IF_NAMESIZE] = {};
    if (if_indextoname(ifindex, name)) return name;
    return fmt::format("ifindex {}", ifindex);
}

// The bridge a pinned config records, names resolved in this network namespace (an interface
// that is gone shows as "ifindex N"). Pins live under the client side's name.
std::optional<GatewayPorts> recorded_gateway(std::string_view client_iface, const xt_config& config) {
    if (!(config.flags & XT_CFG_GATEWAY) || config.server_ifindex == 0) return std::nullopt;
    return GatewayPorts{.client_iface = std::string(client_iface),
                        .server_iface = name_of_ifindex(config.server_ifindex),
                        .client_ifindex = config.client_ifindex,
                        .server_ifindex = config.server_ifindex};
}

Result<std::vector<uint16_t>> normalized_http_ports(std::span<const uint16_t> requested) {
    std::vector<uint16_t> ports(requested.begin(), requested.end());
    if (ports.empty()) ports.push_back(kDefaultHttpPort);
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    if (ports.front() == 0) return fail("--http-port 0: expected a port number 1..65535", EINVAL);
    if (ports.size() > XT_MAX_HTTP_PORTS)
        return failf(EINVAL, "{} HTTP ports given; the data plane matches at most {}", ports.size(),
                     XT_MAX_HTTP_PORTS);
    return ports;
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

Status write_gateway_config(std::string_view client_iface, bool config_created,
                            uint32_t client_ifindex, uint32_t server_ifindex,
                            std::span<const uint16_t> http_ports) {
    auto maps = InterfaceMaps::open(client_iface);
    if (!maps) return tl::unexpected(maps.error());
    xt_config config = default_config();
    if (!config_created) {
        auto stored = read_config(*maps);
        if (!stored) return tl::unexpected(stored.error());
        config = *stored;
    }
    detail::clear_gateway_settings(config);
    config.flags |= XT_CFG_GATEWAY;
    config.client_ifindex = client_ifindex;
    config.server_ifindex = server_ifindex;
    std::copy(http_ports.begin(), http_ports.end(), config.http_ports);
    return write_config(*maps, config);
}

}  // namespace

namespace detail {

void clear_gateway_settings(xt_config& config) {
    config.flags &= ~static_cast<uint32_t>(XT_CFG_GATEWAY);
    config.client_ifindex = 0;
    config.server_ifindex = 0;
    std::fill(std::begin(config.http_ports), std::end(config.http_ports), 0);
}

std::optional<GatewayPorts> recorded_gateway_of(std::string_view iface) {
    const auto config = pinned_config(iface);
    return config ? recorded_gateway(iface, *config) : std::nullopt;
}

std::optional<GatewayPorts> gateway_of_server_port(int ifindex) {
    std::error_code ec;
    for (const auto& dirent : std::filesystem::directory_iterator(pin_root(), ec)) {
        const std::string iface = dirent.path().filename().string();
        if (!dirent.is_directory(ec) || !validate_ifname(iface)) continue;
        auto gateway = recorded_gateway_of(iface);
        if (gateway && gateway->server_ifindex == static_cast<uint32_t>(ifindex)) return gateway;
    }
    return std::nullopt;
}

Result<std::optional<std::string>> detach_gateway_peer(std::string_view iface) {
    const auto gateway = recorded_gateway_of(iface);
    if (!gateway) return std::optional<std::string>{};

    char name[IF_NAMESIZE] = {};
    if (if_indextoname(gateway->server_ifindex, name)) {
        const int server = static_cast<int>(gateway->server_ifindex);
        auto current = query_attachment(server);
        if (!current) return tl::unexpected(current.error());
        if (*current && (*current)->ours)
            if (auto ok = detach_ours(server, name, (*current)->prog_id); !ok)
                return tl::unexpected(ok.error());
    }
    if (auto maps = GatewayMaps::open(iface)) {
        for (const uint32_t port : {gateway->client_ifindex, gateway->server_ifindex})
            (void)bpf_map_delete_elem(maps->ports.get(), &port);  // ENOENT is fine
    }
    auto maps = InterfaceMaps::open(iface);
    if (!maps) return tl::unexpected(maps.error());
    auto stored = read_config(*maps);
    if (!stored) return tl::unexpected(stored.error());
    xt_config host = *stored;
    clear_gateway_settings(host);
    if (auto ok = write_config(*maps, host); !ok) return tl::unexpected(ok.error());
    return std::optional<std::string>{gateway->server_iface};
}

}  // namespace detail

Result<AttachResult> attach_gateway(std::string_view client_iface, std::string_view server_iface,
                                    AttachMode mode, std::span<const uint16_t> http_ports) {
    detail::install_library_log();
    detail::take_library_log();
    if (client_iface == server_iface)
        return failf(EINVAL, "--peer {}: the server side must be another interface than {}",
                     server_iface, client_iface);
    auto ports = normalized_http_ports(http_ports);
    if (!ports) return tl::unexpected(ports.error());
    auto client = interface_index(client_iface);
    if (!client) return tl::unexpected(client.error());
    auto server = interface_index(server_iface);
    if (!server) return tl::unexpected(server.error());
    if (auto ok = detail::check_hook_free(client_iface, *client); !ok) return tl::unexpected(ok.error());
    if (auto ok = detail::check_hook_free(server_iface, *server); !ok) return tl::unexpected(ok.error());

    const detail::PortToAttach both[] = {{std::string(client_iface), *client},
                                         {std::string(server_iface), *server}};
    auto result = detail::load_and_attach(client_iface, both, mode);
    if (!result) return result;

    // Bridge first, then the flag: the program bridges only once both directions are mapped.
    auto configure = [&]() -> Status {
        auto maps = GatewayMaps::open(client_iface);
        if (!maps) return tl::unexpected(maps.error());
        if (auto ok = set_bridge_ports(*maps, *client, *server); !ok) return ok;
        return write_gateway_config(client_iface, result->config_created,
                                    static_cast<uint32_t>(*client), static_cast<uint32_t>(*server),
                                    *ports);
    };
    if (auto ok = configure(); !ok) {
        for (const auto& port : both) (void)detail::detach_ours(port.ifindex, port.name, result->prog_id);
        return tl::unexpected(ok.error());
    }
    result->http_ports = std::move(*ports);
    return result;
}

}  // namespace xt
