// xdp-throttle: parses the verb and dispatches to its file; errors become exit codes here.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <string>

#include "cli.hpp"

namespace {

constexpr const char* kUsage = R"(xdp-throttle: drop floods, abusive and banned sources at the NIC (XDP).

usage: xdp-throttle VERB [ARGS] [--help]

  attach IFACE [--mode native|skb]      load and attach the XDP program (maps pinned, rules kept)
  detach IFACE [--purge]                detach; --purge also deletes rules, bans and counters
  status [--json]                       where it is attached, and whether XDP programs can share
                                        an interface on this kernel
  ip (deny|allow) (add|del) CIDR...     edit the deny/allow lists (IPv4 and IPv6)
  ip (deny|allow) load FILE|-           bulk-add one CIDR a line ('#' comments)
  ip list [--json]                      list rules with hit counters
  ip policy (deny|allow)                deny: listed sources dropped; allow: only listed pass
  ban add IP... --for DURATION [--reason TEXT]
  ban del IP...  |  ban list [--json]
  limit spike --rate N [--every DURATION] --burst N [--per address|prefix]
              [--prefix-v4 N] [--prefix-v6 N]
  limit syn --rate N --burst N [--every DURATION] [--global-rate N --global-burst N]
  limit off (spike|syn)  |  limit clock (exact|coarse)  |  limit show [--json]
  stats [--json] [--watch SECONDS]      packets seen, passed and dropped by reason
  top [-n N] [--json]                   the sources dropped most
  check-config FILE [--json]            validate a gateway config (krakend.json shape); applies nothing

Rule commands take --iface IFACE (optional when exactly one interface is attached).
Durations are KrakenD's: 250ms, 10s, 5m, 1h, 1m30s.
State lives in bpffs under /sys/fs/bpf/xdp-throttle/IFACE ($XDP_THROTTLE_BPFFS overrides
/sys/fs/bpf). 'xdp-throttle VERB --help' explains each verb with examples.

examples:
  xdp-throttle attach eth0
  xdp-throttle ip deny add 203.0.113.0/24 2001:db8:bad::/48
  xdp-throttle limit spike --rate 100 --burst 200
  xdp-throttle stats --watch 1
)";

using Runner = int (*)(const xt::cli::Args&);

}  // namespace

int main(int argc, char** argv) {
    const std::map<std::string, Runner> verbs{
        {"attach", xt::cli::run_attach}, {"detach", xt::cli::run_detach},
        {"status", xt::cli::run_status}, {"ip", xt::cli::run_ip},
        {"ban", xt::cli::run_ban},       {"limit", xt::cli::run_limit},
        {"stats", xt::cli::run_stats},   {"top", xt::cli::run_top},
        {"check-config", xt::cli::run_check_config},
    };
    if (argc < 2) {
        fmt::print(stderr, "{}", kUsage);
        return 2;
    }
    const std::string verb = argv[1];
    if (verb == "--help" || verb == "-h" || verb == "help") {
        fmt::print("{}", kUsage);
        return 0;
    }
    if (verb == "--version") {
        fmt::print("xdp-throttle 0.1.0\n");
        return 0;
    }
    const auto it = verbs.find(verb);
    try {
        if (it == verbs.end())
            throw xt::cli::UsageError(fmt::format("unknown verb '{}'", verb), "");
        return it->second(xt::cli::Args(argv + 2, argv + argc));
    } catch (const xt::cli::UsageError& e) {
        fmt::print(stderr, "xdp-throttle: {}\n(see 'xdp-throttle {}--help')\n", e.what(),
                   e.verb.empty() ? "" : e.verb + " ");
        return 2;
    } catch (const xt::cli::CommandError& e) {
        fmt::print(stderr, "xdp-throttle: {}\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "xdp-throttle: {}\n", e.what());
        return 1;
    }
}
