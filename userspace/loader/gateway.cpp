// Gateway mode in the loader: one loaded program on both ports of a transparent bridge, the bridge
// recorded in the client side's pinned config (bpf/abi.h, "gateway mode"). bpffs holds no plain
// files, so the config's ifindexes are the record: status, detach and the daemon read them there.
#include "loader/gateway.hpp"

#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "attach_internal.hpp"
#include "input/address.hpp"
#include "input/bridge.hpp"
#include "library_log.hpp"
#include "maps/config.hpp"
#include "maps/gateway_maps.hpp"
#include "maps/paths.hpp"

namespace xt {
namespace detail {

void clear_gateway_settings(xt_config& config) {
    config.flags &= ~static_cast<uint32_t>(XT_CFG_GATEWAY);
    config.client_ifindex = 0;
    config.server_ifindex = 0;
    std::fill(std::begin(config.http_ports), std::end(config.http_ports), 0);
}

std::optional<GatewayPorts> recorded_gateway_of(std::string_view iface) {
    const auto config = read_pinned_config(iface);
    return config ? recorded_gateway(*config, iface) : std::nullopt;
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
        const auto current = XT_TRY(query_attachment(server));
        if (current && current->ours) XT_TRY(detach_ours(server, name, current->prog_id));
    }
    if (auto maps = GatewayMaps::open(iface))
        clear_bridge_ports(*maps, gateway->client_ifindex, gateway->server_ifindex);
    const auto maps = XT_TRY(InterfaceMaps::open(iface));
    XT_TRY(update_config(maps, clear_gateway_settings));
    return std::optional<std::string>{gateway->server_iface};
}

}  // namespace detail

Result<AttachResult> attach_gateway(std::string_view client_iface, std::string_view server_iface,
                                    AttachMode mode, const HttpPorts& http_ports,
                                    std::span<const TableSize> sizes) {
    detail::install_library_log();
    detail::take_library_log();
    XT_TRY(validate_bridge_ends(client_iface, server_iface));
    const int client = XT_TRY(interface_index(client_iface));
    const int server = XT_TRY(interface_index(server_iface));
    XT_TRY(detail::check_hook_free(client_iface, client));
    XT_TRY(detail::check_hook_free(server_iface, server));

    const detail::PortToAttach both[] = {{std::string(client_iface), client},
                                         {std::string(server_iface), server}};
    auto result = XT_TRY(detail::load_and_attach(client_iface, both, mode, sizes));

    // Bridge first, then the flag: the program bridges only once both directions are mapped.
    auto configure = [&]() -> Status {
        const auto gateway = XT_TRY(GatewayMaps::open(client_iface));
        XT_TRY(set_bridge_ports(gateway, client, server));
        const auto maps = XT_TRY(InterfaceMaps::open(client_iface));
        XT_TRY(update_config(maps, [&](xt_config& config) {
            if (result.config_created) config = default_config();
            detail::clear_gateway_settings(config);
            config.flags |= XT_CFG_GATEWAY;
            config.client_ifindex = static_cast<uint32_t>(client);
            config.server_ifindex = static_cast<uint32_t>(server);
            http_ports.store(config);
        }));
        return {};
    };
    if (auto ok = configure(); !ok) {
        for (const auto& port : both) (void)detail::detach_ours(port.ifindex, port.name, result.prog_id);
        return tl::unexpected(ok.error());
    }
    return result;
}

}  // namespace xt
