// ban add, ban del, ban list.
#include <fmt/format.h>

#include "verbs.hpp"
#include "input/validation.hpp"
#include "input/duration.hpp"

namespace xt::cli {
namespace {

uint64_t expires_in_ns(const BanEntry& entry, uint64_t now) {
    return entry.ban.deadline_ns > now ? entry.ban.deadline_ns - now : 0;
}

int list_command(const ParsedArgs& parsed) {
    if (parsed.positionals.size() != 1) throw UsageError("ban list takes no further arguments", "ban");
    auto session = open_maps(parsed, /*mutating=*/false);
    const auto config = unwrap(read_config(session.maps));
    const auto bans = unwrap(list_bans(session.maps));
    const uint64_t now = program_clock_ns(config);
    if (parsed.flag("json")) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& b : bans)
            out.push_back({{"address", format_address(b.address)},
                           {"reason", ban_reason(b.ban)},
                           {"origin", ban_origin_name(b.ban.origin)},
                           {"expires_in_ms", expires_in_ns(b, now) / 1000000},
                           {"hits", b.ban.hits}});
        print_json(out);
        return 0;
    }
    fmt::print("{}: {} active ban{}\n", session.maps.iface, bans.size(), bans.size() == 1 ? "" : "s");
    if (bans.empty()) return 0;
    fmt::print("  {:<40} {:>12} {:<10} {:>10}  {}\n", "address", "expires in", "origin", "hits", "reason");
    for (const auto& b : bans) {
        // Rounded up to whole milliseconds so a live ban never shows "0s".
        const uint64_t ms = (expires_in_ns(b, now) + 999999) / 1000000;
        fmt::print("  {:<40} {:>12} {:<10} {:>10}  {}\n", format_address(b.address),
                   format_duration(ms >= 1000 ? ms / 1000 * 1000000000ull : ms * 1000000ull),
                   ban_origin_name(b.ban.origin), b.ban.hits, ban_reason(b.ban));
    }
    return 0;
}

}  // namespace

int run_ban(const ParsedArgs& parsed) {
    const std::string& action = action_of(parsed, "ban", "add, del or list");
    const std::vector<std::string> values(parsed.positionals.begin() + 1, parsed.positionals.end());
    if (action == "list") return list_command(parsed);
    if (action == "add") {
        if (values.empty()) throw UsageError("ban add needs at least one address", "ban");
        if (!parsed.value("for")) throw UsageError("ban add needs --for DURATION (e.g. --for 10m)", "ban");
        const auto settings = unwrap(validate_ban({values, parsed.value("for"), parsed.value("reason")}));
        auto session = open_maps(parsed, /*mutating=*/true);
        unwrap(reap_expired_bans(session.maps));
        unwrap(add_bans(session.maps, settings.addresses, settings.duration_ns, settings.reason,
                        XT_BAN_BY_OPERATOR));
        fmt::print("{}: {} address{} banned for {}\n", session.maps.iface, settings.addresses.size(),
                   settings.addresses.size() == 1 ? "" : "es", format_duration(settings.duration_ns));
        return 0;
    }
    if (action == "del") {
        if (values.empty()) throw UsageError("ban del needs at least one address", "ban");
        if (parsed.value("for") || parsed.value("reason"))
            throw UsageError("--for and --reason only apply to ban add", "ban");
        const auto addresses = unwrap(parse_address_list(values));
        auto session = open_maps(parsed, /*mutating=*/true);
        unwrap(reap_expired_bans(session.maps));
        unwrap(delete_bans(session.maps, addresses));
        fmt::print("{}: {} ban{} lifted\n", session.maps.iface, addresses.size(),
                   addresses.size() == 1 ? "" : "s");
        return 0;
    }
    throw UsageError(fmt::format("ban {}: expected add, del or list", action), "ban");
}

}  // namespace xt::cli
