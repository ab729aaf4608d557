// `autoban`: field by field in examples/README.md, semantics in userspace/policy/autoban.hpp.
#include "autoban_block.hpp"

#include <fmt/format.h>

namespace xt::config {

namespace {

// A window holds one timestamp per counted rejection: the bound keeps a window's memory small.
constexpr uint64_t kMaxCount = 1000;

std::optional<AutobanRule> parse_rule(const json& block, const JsonPath& at, Problems& problems) {
    return read_closed_block<AutobanRule>(
        block, at, problems, {"on", "count", "within", "ban_for"},
        [&](Fields& fields) -> std::optional<AutobanRule> {
            AutobanRule rule;
            rule.json_path = at.str();
            if (auto on = fields.string("on", true)) {
                if (*on == "client_limit")
                    rule.on = AutobanOn::client_limit;
                else if (*on == "bot")
                    rule.on = AutobanOn::bot;
                else
                    problems.error(at / "on", fmt::format("expected \"client_limit\" (429s of a client "
                                                          "rate limit) or \"bot\" (403s of the bot "
                                                          "detector), got {}", quote(*on)));
            }
            const auto count = fields.positive("count", kMaxCount);
            if (count) rule.count = *count;
            const bool count_ok = count || !fields.has("count");
            if (auto within = fields.duration_ns("within")) rule.within_ns = *within;
            if (count_ok && rule.count > 1 && rule.within_ns == 0 && !fields.has("within"))
                problems.error(at / "within", fmt::format("required when count is more than 1: the "
                                                          "sliding window the {} rejections must fall "
                                                          "in (e.g. \"10s\")", rule.count));
            if (count_ok && rule.count == 1 && rule.within_ns != 0)
                problems.warn(at / "within", "has no effect with count 1 (the first rejection bans)");
            if (auto ban_for = fields.duration_ns("ban_for"))
                rule.ban_for_ns = *ban_for;
            else if (!fields.has("ban_for"))
                problems.error(at / "ban_for", "required: expected a duration such as \"5m\"");
            return rule;
        });
}

}  // namespace

const char* to_string(AutobanOn on) {
    switch (on) {
    case AutobanOn::client_limit: return "client_limit";
    case AutobanOn::bot: return "bot";
    }
    return "?";
}

Autoban parse_autoban(const json& block, const JsonPath& at, Problems& problems) {
    Autoban out;
    Fields fields(block, at, problems);
    if (!fields.valid()) return out;
    fields.reject_unknown({"rules", "never", "max_bans_per_minute", "max_windows"});
    const json* rules = fields.typed("rules", true, "a non-empty array of rules",
                                     [](const json& j) { return j.is_array() && !j.empty(); });
    if (rules)
        for (std::size_t i = 0; i < rules->size(); ++i)
            if (auto rule = parse_rule((*rules)[i], (at / "rules")[i], problems))
                out.rules.push_back(std::move(*rule));
    if (auto never = fields.cidr_list("never")) out.never = std::move(*never);
    if (auto v = fields.positive("max_bans_per_minute", 1'000'000)) out.max_bans_per_minute = *v;
    if (auto v = fields.positive("max_windows", 16'777'216)) out.max_windows = *v;
    return out;
}

void note_autoban_reach(const Config& config, Problems& problems) {
    struct ClientLimitAt {
        std::string path;
        const ClientRateLimit* limit;
    };
    std::vector<ClientLimitAt> client_limits;
    if (config.service_limit && config.service_limit->client)
        client_limits.push_back({(JsonPath() / "extra_config" / "qos/ratelimit/service").str(),
                                 &*config.service_limit->client});
    bool any_bot_detector = config.bot_detector.has_value();
    for (const auto& ep : config.endpoints) {
        if (ep.router_limit && ep.router_limit->client)
            client_limits.push_back({ep.json_path + ".extra_config[\"qos/ratelimit/router\"]",
                                     &*ep.router_limit->client});
        any_bot_detector = any_bot_detector || ep.bot_detector.has_value();
    }
    for (const auto& rule : config.gateway.autoban.rules) {
        auto note = [&](const std::string& what) {
            problems.warnings.push_back(fmt::format("{}: {}", rule.json_path, what));
        };
        if (rule.on == AutobanOn::bot) {
            if (!any_bot_detector)
                note("no security/bot-detector in this config: the rule never fires");
            continue;
        }
        if (client_limits.empty()) note("no client rate limit in this config: the rule never fires");
        for (const auto& [path, limit] : client_limits) {
            if (limit->strategy != ClientStrategy::ip)
                note(fmt::format("cannot apply to {}: its clients are identified by {} \"{}\", not by "
                                 "their address, and only an address can be banned at L3",
                                 path, to_string(limit->strategy), limit->key));
            else if (!limit->key.empty() && !config.gateway.trusted_proxies.empty())
                note(fmt::format("applies to {} only for clients that connect directly: a client "
                                 "behind trusted_proxies (identified by {}) is never banned, nor are "
                                 "the proxies", path, limit->key));
        }
    }
}

}  // namespace xt::config
