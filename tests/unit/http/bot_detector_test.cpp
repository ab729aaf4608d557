#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/bot_detector.hpp"

using namespace xt::policy;
using xt::http::HeaderField;

namespace {

BotDetector make(xt::config::BotDetector cfg) {
    auto made = BotDetector::create(cfg);
    if (!made) throw std::runtime_error(made.error().message);
    return std::move(*made);
}

// krakend-botdetector's own test configuration (detector_test.go).
xt::config::BotDetector krakend_config() {
    xt::config::BotDetector cfg;
    cfg.deny = {"a", "b"};
    cfg.allow = {"c", "Pingdom.com_bot_version_1.1"};
    cfg.patterns = {R"((Pingdom.com_bot_version_)(\d+)\.(\d+))", R"((facebookexternalhit)/(\d+)\.(\d+))"};
    return cfg;
}

// tests/data/crawler-user-agents.json: the crawler-user-agents list (MIT), 1,500 patterns.
nlohmann::json crawler_list() {
    std::ifstream in(std::filesystem::path(XT_SOURCE_DIR) / "tests" / "data" / "crawler-user-agents.json");
    return nlohmann::json::parse(in);
}

const char* kBrowser =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80";

}  // namespace

TEST(BotDetector, KrakendVectors) {
    struct Case {
        const char* ua;
        bool bot;
        BotRule by;
    };
    const Case cases[] = {
        {"abcd", false, BotRule::none},
        {"", false, BotRule::empty},
        {"c", false, BotRule::allow},
        {"Pingdom.com_bot_version_1.1", false, BotRule::allow},
        {"a", true, BotRule::deny},
        {"b", true, BotRule::deny},
        {"facebookexternalhit/1.1", true, BotRule::pattern},
        {"Pingdom.com_bot_version_1.2", true, BotRule::pattern},
    };
    for (std::size_t cache : {0u, 100u}) {
        auto cfg = krakend_config();
        cfg.cache_size = cache;
        BotDetector d = make(cfg);
        for (int round = 0; round < 2; ++round)
            for (const auto& c : cases) {
                const BotVerdict v = d.judge(c.ua);
                EXPECT_EQ(v.bot, c.bot) << c.ua << " cache " << cache;
                EXPECT_EQ(v.by, c.by) << c.ua << " cache " << cache;
                EXPECT_EQ(v.cached, cache > 0 && round == 1) << c.ua;
            }
    }
}

TEST(BotDetector, EmptyUserAgentIsBotChecksNothingElse) {
    auto cfg = krakend_config();
    cfg.empty_user_agent_is_bot = true;
    cfg.allow.push_back("");  // an allowed "" does not matter: the empty rule comes first
    BotDetector d = make(cfg);
    const BotVerdict v = d.judge("");
    EXPECT_TRUE(v.bot);
    EXPECT_EQ(v.by, BotRule::empty);
    EXPECT_FALSE(d.judge("abcd").bot);
}

TEST(BotDetector, AllowAndDenyAreExactAndCaseSensitive) {
    BotDetector d = make(krakend_config());
    EXPECT_FALSE(d.judge("A").bot);
    EXPECT_FALSE(d.judge(" a").bot);
    EXPECT_FALSE(d.judge("C").bot);  // not allowed either: simply no rule
    EXPECT_EQ(d.judge("C").by, BotRule::none);
    // A pattern is case-sensitive too, and searched anywhere in the string (unanchored).
    EXPECT_FALSE(d.judge("FacebookExternalHit/1.1").bot);
    EXPECT_TRUE(d.judge("x facebookexternalhit/2.10 y").bot);
}

TEST(BotDetector, ReportsTheLowestMatchingPatternIndex) {
    xt::config::BotDetector cfg;
    cfg.patterns = {"nomatch", "bot", "spider", "^Mozilla"};
    BotDetector d = make(cfg);
    BotVerdict v = d.judge("Mozilla/5.0 (compatible; spiderbot)");
    EXPECT_TRUE(v.bot);
    EXPECT_EQ(v.by, BotRule::pattern);
    EXPECT_EQ(v.pattern, 1u);
    v = d.judge("Mozilla/5.0 spider");
    EXPECT_EQ(v.pattern, 2u);
    v = d.judge("Mozilla/5.0");
    EXPECT_EQ(v.pattern, 3u);
    EXPECT_EQ(d.patterns()[3], "^Mozilla");
    EXPECT_FALSE(d.judge("curl/8.0 Mozilla").bot);  // ^ anchors at the start, as in Go
}

// Go's regexp takes each byte that is not UTF-8 for U+FFFD, which `.` matches; RE2 alone would not.
TEST(BotDetector, InvalidUtf8MatchesLikeGo) {
    xt::config::BotDetector cfg;
    cfg.patterns = {"^a.b$", "^x.{2}y$", "^p\\x{FFFD}q$"};
    BotDetector d = make(cfg);
    EXPECT_TRUE(d.judge("a\xff" "b").bot);
    EXPECT_TRUE(d.judge("a\xc3\xa9" "b").bot);     // é: one rune
    EXPECT_EQ(d.judge("x\xe2\x82" "y").pattern, 1u);  // a truncated sequence: two runes, as in Go
    EXPECT_EQ(d.judge("x\xed\xa0\x80" "y").bot, false);  // a surrogate: three runes
    EXPECT_EQ(d.judge("x\xc0\xaf" "y").pattern, 1u);  // an overlong '/': two runes
    EXPECT_EQ(d.judge("p\xfe" "q").pattern, 2u);
    EXPECT_FALSE(d.judge("a\xff\xff" "b").bot);
}

TEST(BotDetector, CacheIsLeastRecentlyUsed) {
    xt::config::BotDetector cfg;
    cfg.deny = {"bad"};
    cfg.cache_size = 2;
    BotDetector d = make(cfg);
    EXPECT_FALSE(d.judge("one").cached);
    EXPECT_FALSE(d.judge("bad").cached);
    EXPECT_TRUE(d.judge("one").cached);  // "one" is now the most recent, "bad" the least
    EXPECT_FALSE(d.judge("three").cached);  // evicts "bad"
    const BotVerdict again = d.judge("bad");
    EXPECT_FALSE(again.cached);
    EXPECT_TRUE(again.bot);
    EXPECT_FALSE(d.judge("one").cached);  // evicted by "bad"
    const BotVerdict hit = d.judge("bad");
    EXPECT_TRUE(hit.cached);
    EXPECT_TRUE(hit.bot);
    EXPECT_EQ(hit.by, BotRule::deny);  // the cache keeps what decided
}

TEST(BotDetector, CountersByCause) {
    auto cfg = krakend_config();
    cfg.empty_user_agent_is_bot = true;
    cfg.cache_size = 10;
    BotDetector d = make(cfg);
    BotCounters counters;
    for (const char* ua : {"", "a", "a", "facebookexternalhit/1.1", "c", "c", "abcd"})
        counters.add(d.judge(ua));
    EXPECT_EQ(counters.empty, 1u);
    EXPECT_EQ(counters.deny, 2u);
    EXPECT_EQ(counters.pattern, 1u);
    EXPECT_EQ(counters.bots(), 4u);
    EXPECT_EQ(counters.cache_hits, 2u);  // the second "a" and the second "c"
}

TEST(BotDetector, FirstUserAgentOnly) {
    const std::vector<HeaderField> two = {{"Host", "x"}, {"user-agent", "a"}, {"User-Agent", "abcd"}};
    EXPECT_EQ(first_user_agent(&two), "a");
    const std::vector<HeaderField> none = {{"Host", "x"}};
    EXPECT_EQ(first_user_agent(&none), "");
    EXPECT_EQ(first_user_agent(nullptr), "");
    BotDetector d = make(krakend_config());
    EXPECT_TRUE(d.judge(first_user_agent(&two)).bot);
}

TEST(BotDetector, CrawlerListCompilesAndCatchesItsOwnInstances) {
    const nlohmann::json list = crawler_list();
    xt::config::BotDetector cfg;
    for (const auto& entry : list) cfg.patterns.push_back(entry.at("pattern").get<std::string>());
    ASSERT_GE(cfg.patterns.size(), 1400u);
    const auto start = std::chrono::steady_clock::now();
    BotDetector d = make(cfg);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    std::size_t instances = 0;
    for (const auto& entry : list)
        for (const auto& ua : entry.at("instances")) {
            const BotVerdict v = d.judge(ua.get<std::string>());
            EXPECT_TRUE(v.bot) << ua;
            ++instances;
        }
    EXPECT_GT(instances, 1000u);
    EXPECT_FALSE(d.judge(kBrowser).bot);
    EXPECT_FALSE(d.judge("Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0").bot);
}
