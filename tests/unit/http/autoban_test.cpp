// Automatic bans: the `autoban` block (errors with JSON paths, notes on rules that cannot apply) and
// policy::Autoban's semantics with an injected clock and an injected ban box.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "test_support.hpp"
#include "config/load_config.hpp"
#include "policy/autoban.hpp"
#include "policy/engine.hpp"

using namespace xt::policy;
using xt::test::addr;
using xt::operator==;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

// A config with the limits the rules key on: /limited (`ip`), /api/{key} (`header`), /p/{id}
// (`param`), /fwd (`ip` with X-Forwarded-For), and the root namespace's `autoban` block.
std::string config_with(const std::string& autoban, const std::string& extra_own = "") {
    return R"({"version":3,"extra_config":{"xdp-throttle":{"trusted_proxies":["192.0.2.250/32"],)" +
           extra_own + R"("autoban":)" + autoban + R"(}},
      "endpoints":[
        {"endpoint":"/limited","backend":[{"host":["http://10.0.0.2:8080"]}],
         "extra_config":{"qos/ratelimit/router":{"client_max_rate":1,"client_capacity":2,"strategy":"ip"},
                         "security/bot-detector":{"deny":["evil"]}}},
        {"endpoint":"/api/{key}","backend":[{"host":["http://10.0.0.2:8080"]}],
         "extra_config":{"qos/ratelimit/router":{"client_max_rate":1,"strategy":"header","key":"X-Api-Key"}}},
        {"endpoint":"/p/{id}","backend":[{"host":["http://10.0.0.2:8080"]}],
         "extra_config":{"qos/ratelimit/router":{"client_max_rate":1,"strategy":"param","key":"id"}}},
        {"endpoint":"/fwd","backend":[{"host":["http://10.0.0.2:8080"]}],
         "extra_config":{"qos/ratelimit/router":{"client_max_rate":1,"strategy":"ip","key":"X-Forwarded-For"}}}
      ]})";
}

xt::config::Config load(const std::string& json) {
    auto loaded = xt::config::parse_config(json);
    if (!loaded) throw std::runtime_error(loaded.error().message);
    return *loaded;
}

constexpr std::size_t kLimited = 0, kApi = 1, kParam = 2, kForwarded = 3;

Reject make_reject(LimitKind limit, unsigned status, std::size_t endpoint) {
    Reject r;
    r.status = status;
    r.limit = limit;
    r.endpoint = endpoint;
    return r;
}
Reject client_reject(std::size_t endpoint) { return make_reject(LimitKind::endpoint_client, 429, endpoint); }
// What the bot detector's Reject will look like (its helper adds it): 403, LimitKind::bot.
Reject bot_reject(std::size_t endpoint) { return make_reject(LimitKind::bot, 403, endpoint); }

struct Harness {
    xt::test::ManualClock clock;
    std::vector<xt_addr> box;  // the fake ban box: addresses banned now
    std::optional<Autoban> autoban;

    explicit Harness(const std::string& autoban_block, const std::string& extra_own = "") {
        autoban.emplace(load(config_with(autoban_block, extra_own)), [this] { return clock.now_ns; },
                        [this](const xt_addr& a) { return std::find(box.begin(), box.end(), a) != box.end(); });
    }

    std::optional<BanOrder> reject(const char* client, const Reject& r) {
        RequestInfo info;
        info.method = "GET";
        info.target = "/limited";
        info.client = addr(client);
        return autoban->on_reject(info, r);
    }
    std::optional<BanOrder> limited(const char* client) { return reject(client, client_reject(kLimited)); }
    Autoban::Counters counters() const { return autoban->counters(); }
};

}  // namespace

// ---- config ------------------------------------------------------------------------------------

TEST(AutobanConfig, IssueExampleLoads) {
    const auto config = load(config_with(R"({
        "rules": [ {"on": "client_limit", "count": 20, "within": "10s", "ban_for": "5m"},
                   {"on": "bot", "count": 1, "ban_for": "1h"} ],
        "never": ["10.0.0.0/8"],
        "max_bans_per_minute": 100})"));
    const auto& a = config.gateway.autoban;
    ASSERT_EQ(a.rules.size(), 2u);
    EXPECT_EQ(a.rules[0].on, xt::config::AutobanOn::client_limit);
    EXPECT_EQ(a.rules[0].count, 20u);
    EXPECT_EQ(a.rules[0].within_ns, 10 * kSecond);
    EXPECT_EQ(a.rules[0].ban_for_ns, 300 * kSecond);
    EXPECT_EQ(a.rules[0].json_path, R"($.extra_config["xdp-throttle"].autoban.rules[0])");
    EXPECT_EQ(a.rules[1].on, xt::config::AutobanOn::bot);
    EXPECT_EQ(a.rules[1].count, 1u);
    EXPECT_EQ(a.rules[1].ban_for_ns, 3600 * kSecond);
    ASSERT_EQ(a.never.size(), 1u);
    EXPECT_EQ(xt::format_cidr(a.never[0]), "10.0.0.0/8");
    EXPECT_EQ(a.max_bans_per_minute, 100u);
    EXPECT_EQ(a.max_windows, 65536u);
}

TEST(AutobanConfig, DefaultsAndOff) {
    EXPECT_TRUE(load(config_with(R"({"rules":[{"on":"bot","ban_for":"1m"}]})")).gateway.autoban.never.empty());
    EXPECT_EQ(load(config_with(R"({"rules":[{"on":"bot","ban_for":"1m"}]})")).gateway.autoban.rules[0].count, 1u);
    EXPECT_TRUE(load(R"({"version":3})").gateway.autoban.rules.empty());
}

struct AutobanBadCase {
    const char* name;
    const char* autoban;
    const char* expected;  // substring of one problem
};

class AutobanConfigErrors : public ::testing::TestWithParam<AutobanBadCase> {};

TEST_P(AutobanConfigErrors, NamesPathAndExpectation) {
    const auto& c = GetParam();
    const auto report = xt::config::check_config_text(config_with(c.autoban));
    ASSERT_FALSE(report.ok()) << c.name;
    EXPECT_NE(joined(report.problems).find(c.expected), std::string::npos)
        << c.name << ":\n" << joined(report.problems);
}

#define AB R"($.extra_config["xdp-throttle"].autoban)"
INSTANTIATE_TEST_SUITE_P(
    Table, AutobanConfigErrors,
    ::testing::Values(
        AutobanBadCase{"bad on", R"({"rules":[{"on":"endpoint_limit","count":2,"within":"1s","ban_for":"1m"}]})",
                       AB R"(.rules[0].on: expected "client_limit" (429s of a client rate limit) or "bot")"},
        AutobanBadCase{"on missing", R"({"rules":[{"count":2,"within":"1s","ban_for":"1m"}]})",
                       AB ".rules[0].on: required"},
        AutobanBadCase{"count 0", R"({"rules":[{"on":"bot","count":0,"ban_for":"1m"}]})",
                       AB ".rules[0].count: expected 1 or more, got number 0"},
        AutobanBadCase{"count fractional", R"({"rules":[{"on":"bot","count":1.5,"ban_for":"1m"}]})",
                       AB ".rules[0].count: expected a whole number"},
        AutobanBadCase{"count too large", R"({"rules":[{"on":"bot","count":1001,"within":"1s","ban_for":"1m"}]})",
                       AB ".rules[0].count:"},
        AutobanBadCase{"within bad", R"({"rules":[{"on":"bot","count":3,"within":"ten seconds","ban_for":"1m"}]})",
                       AB R"(.rules[0].within: expected a duration such as "1s" or "10m")"},
        AutobanBadCase{"within missing", R"({"rules":[{"on":"client_limit","count":3,"ban_for":"1m"}]})",
                       AB ".rules[0].within: required when count is more than 1"},
        AutobanBadCase{"ban_for missing", R"({"rules":[{"on":"bot"}]})",
                       AB ".rules[0].ban_for: required"},
        AutobanBadCase{"ban_for zero", R"({"rules":[{"on":"bot","ban_for":"0s"}]})",
                       AB ".rules[0].ban_for: expected a duration longer than 0"},
        AutobanBadCase{"ban_for number", R"({"rules":[{"on":"bot","ban_for":60}]})",
                       AB ".rules[0].ban_for: expected a duration"},
        AutobanBadCase{"rule unknown field", R"({"rules":[{"on":"bot","ban_for":"1m","for":"1m"}]})",
                       AB ".rules[0].for: unknown field"},
        AutobanBadCase{"no rules", R"({"rules":[]})", AB ".rules: expected a non-empty array of rules"},
        AutobanBadCase{"rules missing", R"({"never":["10.0.0.0/8"]})", AB ".rules: required"},
        AutobanBadCase{"never host bits", R"({"rules":[{"on":"bot","ban_for":"1m"}],"never":["10.0.0.0/8","10.0.0.1/8"]})",
                       AB ".never[1]: expected an address or CIDR"},
        AutobanBadCase{"never garbage", R"({"rules":[{"on":"bot","ban_for":"1m"}],"never":["nope"]})",
                       AB ".never[0]: expected an address or CIDR"},
        AutobanBadCase{"never not strings", R"({"rules":[{"on":"bot","ban_for":"1m"}],"never":[10]})",
                       AB ".never[0]: expected a string"},
        AutobanBadCase{"valve 0", R"({"rules":[{"on":"bot","ban_for":"1m"}],"max_bans_per_minute":0})",
                       AB ".max_bans_per_minute: expected 1 or more"},
        AutobanBadCase{"max_windows 0", R"({"rules":[{"on":"bot","ban_for":"1m"}],"max_windows":0})",
                       AB ".max_windows: expected 1 or more"},
        AutobanBadCase{"unknown field", R"({"rules":[{"on":"bot","ban_for":"1m"}],"ban_for":"1m"})",
                       AB ".ban_for: unknown field"},
        AutobanBadCase{"not an object", R"([1])", AB ": expected an object"}),
    [](const auto& info) {
        std::string n = info.param.name;
        std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
        return n;
    });

TEST(AutobanConfig, EveryProblemIsReported) {
    const auto report = xt::config::check_config_text(config_with(
        R"({"rules":[{"on":"x","count":0,"ban_for":"1m"},{"on":"bot"}],"never":["nope"]})"));
    EXPECT_EQ(report.problems.size(), 4u) << joined(report.problems);
}

TEST(AutobanConfig, NotesRulesThatCannotApply) {
    const auto report = xt::config::check_config_text(
        config_with(R"({"rules":[{"on":"client_limit","count":2,"within":"1s","ban_for":"1m"}]})"));
    ASSERT_TRUE(report.ok()) << joined(report.problems);
    const std::string w = joined(report.config.warnings);
    EXPECT_NE(w.find(AB R"(.rules[0]: cannot apply to $.endpoints[1].extra_config["qos/ratelimit/router"]: its clients are identified by header "X-Api-Key", not by their address, and only an address can be banned at L3)"),
              std::string::npos) << w;
    EXPECT_NE(w.find(R"(cannot apply to $.endpoints[2].extra_config["qos/ratelimit/router"]: its clients are identified by param "id")"),
              std::string::npos) << w;
    EXPECT_NE(w.find(R"(applies to $.endpoints[3].extra_config["qos/ratelimit/router"] only for clients that connect directly)"),
              std::string::npos) << w;
    EXPECT_EQ(w.find("endpoints[0]"), std::string::npos) << w;  // /limited: `ip`, direct

    const auto no_detector = xt::config::check_config_text(
        R"({"version":3,"extra_config":{"xdp-throttle":{"autoban":{"rules":[{"on":"bot","ban_for":"1m"},
            {"on":"client_limit","count":2,"within":"1s","ban_for":"1m"}]}}}})");
    ASSERT_TRUE(no_detector.ok()) << joined(no_detector.problems);
    const std::string w2 = joined(no_detector.config.warnings);
    EXPECT_NE(w2.find(AB ".rules[0]: no security/bot-detector in this config: the rule never fires"), std::string::npos) << w2;
    EXPECT_NE(w2.find(AB ".rules[1]: no client rate limit in this config: the rule never fires"), std::string::npos) << w2;
}

// ---- sliding windows ---------------------------------------------------------------------------

TEST(Autoban, CountthRejectionWithinWindowBans) {
    Harness h(R"({"rules":[{"on":"client_limit","count":3,"within":"10s","ban_for":"5m"}]})");
    EXPECT_FALSE(h.limited("198.51.100.7"));
    h.clock.advance_ms(1000);
    EXPECT_FALSE(h.limited("198.51.100.7"));
    h.clock.advance_ms(8999);  // the first is 9.999 s old: still inside
    auto order = h.limited("198.51.100.7");
    ASSERT_TRUE(order);
    EXPECT_TRUE(order->address == addr("198.51.100.7"));
    EXPECT_EQ(order->duration_ns, 300 * kSecond);
    EXPECT_EQ(order->reason, "auto#0 client_limit /limited");
    EXPECT_LE(order->reason.size(), static_cast<std::size_t>(XT_BAN_REASON_LEN));
    EXPECT_NE(order->description.find("198.51.100.7 banned for 5m"), std::string::npos) << order->description;
    EXPECT_NE(order->description.find(AB ".rules[0]"), std::string::npos) << order->description;
    EXPECT_EQ(h.counters().ordered, 1u);
    EXPECT_EQ(h.autoban->windows(), 0u);  // the count starts over
}

TEST(Autoban, OlderRejectionsSlideOut) {
    Harness h(R"({"rules":[{"on":"client_limit","count":3,"within":"10s","ban_for":"5m"}]})");
    EXPECT_FALSE(h.limited("198.51.100.7"));  // t=0
    h.clock.advance_ms(6000);
    EXPECT_FALSE(h.limited("198.51.100.7"));  // t=6
    h.clock.advance_ms(4000);
    EXPECT_FALSE(h.limited("198.51.100.7"));  // t=10: the one at 0 is exactly `within` old: out
    h.clock.advance_ms(1000);
    EXPECT_TRUE(h.limited("198.51.100.7"));   // t=11: 6, 10, 11
}

TEST(Autoban, SourcesAndRulesHaveTheirOwnWindows) {
    Harness h(R"({"rules":[{"on":"client_limit","count":2,"within":"10s","ban_for":"1m"},
                           {"on":"client_limit","count":3,"within":"1h","ban_for":"24h"}]})");
    EXPECT_FALSE(h.limited("198.51.100.7"));
    EXPECT_FALSE(h.limited("198.51.100.8"));
    h.clock.advance_ms(20'000);
    EXPECT_FALSE(h.limited("198.51.100.7"));  // rule 0 slid out; rule 1 has 2
    auto order = h.limited("198.51.100.7");    // both reached: the longest ban wins
    ASSERT_TRUE(order);
    EXPECT_EQ(order->duration_ns, 86400 * kSecond);
    EXPECT_EQ(order->reason, "auto#1 client_limit /limited");
}

TEST(Autoban, BotRuleBansOnFirst403) {
    Harness h(R"({"rules":[{"on":"client_limit","count":5,"within":"10s","ban_for":"1m"},
                           {"on":"bot","count":1,"ban_for":"1h"}]})");
    auto order = h.reject("203.0.113.9", bot_reject(kLimited));
    ASSERT_TRUE(order);
    EXPECT_EQ(order->duration_ns, 3600 * kSecond);
    EXPECT_EQ(order->reason, "auto#1 bot /limited");
    EXPECT_EQ(h.autoban->windows(), 0u);  // count 1 needs no window
    // A bot behind a header-strategy endpoint is still its source: the UA came from that address.
    EXPECT_TRUE(h.reject("203.0.113.10", bot_reject(kApi)));
}

TEST(Autoban, OtherRejectionsAreNotCounted) {
    Harness h(R"({"rules":[{"on":"client_limit","count":1,"ban_for":"1m"}]})");
    for (auto kind : {LimitKind::endpoint, LimitKind::service, LimitKind::proxy, LimitKind::bot}) {
        Reject r = client_reject(kLimited);
        r.limit = kind;
        r.status = kind == LimitKind::bot ? 403 : 503;
        EXPECT_FALSE(h.reject("198.51.100.7", r)) << to_string(kind);
    }
    EXPECT_EQ(h.counters().never, 0u);
    Reject service = client_reject(kLimited);
    service.limit = LimitKind::service_client;  // no client limit at the service: not an address
    EXPECT_FALSE(h.reject("198.51.100.7", service));
    EXPECT_EQ(h.counters().never, 1u);
}

// ---- who is never banned -----------------------------------------------------------------------

TEST(Autoban, NeverTrustedProxiesAndNonAddressClientsAreNotBanned) {
    Harness h(R"({"rules":[{"on":"client_limit","count":1,"ban_for":"1m"},{"on":"bot","ban_for":"1m"}],
                  "never":["10.0.0.0/8","2001:db8::/32"]})");
    EXPECT_FALSE(h.limited("10.20.30.40"));
    EXPECT_FALSE(h.limited("2001:db8::5"));
    EXPECT_FALSE(h.reject("10.1.1.1", bot_reject(kLimited)));
    EXPECT_FALSE(h.limited("192.0.2.250"));  // trusted proxy
    EXPECT_FALSE(h.reject("192.0.2.250", bot_reject(kLimited)));
    EXPECT_FALSE(h.reject("198.51.100.7", client_reject(kApi)));    // header strategy
    EXPECT_FALSE(h.reject("198.51.100.7", client_reject(kParam)));  // param strategy
    Reject missing = client_reject(kLimited);
    missing.missing_client_key = true;
    EXPECT_FALSE(h.reject("198.51.100.7", missing));
    EXPECT_EQ(h.counters().never, 8u);
    EXPECT_EQ(h.counters().ordered, 0u);
    // `ip` with a forwarded-for key: a direct (untrusted) client is its address.
    EXPECT_TRUE(h.reject("198.51.100.7", client_reject(kForwarded)));
    EXPECT_TRUE(h.limited("2001:db9::5"));
}

TEST(Autoban, AddressAlreadyInTheBoxIsNotBannedTwice) {
    Harness h(R"({"rules":[{"on":"client_limit","count":2,"within":"10s","ban_for":"1m"}]})");
    h.box.push_back(addr("198.51.100.7"));  // e.g. written by the controller before a restart
    EXPECT_FALSE(h.limited("198.51.100.7"));
    EXPECT_FALSE(h.limited("198.51.100.7"));
    EXPECT_EQ(h.counters().already_banned, 1u);
    EXPECT_EQ(h.counters().ordered, 0u);
    EXPECT_EQ(h.autoban->windows(), 0u);
    h.box.clear();  // lifted (ban del) or expired: counted afresh
    EXPECT_FALSE(h.limited("198.51.100.7"));
    EXPECT_TRUE(h.limited("198.51.100.7"));
}

// ---- the valve ---------------------------------------------------------------------------------

TEST(Autoban, AtMostMaxBansPerMinute) {
    Harness h(R"({"rules":[{"on":"bot","ban_for":"1h"}],"max_bans_per_minute":2})");
    EXPECT_TRUE(h.reject("203.0.113.1", bot_reject(kLimited)));
    h.clock.advance_ms(10'000);
    EXPECT_TRUE(h.reject("203.0.113.2", bot_reject(kLimited)));
    EXPECT_FALSE(h.reject("203.0.113.3", bot_reject(kLimited)));
    EXPECT_FALSE(h.reject("203.0.113.4", bot_reject(kLimited)));
    EXPECT_EQ(h.counters().suppressed, 2u);
    EXPECT_EQ(h.counters().suppressed_episodes, 1u);
    h.clock.advance_ms(50'000);  // the first ban is 60 s old: one slot free
    EXPECT_TRUE(h.reject("203.0.113.3", bot_reject(kLimited)));
    EXPECT_FALSE(h.reject("203.0.113.4", bot_reject(kLimited)));
    EXPECT_EQ(h.counters().suppressed_episodes, 2u);
    EXPECT_EQ(h.counters().ordered, 3u);
}

TEST(Autoban, SuppressedSourceIsBannedOnceTheValveOpens) {
    Harness h(R"({"rules":[{"on":"client_limit","count":2,"within":"5m","ban_for":"1h"}],"max_bans_per_minute":1})");
    EXPECT_FALSE(h.limited("198.51.100.1"));
    EXPECT_TRUE(h.limited("198.51.100.1"));
    EXPECT_FALSE(h.limited("198.51.100.2"));
    EXPECT_FALSE(h.limited("198.51.100.2"));  // reached, suppressed: its window stays full
    h.clock.advance_ms(60'000);
    EXPECT_TRUE(h.limited("198.51.100.2"));
}

// ---- the bounded window table ------------------------------------------------------------------

TEST(Autoban, FullWindowTableNeverEvictsALiveWindow) {
    Harness h(R"({"rules":[{"on":"client_limit","count":3,"within":"10s","ban_for":"1m"}],"max_windows":2})");
    EXPECT_FALSE(h.limited("198.51.100.1"));  // t=0: abuser
    EXPECT_FALSE(h.limited("198.51.100.2"));  // t=0
    h.clock.advance_ms(1000);
    // A spray of spoofed sources: not counted, and no live window is pushed out.
    for (int i = 10; i < 60; ++i)
        EXPECT_FALSE(h.limited(fmt::format("203.0.113.{}", i).c_str()));
    EXPECT_EQ(h.counters().windows_full, 50u);
    EXPECT_EQ(h.counters().windows_full_episodes, 1u);
    EXPECT_EQ(h.counters().windows_forgotten, 0u);
    EXPECT_EQ(h.autoban->windows(), 2u);
    h.clock.advance_ms(1000);
    EXPECT_FALSE(h.limited("198.51.100.1"));  // t=2
    h.clock.advance_ms(1000);
    EXPECT_TRUE(h.limited("198.51.100.1"));   // t=3: 0, 2, 3 -> the abuser is banned all the same
    EXPECT_FALSE(h.limited("203.0.113.77"));  // the ban freed a slot: counted
    EXPECT_EQ(h.counters().windows_full, 50u);
    EXPECT_FALSE(h.limited("203.0.113.78"));  // full again: a new episode
    EXPECT_EQ(h.counters().windows_full_episodes, 2u);
    h.clock.advance_ms(7000);  // t=10: .2's only event is 10 s old, stale; .77's (t=3) is not
    EXPECT_FALSE(h.limited("203.0.113.79"));
    EXPECT_EQ(h.counters().windows_forgotten, 1u);
    EXPECT_EQ(h.counters().windows_full, 51u);
    EXPECT_EQ(h.autoban->windows(), 2u);
}

// ---- wired to the policy engine ----------------------------------------------------------------

TEST(Autoban, PolicyEngineObserverSeesEveryRejection) {
    xt::test::ManualClock clock;
    const auto config = load(config_with(R"({"rules":[{"on":"client_limit","count":3,"within":"10s","ban_for":"1m"}]})"));
    auto engine = PolicyEngine::create(config, [&] { return clock.now_ns; });
    ASSERT_TRUE(engine) << engine.error().message;
    Autoban autoban(config, [&] { return clock.now_ns; }, nullptr);
    std::vector<BanOrder> orders;
    std::size_t seen = 0;
    engine->set_rejection_observer([&](const RequestInfo& request, const Reject& reject) {
        ++seen;
        if (auto o = autoban.on_reject(request, reject)) orders.push_back(*o);
    });
    std::vector<xt::http::HeaderField> headers;
    RequestInfo r;
    r.method = "GET";
    r.target = "/limited";
    r.headers = &headers;
    r.client = addr("198.51.100.7");
    r.backend = addr("10.0.0.2");
    r.backend_port = 8080;
    for (int i = 0; i < 5; ++i) engine->decide(r);  // capacity 2: 2 allowed, 3 rejected
    EXPECT_EQ(seen, 3u);
    ASSERT_EQ(orders.size(), 1u);
    EXPECT_TRUE(orders[0].address == addr("198.51.100.7"));
}
