// KrakenD's bot detector (`security/bot-detector`), judging one User-Agent in KrakenD's order:
//   0. cache_size > 0: an LRU cache keyed by the whole User-Agent string is consulted first
//   1. empty or missing User-Agent  -> bot iff empty_user_agent_is_bot; nothing else is checked
//   2. `allow`, exact and case-sensitive -> not a bot
//   3. `deny`, exact                      -> bot
//   4. `patterns` (RE2 syntax, unanchored search like Go's regexp.MatchString) -> bot
//   5. otherwise not a bot
// Unlike KrakenD, the verdict says what decided it (the rule, the pattern's index), so a 403 can be
// explained and counted per cause. All patterns run in one pass (RE2::Set): operators paste public
// lists of ~1,500 crawler patterns, and a loop of 1,500 regex searches per request would not keep up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/gateway_config.hpp"
#include "http/message.hpp"

namespace xt::policy {

// What decided a verdict.
enum class BotRule { empty, allow, deny, pattern, none };
const char* to_string(BotRule rule);

struct BotVerdict {
    bool bot = false;
    BotRule by = BotRule::none;
    std::size_t pattern = 0;  // by == pattern: the lowest index of the patterns that matched
    bool cached = false;      // answered by the LRU cache (by/pattern are those of the first judgment)
};

// Verdicts counted per cause; `cache_hits` counts every answer the cache gave (bot or not).
struct BotCounters {
    uint64_t empty = 0;
    uint64_t deny = 0;
    uint64_t pattern = 0;
    uint64_t cache_hits = 0;
    uint64_t bots() const { return empty + deny + pattern; }
    void add(const BotVerdict& verdict);
};

// The first User-Agent field of a request ("" when there is none), as Go's Header.Get reads it.
std::string_view first_user_agent(const std::vector<http::HeaderField>* headers);

class BotDetector {
public:
    // Compiles the patterns into one RE2::Set. Fails only on a pattern the config loader would
    // have refused (its validator compiles with the same options).
    static Result<BotDetector> create(const config::BotDetector& config);
    ~BotDetector();
    BotDetector(BotDetector&&) noexcept;
    BotDetector& operator=(BotDetector&&) noexcept;

    // Not const: the cache learns.
    BotVerdict judge(std::string_view user_agent);

    const std::vector<std::string>& patterns() const;

private:
    BotDetector();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xt::policy
