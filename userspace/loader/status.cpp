#include <net/if.h>

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/ranges.h>

#include "attach_internal.hpp"
#include "loader/status.hpp"
#include "input/address.hpp"
#include "maps/gateway_maps.hpp"
#include "maps/interface_maps.hpp"
#include "maps/paths.hpp"

namespace xt {
namespace {

struct IfNameIndexFree {
    void operator()(struct if_nameindex* p) const { if_freenameindex(p); }
};

}  // namespace

Result<std::vector<InterfaceStatus>> interfaces_status() {
    std::map<std::string, InterfaceStatus> by_name;
    auto entry = [&](const std::string& name) -> InterfaceStatus& {
        auto& s = by_name[name];
        s.iface = name;
        s.pin_dir = pin_dir(name);
        return s;
    };
    std::error_code ec;
    for (const auto& dirent : std::filesystem::directory_iterator(pin_root(), ec))
        if (dirent.is_directory(ec) && validate_ifname(dirent.path().filename().string()))
            entry(dirent.path().filename().string()).has_pins = true;
    // Gateway bridges, as the client sides' configs record them.
    std::vector<std::pair<std::string, std::string>> bridges;
    for (const auto& [name, s] : by_name)
        if (auto gateway = detail::recorded_gateway_of(name)) bridges.emplace_back(name, gateway->server_iface);
    for (const auto& [client, server] : bridges) {
        entry(client).gateway_peer = server;
        auto& b = entry(server);
        b.gateway_peer = client;
        b.gateway_server_side = true;
    }

    // Our program may also be attached where no pin directory exists (purged by hand, or another
    // bpffs): look at every interface of this network namespace.
    std::unique_ptr<struct if_nameindex, IfNameIndexFree> interfaces(if_nameindex());
    for (auto* it = interfaces.get(); it && it->if_index != 0; ++it) {
        auto att = query_attachment(static_cast<int>(it->if_index));
        if (!att || !*att || !(*att)->ours) continue;
        auto& s = entry(it->if_name);
        s.attached = true;
        s.mode = (*att)->mode;
        s.prog_id = (*att)->prog_id;
    }
    std::vector<InterfaceStatus> out;
    for (auto& [name, s] : by_name) out.push_back(std::move(s));
    return out;
}

Result<std::vector<TableFill>> interface_tables(const InterfaceStatus& s) {
    const InterfaceMaps maps = XT_TRY(InterfaceMaps::open(s.iface));
    // Pinned in host mode too (every map is): empty there.
    const auto gateway = GatewayMaps::open(s.iface);
    return read_table_fill(maps, gateway ? &*gateway : nullptr);
}

Result<std::string> resolve_interface(const std::optional<std::string>& requested) {
    if (requested) {
        XT_TRY(validate_ifname(*requested));
        std::error_code ec;
        if (!std::filesystem::is_directory(pin_dir(*requested), ec))
            return failf(ErrorKind::not_found, "xdp-throttle has no state for {} (no {}); attach it first with "
                                 "'xdp-throttle attach {}'", *requested, pin_dir(*requested).string(),
                         *requested);
        return *requested;
    }
    const auto all = XT_TRY(interfaces_status());
    std::vector<std::string> attached, pinned;
    for (const auto& s : all) {
        if (s.attached && s.has_pins) attached.push_back(s.iface);
        if (s.has_pins) pinned.push_back(s.iface);
    }
    if (attached.size() == 1) return attached.front();
    if (attached.empty() && pinned.size() == 1) return pinned.front();
    if (attached.empty() && pinned.empty())
        return fail(ErrorKind::not_found,
                    "xdp-throttle is not attached to any interface; run 'xdp-throttle attach IFACE' first");
    const auto& candidates = attached.empty() ? pinned : attached;
    return failf(ErrorKind::invalid_input, "several interfaces have xdp-throttle {} ({}); choose one with --iface",
                 attached.empty() ? "state" : "attached", fmt::join(candidates, ", "));
}

}  // namespace xt
