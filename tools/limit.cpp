// limit spike, limit syn, limit off, limit clock, limit show.
#include <fmt/format.h>

#include "verbs.hpp"
#include "input/validation.hpp"
#include "input/duration.hpp"
#include "common/rate.hpp"

namespace xt::cli {
namespace {

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
                    {"clock", std::string(kClockMode.name(kClockMode.read(c)))}});
        return 0;
    }
    fmt::print("{}:\n", session.maps.iface);
    fmt::print("  spike       {}", rate_text(c.spike));
    if (rate_enabled(c.spike))
        fmt::print("{}", per_prefix ? fmt::format(", per prefix (/{} IPv4, /{} IPv6)", c.spike_prefix_v4,
                                                  c.spike_prefix_v6)
                                    : std::string(", per address"));
    fmt::print("\n  syn         {} (per source)\n  syn global  {}\n  clock       {}\n",
               rate_text(c.syn), rate_text(c.syn_global), kClockMode.name(kClockMode.read(c)));
    return 0;
}

void refuse(const ParsedArgs& parsed, const std::string& what, std::initializer_list<const char*> names) {
    for (const char* name : names)
        if (parsed.vm.count(name))
            throw UsageError(fmt::format("--{} does not apply to 'limit {}'", name, what), "limit");
}

void require(const ParsedArgs& parsed, const std::string& what, std::initializer_list<const char*> names) {
    for (const char* name : names)
        if (!parsed.vm.count(name)) throw UsageError(fmt::format("limit {} needs --{} N", what, name), "limit");
}

// 'limit off' and 'limit clock' take one word (`expected` names the choices) and no option but --iface.
const std::string& word_argument(const ParsedArgs& parsed, const std::string& what, std::string_view expected) {
    if (parsed.positionals.size() != 2)
        throw UsageError(fmt::format("limit {} needs {}", what, expected), "limit");
    refuse(parsed, what, {"rate", "every", "burst", "per", "prefix-v4", "prefix-v6", "global-rate",
                          "global-burst", "json"});
    return parsed.positionals[1];
}

}  // namespace

int run_limit(const ParsedArgs& parsed) {
    const std::string& what = action_of(parsed, "limit", "spike, syn, off, clock or show");
    if (what == "show") return show_command(parsed);

    if (what == "spike") {
        if (parsed.positionals.size() != 1) throw UsageError("limit spike takes only options", "limit");
        require(parsed, what, {"rate", "burst"});
        refuse(parsed, what, {"global-rate", "global-burst", "json"});
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
        require(parsed, what, {"rate", "burst"});
        refuse(parsed, what, {"per", "prefix-v4", "prefix-v6", "json"});
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
        const LimitStage stage = unwrap(parse_limit_stage(word_argument(parsed, what, "'spike' or 'syn'")));
        auto session = open_maps(parsed, /*mutating=*/true);
        unwrap(update_config(session.maps, [&](xt_config& c) { apply_limit_off(c, stage); }));
        fmt::print("{}: {} off\n", session.maps.iface,
                   stage == LimitStage::spike ? "spike arrest" : "SYN limits (per source and global)");
        return 0;
    }
    if (what == "clock") {
        const ClockMode mode = unwrap(kClockMode.parse(word_argument(parsed, what, "'exact' or 'coarse'")));
        auto session = open_maps(parsed, /*mutating=*/true);
        unwrap(update_config(session.maps, [&](xt_config& c) { kClockMode.write(c, mode); }));
        fmt::print("{}: clock {}{}\n", session.maps.iface, kClockMode.name(mode),
                   mode == ClockMode::coarse
                       ? " (CLOCK_MONOTONIC_COARSE: buckets may admit up to rate * one tick more)"
                       : " (CLOCK_MONOTONIC: buckets exact)");
        return 0;
    }
    throw UsageError(fmt::format("limit {}: expected spike, syn, off, clock or show", what), "limit");
}

}  // namespace xt::cli
