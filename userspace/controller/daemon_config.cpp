#include "controller/daemon_config.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/load_config.hpp"
#include "loader/loader.hpp"
#include "input/address.hpp"

namespace xt::controller {

namespace {

// GatewaySettings cannot tell "absent" from the default [80]; the file (already validated) can.
bool file_sets_http_ports(const std::string& path) {
    std::ifstream in(path);
    const auto doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/false);
    if (!doc.is_object()) return false;
    const auto extra = doc.find("extra_config");
    if (extra == doc.end() || !extra->is_object()) return false;
    const auto own = extra->find(config::kOwnNamespace);
    return own != extra->end() && own->is_object() && own->contains("http_ports");
}

}  // namespace

std::vector<uint16_t> recorded_http_ports(const xt_config& config) {
    std::vector<uint16_t> ports;
    for (uint16_t port : config.http_ports)
        if (port != 0) ports.push_back(port);
    return ports;
}

Result<DaemonConfig> load_daemon_config(const std::string& path, const Overrides& overrides) {
    auto report = config::check_config(path);
    if (!report.ok()) {
        std::string message;
        for (const auto& problem : report.problems)
            message += fmt::format("{}{}\n", problem.starts_with("$") ? path + ": " : "", problem);
        message += fmt::format("{}: invalid ({} problem{}); nothing was applied", path,
                               report.problems.size(), report.problems.size() == 1 ? "" : "s");
        return fail(std::move(message), EINVAL);
    }
    DaemonConfig out;
    out.http_ports_given = !overrides.http_ports.empty() || file_sets_http_ports(path);
    config::Config& config = out.config;
    config = std::move(report.config);
    auto& gw = config.gateway;
    if (overrides.iface) gw.iface = *overrides.iface;
    if (overrides.peer) gw.peer = *overrides.peer;
    if (!overrides.http_ports.empty()) gw.http_ports = overrides.http_ports;

    if (gw.iface.empty())
        return failf(EINVAL, "{}: no client-side interface: set \"xdp-throttle\".iface in the file "
                             "or pass --iface", path);
    if (auto ok = validate_ifname(gw.iface); !ok) return tl::unexpected(ok.error());
    if (!gw.peer.empty()) {
        if (auto ok = validate_ifname(gw.peer); !ok) return tl::unexpected(ok.error());
        if (gw.peer == gw.iface)
            return failf(EINVAL, "the peer ({}) must be another interface than the client side", gw.peer);
    }
    std::sort(gw.http_ports.begin(), gw.http_ports.end());
    gw.http_ports.erase(std::unique(gw.http_ports.begin(), gw.http_ports.end()), gw.http_ports.end());
    if (gw.http_ports.size() > XT_MAX_HTTP_PORTS)
        return failf(EINVAL, "{} HTTP ports given; the XDP program steers at most {}",
                     gw.http_ports.size(), XT_MAX_HTTP_PORTS);
    if (std::find(gw.http_ports.begin(), gw.http_ports.end(), 0) != gw.http_ports.end())
        return failf(EINVAL, "HTTP port 0 is not a TCP port");
    return out;
}

xt_config kernel_settings(const xt_config& base, const config::GatewaySettings& settings) {
    xt_config c = base;
    const auto& l3 = settings.l3;
    c.spike = l3.spike;
    c.syn = l3.syn;
    c.syn_global = l3.syn_global;
    c.spike_prefix_v4 = l3.spike_prefix_v4;
    c.spike_prefix_v6 = l3.spike_prefix_v6;
    if (l3.spike_per_prefix)
        c.flags |= XT_CFG_SPIKE_PER_PREFIX;
    else
        c.flags &= ~static_cast<uint32_t>(XT_CFG_SPIKE_PER_PREFIX);
    std::fill(std::begin(c.http_ports), std::end(c.http_ports), 0);
    std::copy_n(settings.http_ports.begin(),
                std::min<std::size_t>(settings.http_ports.size(), XT_MAX_HTTP_PORTS), c.http_ports);
    return c;
}

Status apply_kernel_settings(const InterfaceMaps& maps, const config::GatewaySettings& settings) {
    auto lock = PinRootLock::acquire();
    if (!lock) return tl::unexpected(lock.error());
    auto stored = read_config(maps);
    if (!stored) return tl::unexpected(stored.error());
    return write_config(maps, kernel_settings(*stored, settings));
}

}  // namespace xt::controller
