#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"
#include "config/load_config.hpp"
#include "policy/engine.hpp"

using namespace xt::policy;
using xt::http::HeaderField;
using xt::test::addr;

namespace {

struct Harness {
    xt::test::ManualClock clock;
    xt::config::Config config;
    std::optional<PolicyEngine> engine;

    explicit Harness(const std::string& json) {
        auto loaded = xt::config::parse_config(json);
        if (!loaded) throw std::runtime_error(loaded.error().message);
        config = *loaded;
        auto made = PolicyEngine::create(config, [this] { return clock.now_ns; });
        if (!made) throw std::runtime_error(made.error().message);
        engine.emplace(std::move(*made));
    }

    Decision send(const char* method, const char* target, const char* client = "192.0.2.10",
                  std::vector<HeaderField> headers = {}, const char* backend = "10.0.0.2",
                  uint16_t port = 8080) {
        RequestInfo r;
        r.method = method;
        r.target = target;
        r.headers = &headers;
        r.client = addr(client);
        r.backend = addr(backend);
        r.backend_port = port;
        return engine->decide(r);
    }
};

bool allowed(const Decision& d) { return std::holds_alternative<Allow>(d); }
const Reject& rejection(const Decision& d) { return std::get<Reject>(d); }

std::string endpoints(const std::string& list, const std::string& root_extra = "{}") {
    return R"({"version":3,"extra_config":)" + root_extra + R"(,"endpoints":)" + list + "}";
}

}  // namespace

TEST(PolicyEngine, EndpointLimitGives503WithRetryAfter) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/limited","extra_config":{"qos/ratelimit/router":
        {"max_rate":2,"capacity":2}}}])"));
    EXPECT_TRUE(allowed(h.send("GET", "/limited")));
    EXPECT_TRUE(allowed(h.send("GET", "/limited?x=1", "198.51.100.1")));
    auto d = h.send("GET", "/limited");
    ASSERT_FALSE(allowed(d));
    EXPECT_EQ(rejection(d).status, 503u);
    EXPECT_EQ(rejection(d).limit, LimitKind::endpoint);
    EXPECT_EQ(rejection(d).retry_after_s, 1u);
    EXPECT_EQ(rejection(d).endpoint, 0u);
    EXPECT_EQ(rejection(d).rate_limit.policy, "endpoint");
    EXPECT_EQ(rejection(d).rate_limit.quota, 2u);
    EXPECT_EQ(rejection(d).rate_limit.window_s, 1u);
    EXPECT_EQ(rejection(d).rate_limit.remaining, 0u);
    h.clock.advance_ms(500);
    EXPECT_TRUE(allowed(h.send("GET", "/limited")));
    // Unmatched paths and other methods are untouched, however often.
    for (int i = 0; i < 50; ++i) {
        EXPECT_TRUE(allowed(h.send("GET", "/other")));
        EXPECT_TRUE(allowed(h.send("POST", "/limited")));
    }
    EXPECT_EQ(h.engine->counters().unmatched, 100u);
}

// The backend serves HEAD as GET: HEAD spends the GET endpoint's tokens, spelled any way the
// backend would resolve to the same path.
TEST(PolicyEngine, HeadSpendsTheGetEndpointsTokens) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/limited","extra_config":{"qos/ratelimit/router":
        {"max_rate":1,"capacity":3,"every":"1h"}}}])"));
    EXPECT_TRUE(allowed(h.send("HEAD", "/limited")));
    EXPECT_TRUE(allowed(h.send("GET", "//limited")));
    EXPECT_TRUE(allowed(h.send("HEAD", "/x/../%6cimited")));
    EXPECT_FALSE(allowed(h.send("GET", "http://api/./limited?x")));
    EXPECT_FALSE(allowed(h.send("HEAD", "/limited")));
    EXPECT_TRUE(allowed(h.send("POST", "/limited")));  // a method of its own: not this endpoint
}

TEST(PolicyEngine, ClientLimitByIpIs429PerAddress) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/api/{id}","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":2,"every":"10s","strategy":"ip"}}}])"));
    for (const char* ip : {"192.0.2.1", "2001:db8::1"}) {
        EXPECT_TRUE(allowed(h.send("GET", "/api/1", ip)));
        EXPECT_TRUE(allowed(h.send("GET", "/api/2", ip)));
        auto d = h.send("GET", "/api/3", ip);
        ASSERT_FALSE(allowed(d)) << ip;
        EXPECT_EQ(rejection(d).status, 429u);
        EXPECT_EQ(rejection(d).limit, LimitKind::endpoint_client);
        EXPECT_EQ(rejection(d).retry_after_s, 10u);  // one token per 10 s
        EXPECT_EQ(rejection(d).rate_limit.window_s, 20u);
    }
    // IPv4 and its IPv4-mapped IPv6 spelling are the same client.
    EXPECT_FALSE(allowed(h.send("GET", "/api/1", "::ffff:192.0.2.1")));
    h.clock.advance_ms(10'000);
    EXPECT_TRUE(allowed(h.send("GET", "/api/1", "192.0.2.1")));
}

TEST(PolicyEngine, HeaderStrategyKeepsKeysApartAndMissingKeyIs429) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/k","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":1,"strategy":"header","key":"X-Api-Key"}}}])"));
    EXPECT_TRUE(allowed(h.send("GET", "/k", "192.0.2.1", {{"x-api-key", "alpha"}})));
    EXPECT_FALSE(allowed(h.send("GET", "/k", "192.0.2.2", {{"X-API-KEY", "alpha"}})));  // same key
    EXPECT_TRUE(allowed(h.send("GET", "/k", "192.0.2.1", {{"X-Api-Key", "beta"}})));
    auto missing = h.send("GET", "/k");
    ASSERT_FALSE(allowed(missing));
    EXPECT_EQ(rejection(missing).status, 429u);
    EXPECT_TRUE(rejection(missing).missing_client_key);
    EXPECT_GE(rejection(missing).retry_after_s, 1u);
    EXPECT_FALSE(allowed(h.send("GET", "/k", "192.0.2.1", {{"X-Api-Key", ""}})));
}

TEST(PolicyEngine, ParamStrategyUsesThePlaceholderValue) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/t/{tenant}/items","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":1,"strategy":"param","key":"tenant"}}}])"));
    EXPECT_TRUE(allowed(h.send("GET", "/t/acme/items")));
    EXPECT_FALSE(allowed(h.send("GET", "/t/acme/items", "198.51.100.7")));
    EXPECT_TRUE(allowed(h.send("GET", "/t/globex/items")));
    EXPECT_FALSE(allowed(h.send("GET", "/t/%61cme/items")));  // same tenant, percent-encoded
}

TEST(PolicyEngine, ForwardedForOnlyFromTrustedProxiesReadRightToLeft) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/f","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":1,"strategy":"ip","key":"X-Forwarded-For"}}}])",
                        R"({"xdp-throttle":{"trusted_proxies":["10.0.0.0/8"]}})"));
    const char* proxy = "10.1.1.1";
    // Through the trusted proxy, two real clients are two clients...
    EXPECT_TRUE(allowed(h.send("GET", "/f", proxy, {{"X-Forwarded-For", "203.0.113.5"}})));
    EXPECT_TRUE(allowed(h.send("GET", "/f", proxy, {{"X-Forwarded-For", "203.0.113.6"}})));
    // ...a spoofed left-most entry does not help (right-most untrusted entry is the client)...
    EXPECT_FALSE(allowed(h.send("GET", "/f", proxy, {{"X-Forwarded-For", "1.2.3.4, 203.0.113.5"}})));
    // ...trusted hops on the right are skipped...
    EXPECT_FALSE(allowed(h.send("GET", "/f", proxy, {{"X-Forwarded-For", "203.0.113.6, 10.9.9.9"}})));
    // ...and from an untrusted source the header is ignored: the L3 address is the client.
    EXPECT_TRUE(allowed(h.send("GET", "/f", "192.0.2.50", {{"X-Forwarded-For", "203.0.113.77"}})));
    EXPECT_FALSE(allowed(h.send("GET", "/f", "192.0.2.50", {{"X-Forwarded-For", "203.0.113.78"}})));
}

TEST(PolicyEngine, ServiceLimitComesFirstAndCountsEveryPath) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/e","extra_config":{"qos/ratelimit/router":{"max_rate":100}}}])",
                        R"({"qos/ratelimit/service":{"max_rate":3,"capacity":3}})"));
    EXPECT_TRUE(allowed(h.send("GET", "/e")));
    EXPECT_TRUE(allowed(h.send("GET", "/unmatched")));
    EXPECT_TRUE(allowed(h.send("GET", "/e")));
    auto d = h.send("GET", "/unmatched");
    ASSERT_FALSE(allowed(d));
    EXPECT_EQ(rejection(d).status, 503u);
    EXPECT_EQ(rejection(d).limit, LimitKind::service);
}

TEST(PolicyEngine, ServiceScopeMatchedLeavesUnmatchedPathsAlone) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/e"}])",
                        R"({"qos/ratelimit/service":{"client_max_rate":1,"client_capacity":1,"strategy":"ip"},
                            "xdp-throttle":{"service_limit_scope":"matched"}})"));
    EXPECT_TRUE(allowed(h.send("GET", "/e")));
    auto d = h.send("GET", "/e");
    ASSERT_FALSE(allowed(d));
    EXPECT_EQ(rejection(d).status, 429u);
    EXPECT_EQ(rejection(d).limit, LimitKind::service_client);
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(allowed(h.send("GET", "/free")));
}

// KrakenD wraps an endpoint's rate limit in its bot detector: a bot spends no endpoint token.
TEST(PolicyEngine, EndpointBotGets403WithoutSpendingTokens) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/e","extra_config":{
        "security/bot-detector":{"deny":["evil"],"patterns":["crawler"]},
        "qos/ratelimit/router":{"max_rate":1,"capacity":1,"client_max_rate":1,"client_capacity":1,
                                "strategy":"ip"}}}])"));
    for (int i = 0; i < 5; ++i) {
        auto d = h.send("GET", "/e", "192.0.2.10", {{"User-Agent", "evil"}});
        ASSERT_FALSE(allowed(d));
        EXPECT_EQ(rejection(d).status, 403u);
        EXPECT_EQ(rejection(d).limit, LimitKind::bot);
        ASSERT_TRUE(rejection(d).bot.has_value());
        EXPECT_EQ(rejection(d).bot->by, BotRule::deny);
        EXPECT_EQ(rejection(d).endpoint, std::optional<std::size_t>(0));
    }
    auto d = h.send("GET", "/e", "192.0.2.10", {{"User-Agent", "my crawler/1"}});
    ASSERT_FALSE(allowed(d));
    EXPECT_EQ(rejection(d).bot->by, BotRule::pattern);
    EXPECT_EQ(rejection(d).bot->pattern, 0u);
    // The endpoint's single token is still there for a browser from the same address.
    EXPECT_TRUE(allowed(h.send("GET", "/e", "192.0.2.10", {{"User-Agent", "Mozilla/5.0"}})));
    d = h.send("GET", "/e", "192.0.2.10", {{"User-Agent", "Mozilla/5.0"}});
    ASSERT_FALSE(allowed(d));
    EXPECT_EQ(rejection(d).limit, LimitKind::endpoint);
    // Another endpoint has no detector.
    EXPECT_TRUE(allowed(h.send("GET", "/other", "192.0.2.10", {{"User-Agent", "evil"}})));

    const auto c = h.engine->counters();
    EXPECT_EQ(c.rejected[static_cast<int>(LimitKind::bot)], 6u);
    EXPECT_EQ(c.bots.deny, 5u);
    EXPECT_EQ(c.bots.pattern, 1u);
    EXPECT_EQ(c.bots.empty, 0u);
}

// The root detector sees every request, matched or not, before the service limit.
TEST(PolicyEngine, ServiceBotDetectorComesFirstOnEveryPath) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/e"}])",
                        R"({"security/bot-detector":{"empty_user_agent_is_bot":true},
                            "qos/ratelimit/service":{"max_rate":1,"capacity":1}})"));
    for (const char* path : {"/e", "/unmatched", "/e"}) {
        auto d = h.send("GET", path);  // no User-Agent at all
        ASSERT_FALSE(allowed(d)) << path;
        EXPECT_EQ(rejection(d).status, 403u);
        EXPECT_EQ(rejection(d).bot->by, BotRule::empty);
    }
    EXPECT_TRUE(allowed(h.send("GET", "/unmatched", "192.0.2.10", {{"User-Agent", "curl/8"}})));
    auto d = h.send("GET", "/e", "192.0.2.10", {{"User-Agent", "curl/8"}});
    EXPECT_EQ(rejection(d).limit, LimitKind::service);
    EXPECT_EQ(h.engine->counters().bots.empty, 3u);
}

TEST(PolicyEngine, BotRejectionHasNoRetryAfterNorRateLimitFields) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/e","extra_config":{"security/bot-detector":{"deny":["a"]}}}])"));
    auto d = h.send("GET", "/e", "192.0.2.10", {{"User-Agent", "a"}});
    const xt::http::Rejection r = to_rejection(rejection(d));
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(r.retry_after_s, 0u);
    EXPECT_FALSE(r.rate_limit.has_value());
    EXPECT_EQ(r.limit_name, "bot");
    const std::string bytes = xt::http::render_rejection(r);
    EXPECT_EQ(bytes.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u);
    EXPECT_EQ(bytes.find("Retry-After"), std::string::npos);
    EXPECT_EQ(bytes.find("RateLimit"), std::string::npos);
    EXPECT_NE(bytes.find("Connection: close\r\n"), std::string::npos);
}

TEST(PolicyEngine, OrderServiceEndpointClientProxy) {
    // Every limit has capacity 1; each request is refused by the first limit still empty.
    Harness h(endpoints(
        R"([{"endpoint":"/o","extra_config":{"qos/ratelimit/router":{"max_rate":1,"capacity":3,
            "client_max_rate":1,"client_capacity":1,"strategy":"ip"}},
            "backend":[{"host":["http://10.0.0.2:8080"],"extra_config":{"qos/ratelimit/proxy":{"max_rate":1,"capacity":1}}}]}])",
        R"({"qos/ratelimit/service":{"max_rate":1,"capacity":4}})"));
    EXPECT_TRUE(allowed(h.send("GET", "/o", "192.0.2.1")));                // takes one of each
    EXPECT_EQ(rejection(h.send("GET", "/o", "192.0.2.2")).limit, LimitKind::proxy);
    EXPECT_EQ(rejection(h.send("GET", "/o", "192.0.2.1")).limit, LimitKind::endpoint_client);
    EXPECT_EQ(rejection(h.send("GET", "/o", "192.0.2.3")).limit, LimitKind::endpoint);
    EXPECT_EQ(rejection(h.send("GET", "/o", "192.0.2.4")).limit, LimitKind::service);
}

TEST(PolicyEngine, ProxyLimitOnlyForTheBackendTheFlowGoesTo) {
    Harness h(endpoints(R"([{"endpoint":"/p","backend":[
        {"host":["http://10.0.0.2:8080"],"extra_config":{"qos/ratelimit/proxy":{"max_rate":0.5,"capacity":1}}},
        {"host":["http://[2001:db8::2]:9000"],"extra_config":{"qos/ratelimit/proxy":{"max_rate":1,"capacity":1}}}]}])"));
    EXPECT_TRUE(allowed(h.send("GET", "/p", "192.0.2.1", {}, "10.0.0.2", 8080)));
    auto d = h.send("GET", "/p", "192.0.2.1", {}, "10.0.0.2", 8080);
    ASSERT_FALSE(allowed(d));
    EXPECT_EQ(rejection(d).status, 503u);
    EXPECT_EQ(rejection(d).retry_after_s, 2u);
    EXPECT_TRUE(allowed(h.send("GET", "/p", "192.0.2.1", {}, "10.0.0.2", 8081)));  // other port
    EXPECT_TRUE(allowed(h.send("GET", "/p", "192.0.2.1", {}, "2001:db8::2", 9000)));
    EXPECT_FALSE(allowed(h.send("GET", "/p", "192.0.2.1", {}, "2001:db8::2", 9000)));
    h.clock.advance_ms(2000);
    EXPECT_TRUE(allowed(h.send("GET", "/p", "192.0.2.1", {}, "10.0.0.2", 8080)));
}

TEST(PolicyEngine, AdmitsCapacityPlusRateTimesT) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/r","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":10,"client_capacity":5,"strategy":"ip"}}}])"));
    // 3 seconds of a request every millisecond: 5 + 10 * 3 = 35 admitted.
    int admitted = 0;
    for (int i = 0; i <= 3000; ++i) {
        if (allowed(h.send("GET", "/r"))) ++admitted;
        h.clock.advance_ms(1);
    }
    EXPECT_EQ(admitted, 35);
}

TEST(PolicyEngine, ClientBucketsAreBounded) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/b","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":1,"strategy":"header","key":"K"}}}])",
                        R"({"xdp-throttle":{"flows":{"max_clients_per_limit":10,"overflow_clients":5}}})"));
    int admitted = 0;
    for (int i = 0; i < 100; ++i)
        if (allowed(h.send("GET", "/b", "192.0.2.1", {{"K", std::to_string(i)}}))) ++admitted;
    EXPECT_EQ(admitted, 15);  // 10 own buckets, then 5 clients' worth of overflow
    EXPECT_EQ(h.engine->counters().client_overflow_requests, 90u);
    EXPECT_EQ(h.engine->counters().client_overflow_episodes, 1u);
    EXPECT_EQ(h.engine->counters().clients_forgotten, 0u);
    h.clock.advance_ms(1000);  // every bucket is full again: forgotten one by one as needed
    EXPECT_TRUE(allowed(h.send("GET", "/b", "192.0.2.1", {{"K", "new"}})));
    EXPECT_EQ(h.engine->counters().clients_forgotten, 1u);
}

// An attacker owns a whole IPv6 /64: it is one client unless configured otherwise.
TEST(PolicyEngine, Ipv6ClientsAreKeyedByTheirSlash64) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/v6","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":2,"every":"1h","strategy":"ip"}}},
        {"backend": [{"url_pattern": "/"}], "endpoint":"/narrow","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":1,"every":"1h","strategy":"ip"},
        "xdp-throttle":{"ipv6_prefix":128,"ipv4_prefix":24}}}])"));
    EXPECT_TRUE(allowed(h.send("GET", "/v6", "2001:db8:1:2::1")));
    EXPECT_TRUE(allowed(h.send("GET", "/v6", "2001:db8:1:2:ffff::9")));
    EXPECT_FALSE(allowed(h.send("GET", "/v6", "2001:db8:1:2:abcd::77")));  // same /64
    EXPECT_TRUE(allowed(h.send("GET", "/v6", "2001:db8:1:3::1")));         // another /64
    EXPECT_TRUE(allowed(h.send("GET", "/v6", "192.0.2.1")));                // IPv4: /32
    EXPECT_TRUE(allowed(h.send("GET", "/v6", "192.0.2.2")));
    // The endpoint's own block: every IPv6 address apart, IPv4 by /24.
    EXPECT_TRUE(allowed(h.send("GET", "/narrow", "2001:db8:1:2::1")));
    EXPECT_TRUE(allowed(h.send("GET", "/narrow", "2001:db8:1:2::2")));
    EXPECT_TRUE(allowed(h.send("GET", "/narrow", "192.0.2.1")));
    EXPECT_FALSE(allowed(h.send("GET", "/narrow", "192.0.2.200")));
}

TEST(PolicyEngine, ClientTablesReportTheirFillLevel) {
    Harness h(endpoints(R"([{"backend": [{"url_pattern": "/"}], "endpoint":"/a","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"client_capacity":2,"every":"1h","strategy":"ip"}}},
        {"backend": [{"url_pattern": "/"}], "endpoint":"/b"}])"));
    h.send("GET", "/a", "192.0.2.1");
    h.send("GET", "/a", "192.0.2.2");
    h.send("GET", "/a", "192.0.2.2");
    h.send("GET", "/b", "192.0.2.3");
    const auto tables = h.engine->client_tables();
    ASSERT_EQ(tables.size(), 1u);  // /b has no client limit
    EXPECT_EQ(tables[0].limit, "$.endpoints[0].extra_config[\"qos/ratelimit/router\"]");
    EXPECT_EQ(tables[0].entries, 2u);
    EXPECT_EQ(tables[0].max_entries, 65536u);
}

TEST(PolicyEngine, CreateFailsOnUnresolvableBackend) {
    auto config = xt::config::parse_config(R"({"version":3,"endpoints":[{"endpoint":"/x","backend":[
        {"host":["http://no-such-host.invalid"],"extra_config":{"qos/ratelimit/proxy":{"max_rate":1}}}]}]})");
    ASSERT_TRUE(config) << config.error().message;
    auto engine = PolicyEngine::create(*config, [] { return uint64_t{0}; },
                                       [](const std::string&) { return std::vector<xt_addr>{}; });
    ASSERT_FALSE(engine);
    EXPECT_NE(engine.error().message.find("$.endpoints[0].backend[0]"), std::string::npos);
}

TEST(PolicyEngine, LoadsTheGatewayFixture) {
    auto config = xt::config::load_config((xt::test::fixtures_dir() / "gateway.json").string());
    ASSERT_TRUE(config) << config.error().message;
    auto engine = PolicyEngine::create(*config, [] { return uint64_t{1}; },
                                       [](const std::string& host) {
                                           std::vector<xt_addr> out;
                                           if (auto a = xt::parse_address(host)) out.push_back(*a);
                                           else out.push_back(addr("192.0.2.200"));
                                           return out;
                                       });
    ASSERT_TRUE(engine) << engine.error().message;
}
