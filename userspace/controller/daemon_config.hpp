// The configuration of the controller daemon xdp-throttled: the gateway config file (KrakenD's
// structure plus the "xdp-throttle" namespace) with the command line's overrides, and what of it
// goes into the kernel's xt_config.
#pragma once

#include <optional>
#include <string>

#include "config/gateway_config.hpp"
#include "input/http_ports.hpp"
#include "maps/interface_maps.hpp"
#include "common/result.hpp"

namespace xt::controller {

// Command-line values that win over the file's "xdp-throttle" namespace.
struct Overrides {
    std::optional<std::string> iface;
    std::optional<std::string> peer;
    std::optional<HttpPorts> http_ports;  // nullopt: the file's
};

// Loads and validates `path`, then applies `overrides`. On failure the message lists every
// problem, one per line, each prefixed with the file name and naming its JSON path; nothing has
// been touched. Also fails when no client-side interface is known (neither file nor flag).
// gateway.http_ports stays nullopt when neither names ports: the daemon then adopts the ports
// `xdp-throttle attach A --peer B --http-port N` recorded.
Result<config::Config> load_daemon_config(const std::string& path, const Overrides& overrides);

// `base` with the config's settings for the XDP program: the L3/L4 limits of "xdp-throttle".l3
// (the config is the source of truth: a limit absent from it is off) and the HTTP ports the
// program steers to the controller ({80} when not given). Gateway fields the attach recorded
// (flags, ifindexes) are kept.
xt_config kernel_settings(const xt_config& base, const config::GatewaySettings& settings);

// kernel_settings() into the interface's pinned xt_config (update_config: under the pin-root lock
// that serialises it with the CLI).
Status apply_kernel_settings(const InterfaceMaps& maps, const config::GatewaySettings& settings);

}  // namespace xt::controller
