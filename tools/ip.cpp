// ip (deny|allow) (add|del|load), ip list, ip policy.
#include <fmt/format.h>

#include "cli.hpp"
#include "input/validation.hpp"
#include "input/rule_file.hpp"

namespace xt::cli {
namespace {

constexpr const char* kIpHelp = R"(usage: xdp-throttle ip (deny|allow) (add|del) CIDR... [--iface IFACE]
       xdp-throttle ip (deny|allow) load FILE|- [--iface IFACE]
       xdp-throttle ip list [--json] [--iface IFACE]
       xdp-throttle ip policy (deny|allow) [--iface IFACE]

IP filter by source address, IPv4 and IPv6, longest prefix match. A bare address is a /32 or /128;
a CIDR with host bits set is refused (10.0.0.1/8 -> did you mean 10.0.0.0/8?).
  policy deny  (default) sources in the deny list are dropped, everything else continues
  policy allow only sources in the allow list continue; the deny list still applies to them
'load' reads one CIDR a line ('#' starts a comment; '-' is standard input) and adds them all, or
none if any line is bad. Every command validates all its values before changing anything.

examples:
  xdp-throttle ip deny add 203.0.113.0/24 198.51.100.7 2001:db8:bad::/48
  xdp-throttle ip deny del 198.51.100.7
  xdp-throttle ip deny load /etc/blocklist.txt
  curl -s https://example.net/drop.txt | xdp-throttle ip deny load -
  xdp-throttle ip allow add 10.0.0.0/8 && xdp-throttle ip policy allow
  xdp-throttle ip list --json
)";

RuleList parse_list(const std::string& word) {
    if (word == "deny") return RuleList::deny;
    if (word == "allow") return RuleList::allow;
    throw UsageError(fmt::format("ip {}: expected deny, allow, list or policy", word), "ip");
}

nlohmann::json rules_json(const std::vector<RuleEntry>& rules) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rules) out.push_back({{"cidr", format_cidr(r.cidr)}, {"hits", r.hits}});
    return out;
}

void print_rules(std::string_view name, const std::vector<RuleEntry>& rules) {
    fmt::print("{} list: {} rule{}\n", name, rules.size(), rules.size() == 1 ? "" : "s");
    for (const auto& r : rules) fmt::print("  {:<45} {:>14} hits\n", format_cidr(r.cidr), r.hits);
}

int list_command(const ParsedArgs& parsed) {
    if (parsed.positionals.size() != 1)
        throw UsageError("ip list takes no further arguments", "ip");
    auto session = open_maps(parsed, /*mutating=*/false);
    const auto config = unwrap(read_config(session.maps));
    const auto deny = unwrap(list_rules(session.maps, RuleList::deny));
    const auto allow = unwrap(list_rules(session.maps, RuleList::allow));
    const auto policy = policy_name(config_policy(config));
    if (parsed.flag("json")) {
        print_json({{"iface", session.maps.iface},
                    {"policy", policy},
                    {"deny", rules_json(deny)},
                    {"allow", rules_json(allow)}});
        return 0;
    }
    fmt::print("interface {}: policy {}\n", session.maps.iface, policy);
    print_rules("deny", deny);
    print_rules("allow", allow);
    return 0;
}

int policy_command(const ParsedArgs& parsed) {
    if (parsed.positionals.size() != 2) throw UsageError("ip policy needs 'deny' or 'allow'", "ip");
    const Policy policy = unwrap(parse_policy(parsed.positionals[1]));
    auto session = open_maps(parsed, /*mutating=*/true);
    unwrap(update_config(session.maps, [&](xt_config& c) { apply_policy(c, policy); }));
    fmt::print("{}: policy {}{}\n", session.maps.iface, policy_name(policy),
               policy == Policy::allow ? " (only sources in the allow list pass)" : "");
    return 0;
}

int edit_command(const ParsedArgs& parsed) {
    const RuleList list = parse_list(parsed.positionals[0]);
    if (parsed.positionals.size() < 2)
        throw UsageError(fmt::format("ip {} needs add, del or load", rule_list_name(list)), "ip");
    const std::string& action = parsed.positionals[1];
    const std::vector<std::string> values(parsed.positionals.begin() + 2, parsed.positionals.end());
    std::vector<Cidr> cidrs;
    if (action == "add" || action == "del") {
        if (values.empty())
            throw UsageError(fmt::format("ip {} {} needs at least one CIDR", rule_list_name(list), action),
                             "ip");
        cidrs = unwrap(parse_cidr_list(values));
    } else if (action == "load") {
        if (values.size() != 1)
            throw UsageError(fmt::format("ip {} load needs one FILE (or - for standard input)",
                                         rule_list_name(list)), "ip");
        auto loaded = load_rule_file(values[0]);
        if (!loaded) throw CommandError(loaded.error().message + "; nothing was applied");
        cidrs = std::move(*loaded);
    } else {
        throw UsageError(fmt::format("ip {} {}: expected add, del or load", rule_list_name(list), action),
                         "ip");
    }
    auto session = open_maps(parsed, /*mutating=*/true);
    if (action == "del") {
        unwrap(delete_rules(session.maps, list, cidrs));
        fmt::print("{}: {} rule{} deleted from the {} list\n", session.maps.iface, cidrs.size(),
                   cidrs.size() == 1 ? "" : "s", rule_list_name(list));
        return 0;
    }
    const auto outcome = unwrap(add_rules(session.maps, list, cidrs));
    fmt::print("{}: {} rule{} added to the {} list{}\n", session.maps.iface, outcome.added,
               outcome.added == 1 ? "" : "s", rule_list_name(list),
               outcome.already_present ? fmt::format(" ({} already present)", outcome.already_present)
                                       : "");
    return 0;
}

}  // namespace

int run_ip(const Args& args) {
    po::options_description options("ip options");
    add_iface_option(options);
    options.add_options()("json", "print JSON (ip list)");
    const auto parsed = parse_args(args, options, "ip");
    if (parsed.help) {
        fmt::print("{}", kIpHelp);
        return 0;
    }
    if (parsed.positionals.empty()) throw UsageError("ip needs deny, allow, list or policy", "ip");
    const std::string& what = parsed.positionals[0];
    if (what == "list") return list_command(parsed);
    if (what == "policy") return policy_command(parsed);
    return edit_command(parsed);
}

}  // namespace xt::cli
