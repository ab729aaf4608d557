// attach, detach, status.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "cli.hpp"
#include "input/bridge.hpp"
#include "input/http_ports.hpp"

namespace xt::cli {
namespace {

constexpr const char* kAttachHelp = R"(usage: xdp-throttle attach IFACE [--mode native|skb]
       xdp-throttle attach A --peer B [--mode native|skb] [--http-port N]...

Loads the XDP program and attaches it to IFACE through libxdp. Its maps are pinned under
<bpffs>/xdp-throttle/IFACE; when they exist already (an earlier attach), they are reused, so
rules, bans, limits and counters survive detach + attach. A new interface starts with the deny
policy, top-drop tracking on and every limit off.

With --peer, gateway mode: A (client side) and B (server side) become a transparent bridge.
Frames pass unchanged both ways, forwarded in the kernel; the IP rules, bans and limits are
enforced on what arrives on A. TCP segments to the HTTP ports go to the controller
(xdp-throttled) while it runs; without it everything is bridged in the kernel. The state is
pinned under A's directory; 'detach A' detaches both ports, rule commands use --iface A.

  --mode native   driver mode (default): fastest, needs driver support (veth, most NICs); a
                  gateway between veths bridges only if the veths' far ends have GRO on or an
                  XDP program of their own (a veth drops redirected frames otherwise)
  --mode skb      generic mode: works on any interface (a gateway too), slower
  --peer B        gateway mode with B as the server side
  --http-port N   an HTTP port of the backends (repeatable, at most 8; default 80)

On kernels without freplace support (see 'xdp-throttle status') only one XDP program can hold an
interface; attaching where another program is loaded fails and names that program.

examples:
  xdp-throttle attach eth0
  xdp-throttle attach veth0 --mode skb
  xdp-throttle attach eth0 --peer eth1 --http-port 80 --http-port 8080
)";

constexpr const char* kDetachHelp = R"(usage: xdp-throttle detach IFACE [--purge]

Detaches xdp-throttle from IFACE. Rules, bans, limits and counters stay pinned and come back with
the next attach, unless --purge, which deletes them (also when the program is not attached).
For a gateway bridge, detaching its client side A detaches the server side B too; B alone is
refused.

examples:
  xdp-throttle detach eth0
  xdp-throttle detach eth0 --purge
)";

constexpr const char* kStatusHelp = R"(usage: xdp-throttle status [--json]

Lists every interface with xdp-throttle state or with the program attached: mode, program id, pin
directory; and whether this kernel lets several XDP programs share an interface (libxdp's
dispatcher needs freplace programs). A gateway bridge shows as "gateway A <-> B" (JSON:
gateway_peer, gateway_side "client" or "server").

examples:
  xdp-throttle status
  xdp-throttle status --json | jq '.interfaces[] | select(.attached)'
)";

std::string single_iface(const ParsedArgs& parsed, std::string_view verb) {
    if (parsed.positionals.size() != 1)
        throw UsageError(parsed.positionals.empty()
                             ? fmt::format("{} needs an interface name", verb)
                             : fmt::format("{} takes one interface, got {}", verb,
                                           fmt::join(parsed.positionals, " ")),
                         std::string(verb));
    unwrap(validate_ifname(parsed.positionals[0]));
    return parsed.positionals[0];
}

}  // namespace

int run_attach(const Args& args) {
    po::options_description options("attach options");
    options.add_options()("mode", po::value<std::string>(), "native (default) or skb")(
        "peer", po::value<std::string>(), "gateway mode: the server-side interface")(
        "http-port", po::value<std::vector<std::string>>()->composing(),
        "gateway mode: an HTTP port (repeatable)");
    const auto parsed = parse_args(args, options, "attach");
    if (parsed.help) {
        fmt::print("{}", kAttachHelp);
        return 0;
    }
    const std::string iface = single_iface(parsed, "attach");
    const AttachMode mode = unwrap(parse_attach_mode(parsed.value("mode").value_or("native")));
    const auto peer = parsed.value("peer");
    if (!peer && parsed.vm.count("http-port"))
        throw UsageError("--http-port applies to gateway mode only (attach A --peer B)", "attach");
    if (peer) unwrap(validate_bridge_ends(iface, *peer));
    const HttpPorts http_ports =
        parsed.vm.count("http-port")
            ? unwrap(parse_http_ports("--http-port",
                                      parsed.vm["http-port"].as<std::vector<std::string>>()))
            : HttpPorts{};
    unwrap(check_privileges());
    unwrap(interface_index(iface));
    if (peer) unwrap(interface_index(*peer));
    prepare_bpffs();
    const auto lock = unwrap(PinRootLock::acquire());
    const auto result = unwrap(peer ? attach_gateway(iface, *peer, mode, http_ports) : attach(iface, mode));
    const std::string_view state = result.config_created ? "new state with default settings"
                                                         : "existing rules, bans and counters kept";
    if (peer)
        fmt::print("xdp-throttle gateway {} <-> {} attached ({} mode, program id {}, HTTP ports {}); "
                   "{}\n", iface, *peer, attach_mode_name(mode), result.prog_id,
                   fmt::join(http_ports.values(), ","), state);
    else
        fmt::print("xdp-throttle attached to {} ({} mode, program id {}); {}\n", iface,
                   attach_mode_name(mode), result.prog_id, state);
    return 0;
}

int run_detach(const Args& args) {
    po::options_description options("detach options");
    options.add_options()("purge", "also delete the interface's rules, bans, limits and counters");
    const auto parsed = parse_args(args, options, "detach");
    if (parsed.help) {
        fmt::print("{}", kDetachHelp);
        return 0;
    }
    const std::string iface = single_iface(parsed, "detach");
    const bool purge = parsed.flag("purge");
    unwrap(check_privileges());
    prepare_bpffs();
    const auto lock = unwrap(PinRootLock::acquire());
    const auto result = unwrap(detach(iface, purge));
    if (result.peer)
        fmt::print("xdp-throttle gateway {} <-> {} detached{}\n", iface, *result.peer,
                   result.purged ? "; rules, bans and counters deleted"
                                 : "; rules, bans and counters kept (--purge deletes them)");
    else if (result.detached)
        fmt::print("xdp-throttle detached from {}{}\n", iface,
                   result.purged ? "; rules, bans and counters deleted"
                                 : "; rules, bans and counters kept (--purge deletes them)");
    else if (result.purged)
        fmt::print("xdp-throttle was not attached to {}; its rules, bans and counters deleted\n", iface);
    else
        fmt::print("xdp-throttle was not attached to {} and had no state there\n", iface);
    return 0;
}

int run_status(const Args& args) {
    po::options_description options("status options");
    options.add_options()("json", "print JSON");
    const auto parsed = parse_args(args, options, "status");
    if (parsed.help) {
        fmt::print("{}", kStatusHelp);
        return 0;
    }
    if (!parsed.positionals.empty())
        throw UsageError(fmt::format("status takes no arguments, got {}",
                                     fmt::join(parsed.positionals, " ")), "status");
    unwrap(check_privileges());
    prepare_bpffs();
    const auto multiprog = probe_multiprog();
    const auto interfaces = unwrap(interfaces_status());
    if (parsed.flag("json")) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& s : interfaces) {
            list.push_back({{"iface", s.iface},
                            {"attached", s.attached},
                            {"mode", s.mode ? nlohmann::json(attach_mode_name(*s.mode)) : nlohmann::json()},
                            {"prog_id", s.prog_id ? nlohmann::json(*s.prog_id) : nlohmann::json()},
                            {"pin_dir", s.pin_dir.string()},
                            {"gateway_peer", s.gateway_peer ? nlohmann::json(*s.gateway_peer) : nlohmann::json()},
                            {"gateway_side", !s.gateway_peer ? nlohmann::json()
                                             : nlohmann::json(s.gateway_server_side ? "server" : "client")}});
        }
        print_json({{"multiprog_supported", multiprog.supported},
                    {"multiprog_reason", multiprog.reason},
                    {"interfaces", list}});
        return 0;
    }
    fmt::print("multi-program XDP (libxdp dispatcher): {}\n  {}\n",
               multiprog.supported ? "supported" : "not supported", multiprog.reason);
    if (interfaces.empty()) {
        fmt::print("xdp-throttle is not attached anywhere and has no state\n");
        return 0;
    }
    fmt::print("{:<16} {:<9} {:<7} {:>8}  {}\n", "interface", "attached", "mode", "prog id", "pin dir");
    for (const auto& s : interfaces)
        fmt::print("{:<16} {:<9} {:<7} {:>8}  {}\n", s.iface, s.attached ? "yes" : "no",
                   s.mode ? attach_mode_name(*s.mode) : "-",
                   s.prog_id ? std::to_string(*s.prog_id) : "-",
                   s.has_pins ? s.pin_dir.string()
                              : s.gateway_peer ? fmt::format("(in {}'s)", *s.gateway_peer) : "(none)");
    for (const auto& s : interfaces)
        if (s.gateway_peer && !s.gateway_server_side)
            fmt::print("gateway {} <-> {} (client side {}, server side {})\n", s.iface,
                       *s.gateway_peer, s.iface, *s.gateway_peer);
    return 0;
}

}  // namespace xt::cli
