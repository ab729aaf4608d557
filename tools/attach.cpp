// attach, detach, status.
#include <fmt/format.h>

#include "cli.hpp"

namespace xt::cli {
namespace {

constexpr const char* kAttachHelp = R"(usage: xdp-throttle attach IFACE [--mode native|skb]

Loads the XDP program and attaches it to IFACE through libxdp. Its maps are pinned under
<bpffs>/xdp-throttle/IFACE; when they exist already (an earlier attach), they are reused, so
rules, bans, limits and counters survive detach + attach. A new interface starts with the deny
policy, top-drop tracking on and every limit off.

  --mode native   driver mode (default): fastest, needs driver support (veth, most NICs)
  --mode skb      generic mode: works on any interface, slower

On kernels without freplace support (see 'xdp-throttle status') only one XDP program can hold an
interface; attaching where another program is loaded fails and names that program.

examples:
  xdp-throttle attach eth0
  xdp-throttle attach veth0 --mode skb
)";

constexpr const char* kDetachHelp = R"(usage: xdp-throttle detach IFACE [--purge]

Detaches xdp-throttle from IFACE. Rules, bans, limits and counters stay pinned and come back with
the next attach, unless --purge, which deletes them (also when the program is not attached).

examples:
  xdp-throttle detach eth0
  xdp-throttle detach eth0 --purge
)";

constexpr const char* kStatusHelp = R"(usage: xdp-throttle status [--json]

Lists every interface with xdp-throttle state or with the program attached: mode, program id, pin
directory; and whether this kernel lets several XDP programs share an interface (libxdp's
dispatcher needs freplace programs).

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
    options.add_options()("mode", po::value<std::string>(), "native (default) or skb");
    const auto parsed = parse_args(args, options, "attach");
    if (parsed.help) {
        fmt::print("{}", kAttachHelp);
        return 0;
    }
    const std::string iface = single_iface(parsed, "attach");
    const AttachMode mode = unwrap(parse_attach_mode(parsed.value("mode").value_or("native")));
    unwrap(check_privileges());
    unwrap(interface_index(iface));
    prepare_bpffs();
    const auto lock = unwrap(PinRootLock::acquire());
    const auto result = unwrap(attach(iface, mode));
    fmt::print("xdp-throttle attached to {} ({} mode, program id {}); {}\n", iface,
               attach_mode_name(mode), result.prog_id,
               result.config_created ? "new state with default settings"
                                     : "existing rules, bans and counters kept");
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
    if (result.detached)
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
                            {"pin_dir", s.pin_dir.string()}});
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
                   s.has_pins ? s.pin_dir.string() : "(none)");
    return 0;
}

}  // namespace xt::cli
