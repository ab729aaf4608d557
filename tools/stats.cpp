// stats, top.
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "verbs.hpp"
#include "input/validation.hpp"

namespace xt::cli {
namespace {

nlohmann::json stats_json(const std::string& iface, const xt_stats& stats) {
    nlohmann::json counters = nlohmann::json::object();
    for (const auto& c : named_counters(stats))
        counters[std::string(c.name)] = {{"packets", c.counter.packets}, {"bytes", c.counter.bytes}};
    return {{"iface", iface}, {"counters", counters}};
}

void print_stats_text(const std::string& iface, const xt_stats& now, const xt_stats* before,
                      double seconds) {
    fmt::print("{}:\n", iface);
    const auto counters = named_counters(now);
    const auto previous = before ? named_counters(*before) : std::vector<NamedCounter>{};
    for (size_t i = 0; i < counters.size(); ++i) {
        const auto& c = counters[i];
        fmt::print("  {:<13} {:>16} packets {:>20} bytes", c.name, c.counter.packets, c.counter.bytes);
        if (before && seconds > 0)
            fmt::print("  {:>12.0f} pps", static_cast<double>(c.counter.packets - previous[i].counter.packets) /
                                              seconds);
        fmt::print("\n");
    }
    std::fflush(stdout);
}

}  // namespace

int run_stats(const ParsedArgs& parsed) {
    expect_no_arguments(parsed, "stats");
    std::optional<uint64_t> watch;
    if (auto w = parsed.value("watch")) watch = unwrap(validate_watch_seconds(*w));
    const bool json = parsed.flag("json");
    auto session = open_maps(parsed, /*mutating=*/false);
    const auto& iface = session.maps.iface;
    if (!watch) {
        const auto stats = unwrap(read_stats(session.maps));
        if (json)
            print_json(stats_json(iface, stats));
        else
            print_stats_text(iface, stats, nullptr, 0);
        return 0;
    }
    std::optional<xt_stats> previous;
    auto last = std::chrono::steady_clock::now();
    for (;;) {
        const auto stats = unwrap(read_stats(session.maps));
        const auto now = std::chrono::steady_clock::now();
        if (json)
            print_json(stats_json(iface, stats), /*one_line=*/true);
        else
            print_stats_text(iface, stats, previous ? &*previous : nullptr,
                             std::chrono::duration<double>(now - last).count());
        previous = stats;
        last = now;
        std::this_thread::sleep_for(std::chrono::seconds(*watch));
    }
}

int run_top(const ParsedArgs& parsed) {
    expect_no_arguments(parsed, "top");
    const size_t count = unwrap(validate_top_count(parsed.value("-n").value_or("10")));
    auto session = open_maps(parsed, /*mutating=*/false);
    const auto top = unwrap(read_top_drops(session.maps, count));
    if (parsed.flag("json")) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& t : top)
            out.push_back({{"source", format_address(t.source)},
                           {"packets", t.packets},
                           {"bytes", t.bytes},
                           {"last_reason", verdict_name(t.last_verdict)}});
        print_json(out);
        return 0;
    }
    fmt::print("{}: top {} dropped source{}\n", session.maps.iface, top.size(), top.size() == 1 ? "" : "s");
    if (top.empty()) return 0;
    fmt::print("  {:<40} {:>14} {:>16}  {}\n", "source", "packets", "bytes", "last reason");
    for (const auto& t : top)
        fmt::print("  {:<40} {:>14} {:>16}  {}\n", format_address(t.source), t.packets, t.bytes,
                   verdict_name(t.last_verdict));
    return 0;
}

}  // namespace xt::cli
