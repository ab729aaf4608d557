// limit spike, limit syn, limit off, limit clock, limit show.
#include <fmt/format.h>

#include "cli.hpp"
#include "input/validation.hpp"
#include "input/duration.hpp"
#include "common/rate.hpp"

namespace xt::cli {
namespace {

constexpr const char* kLimitHelp = R"(usage: xdp-throttle limit spike --rate N [--every DURATION] --burst N [--per address|prefix]
                                [--prefix-v4 N] [--prefix-v6 N] [--iface IFACE]
       xdp-throttle limit syn --rate N --burst N [--every DURATION]
                              [--global-rate N --global-burst N] [--iface IFACE]
       xdp-throttle limit off (spike|syn) [--iface IFACE]
       xdp-throttle limit clock (exact|coarse) [--iface IFACE]
       xdp-throttle limit show [--json] [--iface IFACE]

Token buckets: N tokens per DURATION (default 1s), holding at most --burst, starting full. In any
window of length t a source gets at most burst + rate*t/every packets through.
  spike  every packet of a source (spike arrest); --per prefix shares one bucket per /24 (IPv4)
         and /64 (IPv6) unless --prefix-v4/--prefix-v6 say otherwise
  syn    TCP SYNs (no ACK) per source; --global-rate/--global-burst add one bucket for all SYNs
         together, which holds a flood from random spoofed sources. Without them the global
         bucket is off: the command sets the whole SYN stage.
  clock  the clock the buckets and ban deadlines read. exact (the default): CLOCK_MONOTONIC, the
         bound above holds exactly. coarse: CLOCK_MONOTONIC_COARSE, about 15 ns cheaper a packet
         that needs the time, but up to one kernel tick (1/HZ, 4 ms at HZ=250) behind: in a window
         t a bucket may admit up to rate*tick/every more than burst + rate*t/every (at 100/s and
         HZ=250: 0.4 of a packet), and a ban may last up to one tick longer. Limits and rules are
         kept; only the clock changes.
'limit off syn' turns off both SYN buckets.

examples:
  xdp-throttle limit spike --rate 100 --burst 200
  xdp-throttle limit spike --rate 1000 --every 1m --burst 50 --per prefix --prefix-v4 24
  xdp-throttle limit syn --rate 20 --burst 40 --global-rate 5000 --global-burst 10000
  xdp-throttle limit off spike
  xdp-throttle limit clock coarse
  xdp-throttle limit show --json
)";

nlohmann::json rate_json(const xt_rate& r) {
    if (!rate_enabled(r)) return nullptr;
    return {{"rate", r.rate}, {"every_ns", r.every_ns}, {"burst", r.burst}};
}

std::string rate_text(const xt_rate& r) {
    if (!rate_enabled(r)) return "off";
    return fmt::format("{} per {}, burst {}", r.rate, format_duration(r.every_ns), r.burst);
}

int show_command(const ParsedArgs& parsed) {
    if (parsed.positionals.size() != 1) throw UsageError("limit show takes no further arguments", "limit");
    auto session = open_maps(parsed, /*mutating=*/false);
    const auto c = unwrap(read_config(session.maps));
    const bool per_prefix = (c.flags & XT_CFG_SPIKE_PER_PREFIX) != 0;
    if (parsed.flag("json")) {
        nlohmann::json spike = rate_json(c.spike);
        if (!spike.is_null()) {
            spike["per"] = per_prefix ? "prefix" : "address";
            spike["prefix_v4"] = c.spike_prefix_v4;
            spike["prefix_v6"] = c.spike_prefix_v6;
        }
        print_json({{"spike", spike},
                    {"syn", rate_json(c.syn)},
                    {"syn_global", rate_json(c.syn_global)},
                    {"clock", std::string(clock_mode_name(config_clock_mode(c)))}});
        return 0;
    }
    fmt::print("{}:\n", session.maps.iface);
    fmt::print("  spike       {}", rate_text(c.spike));
    if (rate_enabled(c.spike))
        fmt::print("{}", per_prefix ? fmt::format(", per prefix (/{} IPv4, /{} IPv6)", c.spike_prefix_v4,
                                                  c.spike_prefix_v6)
                                    : std::string(", per address"));
    fmt::print("\n  syn         {} (per source)\n  syn global  {}\n  clock       {}\n",
               rate_text(c.syn), rate_text(c.syn_global), clock_mode_name(config_clock_mode(c)));
    return 0;
}

}  // namespace

int run_limit(const Args& args) {
    po::options_description options("limit options");
    add_iface_option(options);
    options.add_options()("rate", po::value<std::string>(), "tokens per period")(
        "every", po::value<std::string>(), "the period (default 1s)")(
        "burst", po::value<std::string>(), "bucket capacity")(
        "per", po::value<std::string>(), "spike: address (default) or prefix")(
        "prefix-v4", po::value<std::string>(), "spike --per prefix: IPv4 prefix length")(
        "prefix-v6", po::value<std::string>(), "spike --per prefix: IPv6 prefix length")(
        "global-rate", po::value<std::string>(), "syn: SYNs per period, all sources together")(
        "global-burst", po::value<std::string>(), "syn: global bucket capacity")(
        "json", "print JSON (limit show)");
    const auto parsed = parse_args(args, options, "limit");
    if (parsed.help) {
        fmt::print("{}", kLimitHelp);
        return 0;
    }
    if (parsed.positionals.empty()) throw UsageError("limit needs spike, syn, off, clock or show", "limit");
    const std::string& what = parsed.positionals[0];
    if (what == "show") return show_command(parsed);

    auto refuse = [&](std::initializer_list<const char*> names) {
        for (const char* name : names)
            if (parsed.vm.count(name))
                throw UsageError(fmt::format("--{} does not apply to 'limit {}'", name, what), "limit");
    };
    auto require = [&](std::initializer_list<const char*> names) {
        for (const char* name : names)
            if (!parsed.vm.count(name))
                throw UsageError(fmt::format("limit {} needs --{} N", what, name), "limit");
    };
    if (what == "spike") {
        if (parsed.positionals.size() != 1) throw UsageError("limit spike takes only options", "limit");
        require({"rate", "burst"});
        refuse({"global-rate", "global-burst", "json"});
        const auto settings = unwrap(validate_spike({parsed.value("rate"), parsed.value("every"),
                                                     parsed.value("burst"), parsed.value("per"),
                                                     parsed.value("prefix-v4"),
                                                     parsed.value("prefix-v6")}));
        auto session = open_maps(parsed, /*mutating=*/true);
        const auto config =
            unwrap(update_config(session.maps, [&](xt_config& c) { apply_spike(c, settings); }));
        fmt::print("{}: spike arrest {}{}\n", session.maps.iface, rate_text(config.spike),
                   settings.per_prefix ? fmt::format(", per prefix (/{} IPv4, /{} IPv6)",
                                                     config.spike_prefix_v4, config.spike_prefix_v6)
                                       : ", per address");
        return 0;
    }
    if (what == "syn") {
        if (parsed.positionals.size() != 1) throw UsageError("limit syn takes only options", "limit");
        require({"rate", "burst"});
        refuse({"per", "prefix-v4", "prefix-v6", "json"});
        const auto settings = unwrap(validate_syn({parsed.value("rate"), parsed.value("burst"),
                                                   parsed.value("every"), parsed.value("global-rate"),
                                                   parsed.value("global-burst")}));
        auto session = open_maps(parsed, /*mutating=*/true);
        const auto config =
            unwrap(update_config(session.maps, [&](xt_config& c) { apply_syn(c, settings); }));
        fmt::print("{}: SYN limit {} per source; global {}\n", session.maps.iface,
                   rate_text(config.syn), rate_text(config.syn_global));
        return 0;
    }
    if (what == "off") {
        if (parsed.positionals.size() != 2) throw UsageError("limit off needs 'spike' or 'syn'", "limit");
        refuse({"rate", "every", "burst", "per", "prefix-v4", "prefix-v6", "global-rate",
                "global-burst", "json"});
        const LimitStage stage = unwrap(parse_limit_stage(parsed.positionals[1]));
        auto session = open_maps(parsed, /*mutating=*/true);
        unwrap(update_config(session.maps, [&](xt_config& c) { apply_limit_off(c, stage); }));
        fmt::print("{}: {} off\n", session.maps.iface,
                   stage == LimitStage::spike ? "spike arrest" : "SYN limits (per source and global)");
        return 0;
    }
    if (what == "clock") {
        if (parsed.positionals.size() != 2)
            throw UsageError("limit clock needs 'exact' or 'coarse'", "limit");
        refuse({"rate", "every", "burst", "per", "prefix-v4", "prefix-v6", "global-rate",
                "global-burst", "json"});
        const ClockMode mode = unwrap(parse_clock_mode(parsed.positionals[1]));
        auto session = open_maps(parsed, /*mutating=*/true);
        unwrap(update_config(session.maps, [&](xt_config& c) { apply_clock_mode(c, mode); }));
        fmt::print("{}: clock {}{}\n", session.maps.iface, clock_mode_name(mode),
                   mode == ClockMode::coarse
                       ? " (CLOCK_MONOTONIC_COARSE: buckets may admit up to rate * one tick more)"
                       : " (CLOCK_MONOTONIC: buckets exact)");
        return 0;
    }
    throw UsageError(fmt::format("limit {}: expected spike, syn, off, clock or show", what), "limit");
}

}  // namespace xt::cli
