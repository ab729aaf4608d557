// The configuration of the controller daemon xdp-throttled: the gateway config file (KrakenD's
// structure plus the "xdp-throttle" namespace) with the command line's overrides, and what of it
// goes into the kernel's xt_config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "maps/maps.hpp"
#include "common/result.hpp"

namespace xt::controller {

// Command-line values that win over the file's "xdp-throttle" namespace.
struct Overrides {
    std::optional<std::string> iface;
    std::optional<std::string> peer;
    std::vector<uint16_t> http_ports;  // empty: the file's (default [80])
};

struct DaemonConfig {
    config::Config config;
    // Whether the HTTP ports came from the file or a flag. When not, the daemon adopts the ports
    // `xdp-throttle attach A --peer B --http-port N` recorded instead of the default [80].
    bool http_ports_given = false;
};

// Loads and validates `path`, then applies `overrides`. On failure the message lists every
// problem, one per line, each prefixed with the file name and naming its JSON path; nothing has
// been touched. Also fails when no client-side interface is known (neither file nor flag), or
// when there are more HTTP ports than the kernel's table holds (XT_MAX_HTTP_PORTS).
Result<DaemonConfig> load_daemon_config(const std::string& path, const Overrides& overrides);

// `base` with the config's settings for the XDP program: the L3/L4 limits of "xdp-throttle".l3
// (the config is the source of truth: a limit absent from it is off) and the HTTP ports the
// program steers to the controller. Gateway fields the attach recorded (flags, ifindexes) are kept.
xt_config kernel_settings(const xt_config& base, const config::GatewaySettings& settings);

// The HTTP ports recorded in a pinned xt_config (non-zero entries), in order.
std::vector<uint16_t> recorded_http_ports(const xt_config& config);

// Read-modify-write of the interface's xt_config with kernel_settings(), under the pin-root lock
// that serialises it with the CLI.
Status apply_kernel_settings(const InterfaceMaps& maps, const config::GatewaySettings& settings);

}  // namespace xt::controller
