#include "controller/daemon_config.hpp"

#include <cerrno>

#include <fmt/format.h>

#include "config/load_config.hpp"
#include "maps/config.hpp"
#include "input/bridge.hpp"

namespace xt::controller {

Result<config::Config> load_daemon_config(const std::string& path, const Overrides& overrides) {
    auto report = config::check_config(path);
    if (!report.ok()) {
        std::string message;
        for (const auto& problem : report.problems)
            message += fmt::format("{}{}\n", problem.starts_with("$") ? path + ": " : "", problem);
        message += fmt::format("{}: invalid ({} problem{}); nothing was applied", path,
                               report.problems.size(), report.problems.size() == 1 ? "" : "s");
        return fail(ErrorKind::invalid_input, std::move(message));
    }
    config::Config config = std::move(report.config);
    auto& gw = config.gateway;
    if (overrides.iface) gw.iface = *overrides.iface;
    if (overrides.peer) gw.peer = *overrides.peer;
    if (overrides.http_ports) gw.http_ports = overrides.http_ports;

    if (gw.iface.empty())
        return failf(ErrorKind::invalid_input,
                     "{}: no client-side interface: set \"xdp-throttle\".iface in the file or pass --iface",
                     path);
    XT_TRY(validate_bridge_ends(gw.iface, gw.peer));
    return config;
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
    settings.http_ports.value_or(HttpPorts{}).store(c);
    return c;
}

Status apply_kernel_settings(const InterfaceMaps& maps, const config::GatewaySettings& settings) {
    XT_TRY(update_config(maps, [&](xt_config& c) { c = kernel_settings(c, settings); }));
    return {};
}

}  // namespace xt::controller
