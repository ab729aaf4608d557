// bot-check --config FILE [--endpoint PATH] UA...: judges User-Agents with the config's bot
// detectors, the way the gateway would, and touches nothing (no map, no daemon, no privileges).
#include <fmt/format.h>

#include <optional>

#include "verbs.hpp"
#include "config/load_config.hpp"
#include "policy/bot_detector.hpp"

namespace xt::cli {
namespace {

// One detector of the config and where it sits: the root one sees every request first, then the
// endpoint's (as in the gateway's request path).
struct Scope {
    std::string name;  // "service" or the endpoint's path
    policy::BotDetector detector;
};

std::vector<Scope> scopes_of(const config::Config& config, const std::optional<std::string>& endpoint) {
    std::vector<Scope> scopes;
    if (config.bot_detector)
        scopes.push_back({"service", unwrap(policy::BotDetector::create(*config.bot_detector))});
    if (endpoint) {
        const config::Endpoint* found = nullptr;
        for (const auto& ep : config.endpoints)
            if (ep.pattern == *endpoint && (!found || (!found->bot_detector && ep.bot_detector))) found = &ep;
        if (!found) throw CommandError(fmt::format("no endpoint \"{}\" in the config", *endpoint));
        if (found->bot_detector)
            scopes.push_back({*endpoint, unwrap(policy::BotDetector::create(*found->bot_detector))});
    }
    if (scopes.empty())
        throw CommandError(endpoint ? fmt::format("neither the root nor endpoint \"{}\" has a "
                                                  "security/bot-detector", *endpoint)
                                    : std::string("the config has no root security/bot-detector "
                                                  "(name an endpoint with --endpoint PATH)"));
    return scopes;
}

struct Judgment {
    const Scope* scope = nullptr;  // the detector that decided (the last one when none said bot)
    policy::BotVerdict verdict;
};

Judgment judge(std::vector<Scope>& scopes, const std::string& ua) {
    Judgment j;
    for (auto& scope : scopes) {
        j = {&scope, scope.detector.judge(ua)};
        if (j.verdict.bot) break;
    }
    return j;
}

std::string reason(const Judgment& j) {
    const policy::BotVerdict& v = j.verdict;
    std::string text;
    switch (v.by) {
    case policy::BotRule::empty: text = "empty User-Agent"; break;
    case policy::BotRule::allow: text = "in allow"; break;
    case policy::BotRule::deny: text = "in deny"; break;
    case policy::BotRule::pattern:
        text = fmt::format("pattern {} \"{}\"", v.pattern, j.scope->detector.patterns()[v.pattern]);
        break;
    case policy::BotRule::none: text = "no rule matched"; break;
    }
    return fmt::format("{} ({}{})", text, j.scope->name, v.cached ? ", from the cache" : "");
}

nlohmann::json to_json(const std::string& ua, const Judgment& j) {
    nlohmann::json out{{"user_agent", ua},
                       {"bot", j.verdict.bot},
                       {"by", policy::to_string(j.verdict.by)},
                       {"scope", j.scope->name},
                       {"cached", j.verdict.cached}};
    if (j.verdict.by == policy::BotRule::pattern) {
        out["pattern_index"] = j.verdict.pattern;
        out["pattern"] = j.scope->detector.patterns()[j.verdict.pattern];
    }
    return out;
}

}  // namespace

int run_bot_check(const ParsedArgs& parsed) {
    const auto path = parsed.value("config");
    if (!path) throw UsageError("bot-check needs --config FILE", "bot-check");
    if (parsed.positionals.empty()) throw UsageError("bot-check needs at least one UA", "bot-check");
    const config::Config config = unwrap(config::load_config(*path));
    std::vector<Scope> scopes = scopes_of(config, parsed.value("endpoint"));
    nlohmann::json all = nlohmann::json::array();
    for (const auto& ua : parsed.positionals) {
        const Judgment j = judge(scopes, ua);
        if (parsed.flag("json"))
            all.push_back(to_json(ua, j));
        else
            fmt::print("{:<4} \"{}\": {}\n", j.verdict.bot ? "bot" : "ok", ua, reason(j));
    }
    if (parsed.flag("json")) print_json(all);
    return 0;
}

}  // namespace xt::cli
