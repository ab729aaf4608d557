// ip (deny|allow) (add|del|load), ip list, ip policy.
#include <fmt/format.h>

#include "verbs.hpp"
#include "input/validation.hpp"
#include "input/rule_file.hpp"

namespace xt::cli {
namespace {

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
    const auto policy = kPolicy.name(kPolicy.read(config));
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
    const Policy policy = unwrap(kPolicy.parse(parsed.positionals[1]));
    auto session = open_maps(parsed, /*mutating=*/true);
    unwrap(update_config(session.maps, [&](xt_config& c) { kPolicy.write(c, policy); }));
    fmt::print("{}: policy {}{}\n", session.maps.iface, kPolicy.name(policy),
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

int run_ip(const ParsedArgs& parsed) {
    const std::string& what = action_of(parsed, "ip", "deny, allow, list or policy");
    if (what == "list") return list_command(parsed);
    if (what == "policy") return policy_command(parsed);
    return edit_command(parsed);
}

}  // namespace xt::cli
