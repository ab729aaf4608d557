// qos/circuit-breaker and security/bot-detector: parsed and validated (KrakenD's schema:
// additionalProperties false, integer fields, RE2 patterns); the bot detector is enforced by
// policy/bot_detector.cpp, the breaker by policy/circuit_breaker.cpp.
#include <fmt/format.h>
#include <re2/re2.h>

#include "config/bot_patterns.hpp"

#include "qos_blocks.hpp"

namespace xt::config {

std::optional<CircuitBreaker> parse_circuit_breaker(const json& block, const JsonPath& at,
                                                    Problems& problems) {
    return read_closed_block<CircuitBreaker>(
        block, at, problems, {"interval", "timeout", "max_errors", "log_status_change", "name"},
        [](Fields& fields) {
            CircuitBreaker cb;
            // Seconds, as in KrakenD (plain integers, not duration strings). One day is far beyond
            // any useful window and keeps the nanosecond arithmetic of the enforcement stage safe.
            constexpr uint64_t kMaxSeconds = 86400;
            if (auto v = fields.whole("interval", true, kMaxSeconds)) cb.interval_s = *v;
            if (auto v = fields.whole("timeout", true, kMaxSeconds)) cb.timeout_s = *v;
            if (auto v = fields.whole("max_errors", true, UINT32_MAX)) cb.max_errors = *v;
            if (auto v = fields.boolean("log_status_change")) cb.log_status_change = *v;
            if (auto v = fields.string("name")) cb.name = *v;
            return cb;
        });
}

std::optional<CircuitBreaker> parse_legacy_circuit_breaker(const json& block, const JsonPath& at,
                                                           Problems& problems) {
    if (!block.is_object()) {
        problems.warn(at, fmt::format("{}: not an object, so KrakenD builds no breaker; neither do we",
                                      describe(block)));
        return std::nullopt;
    }
    // Go's int(float64) truncates; we also keep the bounds parse_circuit_breaker keeps.
    const auto seconds = [&](const char* key, uint64_t max) -> uint64_t {
        const auto it = block.find(key);
        if (it == block.end() || !it->is_number()) return 0;
        const double d = it->get<double>();
        return d <= 0 ? 0 : d >= static_cast<double>(max) ? max : static_cast<uint64_t>(d);
    };
    CircuitBreaker cb;
    cb.interval_s = seconds("interval", 86400);
    cb.timeout_s = seconds("timeout", 86400);
    cb.max_errors = seconds("max_errors", UINT32_MAX);
    if (auto it = block.find("name"); it != block.end() && it->is_string()) cb.name = it->get<std::string>();
    if (auto it = block.find("log_status_change"); it != block.end() && it->is_boolean())
        cb.log_status_change = it->get<bool>();
    if (cb.interval_s == 0 && cb.timeout_s == 0 && cb.max_errors == 0 && cb.name.empty() &&
        !cb.log_status_change) {
        problems.warn(at, "all zero (no interval, timeout or max_errors), so KrakenD builds no "
                          "breaker; neither do we");
        return std::nullopt;
    }
    for (const auto& [key, value] : block.items())
        if (!is_annotation_key(key) && key != "interval" && key != "timeout" && key != "max_errors" &&
            key != "name" && key != "log_status_change")
            problems.warn(at / key, "unknown field, ignored (as KrakenD ignores it under this 1.x name)");
    return cb;
}

std::optional<BotDetector> parse_bot_detector(const json& block, const JsonPath& at,
                                              Problems& problems) {
    return read_closed_block<BotDetector>(
        block, at, problems, {"allow", "deny", "patterns", "cache_size", "empty_user_agent_is_bot"},
        [&](Fields& fields) {
            BotDetector bot;
            if (auto v = fields.string_list("allow")) bot.allow = *v;
            if (auto v = fields.string_list("deny")) bot.deny = *v;
            if (auto v = fields.string_list("patterns")) bot.patterns = *v;
            if (auto v = fields.whole("cache_size", false, 100'000'000)) bot.cache_size = *v;
            if (auto v = fields.boolean("empty_user_agent_is_bot")) bot.empty_user_agent_is_bot = *v;
            // KrakenD compiles the patterns with Go's regexp (RE2 syntax) and refuses to start on a
            // bad one.
            const RE2::Options options = bot_pattern_options();
            for (std::size_t i = 0; i < bot.patterns.size(); ++i) {
                RE2 re(bot.patterns[i], options);
                if (!re.ok())
                    problems.error((at / "patterns")[i],
                                   fmt::format("expected a regular expression (RE2/Go syntax): {}",
                                               re.error()));
            }
            return bot;
        });
}

}  // namespace xt::config
