#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "config/enforcement.hpp"
#include "config/load_config.hpp"

using namespace xt::config;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;

bool has_ignored(const Config& c, const std::string& name) {
    return std::any_of(c.ignored_namespaces.begin(), c.ignored_namespaces.end(),
                       [&](const IgnoredNamespace& n) { return n.name == name; });
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + "\n";
    return out;
}

}  // namespace

TEST(ConfigLoad, GatewayFixtureLoadsEveryBlock) {
    auto loaded = load_config((xt::test::fixtures_dir() / "gateway.json").string());
    ASSERT_TRUE(loaded) << loaded.error().message;
    const Config& c = *loaded;
    ASSERT_EQ(c.endpoints.size(), 4u);

    ASSERT_TRUE(c.service_limit);
    ASSERT_TRUE(c.service_limit->shared);
    EXPECT_EQ(c.service_limit->shared->max_rate, 1000);
    EXPECT_EQ(c.service_limit->shared->capacity, 1000u);  // defaulted to the rate per second
    ASSERT_TRUE(c.service_limit->client);
    EXPECT_EQ(c.service_limit->client->strategy, ClientStrategy::ip);

    const Endpoint& users = c.endpoints[0];
    EXPECT_EQ(users.method, "GET");
    EXPECT_EQ(users.pattern, "/api/users/{id}");
    ASSERT_TRUE(users.router_limit && users.router_limit->shared && users.router_limit->client);
    EXPECT_EQ(users.router_limit->shared->every_ns, 600 * kSecond);
    // 50 per 10 minutes is below 1 per second: KrakenD's default capacity is then 1.
    EXPECT_EQ(users.router_limit->shared->capacity, 1u);
    ASSERT_EQ(users.backends.size(), 1u);
    ASSERT_EQ(users.backends[0].hosts.size(), 1u);
    EXPECT_EQ(users.backends[0].hosts[0].host, "10.0.0.2");
    EXPECT_EQ(users.backends[0].hosts[0].port, 8080);
    ASSERT_TRUE(users.backends[0].proxy_limit);
    EXPECT_DOUBLE_EQ(users.backends[0].proxy_limit->max_rate, 0.5);
    EXPECT_EQ(users.backends[0].proxy_limit->capacity, 1u);
    ASSERT_TRUE(users.backends[0].circuit_breaker);
    EXPECT_EQ(users.backends[0].circuit_breaker->interval_s, 60u);
    EXPECT_TRUE(users.backends[0].circuit_breaker->log_status_change);

    EXPECT_EQ(c.endpoints[1].method, "POST");  // "post" is upper-cased
    ASSERT_TRUE(c.endpoints[1].router_limit->client);
    EXPECT_EQ(c.endpoints[1].router_limit->client->strategy, ClientStrategy::header);
    EXPECT_EQ(c.endpoints[1].router_limit->client->key, "X-Api-Key");
    // A backend without `host` takes the service-level one.
    ASSERT_EQ(c.endpoints[1].backends[0].hosts.size(), 1u);
    EXPECT_EQ(c.endpoints[1].backends[0].hosts[0].port, 8080);

    const auto& tenant_hosts = c.endpoints[2].backends[0].hosts;
    ASSERT_EQ(tenant_hosts.size(), 2u);
    EXPECT_EQ(tenant_hosts[0].host, "2001:db8::2");
    EXPECT_EQ(tenant_hosts[0].port, 9000);
    EXPECT_EQ(tenant_hosts[1].port, 443);

    ASSERT_TRUE(c.bot_detector);
    EXPECT_EQ(c.bot_detector->patterns.size(), 1u);

    const GatewaySettings& g = c.gateway;
    EXPECT_EQ(g.iface, "veth-edge0");
    EXPECT_EQ(g.peer, "veth-edge1");
    ASSERT_TRUE(g.http_ports);
    EXPECT_EQ(g.http_ports->values(), (std::vector<uint16_t>{80, 8080}));
    EXPECT_EQ(g.trusted_proxies.size(), 2u);
    EXPECT_EQ(g.l3.spike.rate, 1000u);
    EXPECT_EQ(g.l3.spike.burst, 2000u);
    EXPECT_EQ(g.l3.syn.every_ns, kSecond);
    EXPECT_EQ(g.l3.syn_global.burst, 10000u);  // burst defaults to the rate
    EXPECT_EQ(g.flows.max_flows, 1000u);
    EXPECT_EQ(g.flows.idle_timeout_ns, 30 * kSecond);
    EXPECT_EQ(g.flows.max_clients_per_limit, 500u);
    EXPECT_EQ(g.flows.max_head_bytes, 65536u);  // the default, above nginx's
    EXPECT_EQ(g.on_uninspectable, OnUninspectable::close);

    for (const char* ns : {"telemetry/logging", "security/cors", "proxy", "auth/validator",
                           "modifier/lua-backend"})
        EXPECT_TRUE(has_ignored(c, ns)) << ns;
    EXPECT_FALSE(has_ignored(c, "xdp-throttle"));
    EXPECT_FALSE(has_ignored(c, "qos/circuit-breaker"));
}

TEST(ConfigLoad, DefaultsWithoutOwnNamespace) {
    auto loaded = parse_config(R"({"version": 3, "endpoints": []})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_FALSE(loaded->gateway.http_ports);  // not given: the attach's record, else 80
    EXPECT_EQ(loaded->gateway.l3.spike.rate, 0u);  // off
    EXPECT_TRUE(loaded->gateway.service_limit_all_paths);
}

TEST(ConfigLoad, KrakendShapesFixtureListsIgnoredNamespacesOnce) {
    auto report = check_config((xt::test::fixtures_dir() / "krakend_shapes.json").string());
    ASSERT_TRUE(report.ok()) << joined(report.problems);
    const Config& c = report.config;
    EXPECT_EQ(c.endpoints.size(), 6u);
    EXPECT_EQ(c.endpoints[0].pattern, "/");
    for (const char* ns : {"router", "telemetry/metrics", "proxy", "qos/http-cache", "validation/cel",
                           "auth/validator"})
        EXPECT_TRUE(has_ignored(c, ns)) << ns;
    // Each name once, however often it appears.
    std::vector<std::string> names;
    for (const auto& n : c.ignored_namespaces) names.push_back(n.name);
    auto sorted = names;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
    ASSERT_TRUE(c.endpoints[4].backends[0].circuit_breaker);
    EXPECT_EQ(c.endpoints[4].backends[0].hosts[0].host, "showrss.info");
}

TEST(ConfigLoad, RealKrakendCeFileLoadsUnmodified) {
    const auto path = xt::test::krakend_ce_fixture();
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "not present: " << path;
    auto report = check_config(path.string());
    ASSERT_TRUE(report.ok()) << joined(report.problems);
    EXPECT_EQ(report.config.endpoints.size(), 35u);
    EXPECT_TRUE(report.config.bot_detector);
    EXPECT_TRUE(has_ignored(report.config, "security/cors"));
    EXPECT_TRUE(has_ignored(report.config, "modifier/lua-proxy"));
}

TEST(ConfigLoad, WrongTypeFixtureNamesThePath) {
    auto loaded = load_config((xt::test::fixtures_dir() / "wrong_type.json").string());
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message.find(
                  R"($.endpoints[0].extra_config["qos/ratelimit/router"].max_rate: expected a number, got string "ten")"),
              std::string::npos)
        << loaded.error().message;
}

TEST(ConfigLoad, UnreadableFileAndBadJson) {
    auto missing = check_config("/nonexistent/krakend.json");
    ASSERT_EQ(missing.problems.size(), 1u);
    EXPECT_NE(missing.problems[0].find("cannot read"), std::string::npos);

    auto bad = check_config_text("{\n  \"version\": 3,\n  \"endpoints\": [,]\n}");
    ASSERT_EQ(bad.problems.size(), 1u);
    EXPECT_NE(bad.problems[0].find("line 3"), std::string::npos) << bad.problems[0];
}

// ---- table: one bad value -> one message naming its path and what was expected ----

struct BadCase {
    const char* name;
    const char* json;
    const char* expected;  // substring of one problem
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NamesPathAndExpectation) {
    const auto& c = GetParam();
    auto report = check_config_text(c.json);
    ASSERT_FALSE(report.ok()) << c.name;
    EXPECT_NE(joined(report.problems).find(c.expected), std::string::npos)
        << c.name << ":\n" << joined(report.problems);
}

#define EP(extra) R"({"version":3,"endpoints":[{"endpoint":"/a/{id}","backend":[{"host":["http://127.0.0.1"]}],"extra_config":)" extra "}]}"
#define ROOT(extra) R"({"version":3,"extra_config":)" extra "}"
#define BACKEND(extra) R"({"version":3,"endpoints":[{"endpoint":"/b","backend":[{"host":["http://127.0.0.1"],"extra_config":)" extra "}]}]}"

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigErrors,
    ::testing::Values(
        BadCase{"rate as string", EP(R"({"qos/ratelimit/router":{"max_rate":"ten"}})"),
                R"($.endpoints[0].extra_config["qos/ratelimit/router"].max_rate: expected a number, got string "ten")"},
        BadCase{"negative rate", EP(R"({"qos/ratelimit/router":{"max_rate":-1}})"),
                R"(["qos/ratelimit/router"].max_rate: expected a number of 0 or more)"},
        BadCase{"negative client rate", EP(R"({"qos/ratelimit/router":{"client_max_rate":-5}})"),
                "client_max_rate: expected a number of 0 or more"},
        BadCase{"fractional capacity", EP(R"({"qos/ratelimit/router":{"max_rate":5,"capacity":2.5}})"),
                "capacity: expected a whole number (0 or more), got number 2.5"},
        BadCase{"negative capacity", EP(R"({"qos/ratelimit/router":{"max_rate":5,"capacity":-3}})"),
                "capacity: expected a whole number (0 or more), got number -3"},
        BadCase{"no rate at all", EP(R"({"qos/ratelimit/router":{"capacity":5}})"),
                R"(["qos/ratelimit/router"]: expected max_rate or client_max_rate)"},
        BadCase{"bad every", EP(R"({"qos/ratelimit/router":{"max_rate":5,"every":"ten minutes"}})"),
                R"(every: expected a duration such as "1s" or "10m")"},
        BadCase{"every as number", EP(R"({"qos/ratelimit/router":{"max_rate":5,"every":60}})"),
                "every: expected a duration"},
        BadCase{"unknown strategy", EP(R"({"qos/ratelimit/router":{"client_max_rate":5,"strategy":"cookie"}})"),
                R"(strategy: expected "ip", "header" or "param", got string "cookie")"},
        BadCase{"header without key", EP(R"({"qos/ratelimit/router":{"client_max_rate":5,"strategy":"header"}})"),
                R"(key: required with strategy "header")"},
        BadCase{"param naming no placeholder", EP(R"({"qos/ratelimit/router":{"client_max_rate":5,"strategy":"param","key":"user"}})"),
                R"(expected the name of a placeholder of the endpoint ("id"), got "user")"},
        BadCase{"router not an object", EP(R"({"qos/ratelimit/router":[1]})"),
                R"(["qos/ratelimit/router"]: expected an object, got an array)"},
        BadCase{"service param strategy", ROOT(R"({"qos/ratelimit/service":{"client_max_rate":5,"strategy":"param","key":"x"}})"),
                R"($.extra_config["qos/ratelimit/service"].strategy: expected "ip" or "header")"},
        BadCase{"proxy without max_rate", BACKEND(R"({"qos/ratelimit/proxy":{"capacity":1}})"),
                R"($.endpoints[0].backend[0].extra_config["qos/ratelimit/proxy"].max_rate: required)"},
        BadCase{"proxy unknown field", BACKEND(R"({"qos/ratelimit/proxy":{"max_rate":1,"burst":3}})"),
                R"(["qos/ratelimit/proxy"].burst: unknown field)"},
        BadCase{"cb missing field", BACKEND(R"({"qos/circuit-breaker":{"interval":60,"timeout":10}})"),
                R"(["qos/circuit-breaker"].max_errors: required)"},
        BadCase{"cb negative", BACKEND(R"({"qos/circuit-breaker":{"interval":-60,"timeout":10,"max_errors":1}})"),
                "interval: expected a whole number (0 or more), got number -60"},
        BadCase{"cb string", BACKEND(R"({"qos/circuit-breaker":{"interval":"60s","timeout":10,"max_errors":1}})"),
                R"(interval: expected a whole number (0 or more), got string "60s")"},
        BadCase{"bot bad regex", ROOT(R"({"security/bot-detector":{"patterns":["(unclosed"]}})"),
                R"($.extra_config["security/bot-detector"].patterns[0]: expected a regular expression)"},
        BadCase{"bot list of numbers", ROOT(R"({"security/bot-detector":{"deny":[1]}})"),
                R"(["security/bot-detector"].deny[0]: expected a string, got number 1)"},
        BadCase{"bot unknown field", ROOT(R"({"security/bot-detector":{"denied":["x"]}})"),
                R"(["security/bot-detector"].denied: unknown field)"},
        BadCase{"own port out of range", ROOT(R"({"xdp-throttle":{"http_ports":[80,70000]}})"),
                R"($.extra_config["xdp-throttle"].http_ports[1]: expected a TCP port (1-65535), got number 70000)"},
        BadCase{"own port twice", ROOT(R"({"xdp-throttle":{"http_ports":[80,80]}})"),
                "http_ports[1]: port 80 listed twice"},
        BadCase{"own empty ports", ROOT(R"({"xdp-throttle":{"http_ports":[]}})"),
                "http_ports: expected at least one TCP port"},
        BadCase{"own ports not a list", ROOT(R"({"xdp-throttle":{"http_ports":80}})"),
                "http_ports: expected a non-empty array of TCP ports, got number 80"},
        BadCase{"own too many ports", ROOT(R"({"xdp-throttle":{"http_ports":[1,2,3,4,5,6,7,8,9]}})"),
                "http_ports: 9 ports given; the XDP program matches at most 8"},
        BadCase{"own bad cidr", ROOT(R"({"xdp-throttle":{"trusted_proxies":["10.0.0.1/8"]}})"),
                "trusted_proxies[0]: expected an address or CIDR"},
        BadCase{"own bad iface", ROOT(R"({"xdp-throttle":{"iface":"this-name-is-far-too-long-for-linux"}})"),
                R"(["xdp-throttle"].iface: expected an interface name)"},
        BadCase{"own unknown field", ROOT(R"({"xdp-throttle":{"ifaces":["a"]}})"),
                R"(["xdp-throttle"].ifaces: unknown field)"},
        BadCase{"own l3 rate zero", ROOT(R"({"xdp-throttle":{"l3":{"spike":{"rate":0}}}})"),
                R"($.extra_config["xdp-throttle"].l3.spike: rate must be at least 1)"},
        BadCase{"own spike prefix zero", ROOT(R"({"xdp-throttle":{"l3":{"spike_prefix_v4":0}}})"),
                R"($.extra_config["xdp-throttle"].l3.spike_prefix_v4: must be between 1 and 32, got 0)"},
        BadCase{"own spike prefix too long", ROOT(R"({"xdp-throttle":{"l3":{"spike_prefix_v6":129}}})"),
                "l3.spike_prefix_v6: must be between 1 and 128, got 129"},
        BadCase{"own l3 missing rate", ROOT(R"({"xdp-throttle":{"l3":{"syn":{"burst":5}}}})"),
                "l3.syn.rate: required"},
        BadCase{"own flows tiny buffer", ROOT(R"({"xdp-throttle":{"flows":{"max_buffered_bytes_per_flow":100}}})"),
                "flows.max_buffered_bytes_per_flow: expected at least 1024"},
        BadCase{"own uninspectable", ROOT(R"({"xdp-throttle":{"on_uninspectable":"ignore"}})"),
                R"($.extra_config["xdp-throttle"].on_uninspectable: expected "close" or "bypass", got "ignore")"},
        BadCase{"own head limit below nginx", ROOT(R"({"xdp-throttle":{"flows":{"max_head_bytes":16384}}})"),
                "flows.max_head_bytes: expected at least 32768"},
        BadCase{"own ipv6 prefix", ROOT(R"({"xdp-throttle":{"ipv6_prefix":0}})"),
                R"($.extra_config["xdp-throttle"].ipv6_prefix: must be between 1 and 128, got 0)"},
        BadCase{"endpoint ipv4 prefix", R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/a","extra_config":{"xdp-throttle":{"ipv4_prefix":33}}}]})",
                R"($.endpoints[0].extra_config["xdp-throttle"].ipv4_prefix: must be between 1 and 32, got 33)"},
        BadCase{"endpoint own unknown", R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/a","extra_config":{"xdp-throttle":{"flows":{}}}}]})",
                R"($.endpoints[0].extra_config["xdp-throttle"].flows: unknown field)"},
        BadCase{"own clients full", ROOT(R"({"xdp-throttle":{"flows":{"on_clients_full":"evict"}}})"),
                R"(flows.on_clients_full: expected "overflow" or "reject", got "evict")"},
        BadCase{"own scope", ROOT(R"({"xdp-throttle":{"service_limit_scope":"some"}})"),
                R"(service_limit_scope: expected "all" or "matched")"},
        BadCase{"version", R"({"version":2})", "$.version: expected 3"},
        BadCase{"version missing", R"({"endpoints":[]})", "$.version: required: expected 3 (KrakenD refuses"},
        BadCase{"endpoints not array", R"({"version":3,"endpoints":"/a"})", R"($.endpoints: expected an array of endpoints (or one endpoint), got string "/a")"},
        BadCase{"endpoint missing", R"({"version":3,"endpoints":[{"backend":[]}]})", "$.endpoints[0].endpoint: required: expected a string"},
        BadCase{"endpoint reserved", R"({"version":3,"endpoints":[{"endpoint":"/api/__health","backend":[{"host":["h"]}]}]})",
                R"($.endpoints[0].endpoint: "/api/__health": KrakenD reserves /__health)"},
        BadCase{"endpoint under reserved", R"({"version":3,"endpoints":[{"endpoint":"/__debug/x","backend":[{"host":["h"]}]}]})",
                "KrakenD reserves /__debug"},
        BadCase{"endpoint without backend", R"({"version":3,"endpoints":[{"endpoint":"/a/{id}"}]})",
                "$.endpoints[0]: GET /a/{id}: endpoint without a backend (KrakenD refuses the file"},
        BadCase{"endpoint empty backend list", R"({"version":3,"endpoints":[{"endpoint":"/a","backend":[]}]})",
                "$.endpoints[0]: GET /a: endpoint without a backend"},
        BadCase{"endpoint empty backend object", R"({"version":3,"endpoints":[{"endpoint":"/a","backend":{}}]})",
                "$.endpoints[0]: GET /a: endpoint without a backend"},
        BadCase{"two placeholders in a segment", R"({"version":3,"disable_rest":true,"endpoints":[{"endpoint":"/a/{x}-{y}","backend":[{"host":["h"]}]}]})",
                "two placeholders in one path segment"},
        BadCase{"version as text", R"({"version":"v3"})", R"($.version: expected 3 (KrakenD's current format), got string "v3")"},
        BadCase{"version 2 as text", R"({"version":"2"})", "$.version: expected 3"},
        BadCase{"version true", R"({"version":true})", "$.version: expected 3"},
        BadCase{"host as number", R"({"version":3,"endpoints":[{"endpoint":"/a","backend":{"host":5}}]})",
                "$.endpoints[0].backend.host: expected an array of strings, got number 5"},
        BadCase{"backend as string", R"({"version":3,"endpoints":[{"endpoint":"/a","backend":"http://x"}]})",
                R"($.endpoints[0].backend: expected an array of backends (or one backend), got string)"},
        BadCase{"endpoint wildcard", R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/a/*"}]})", "wildcard segments are not supported"},
        BadCase{"duplicate endpoint", R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/a"},{"backend": [{"url_pattern": "/"}], "endpoint":"/a","method":"GET"}]})",
                "$.endpoints[1].endpoint: GET /a is defined twice"},
        BadCase{"conflicting placeholders", R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/a/{id}"},{"backend": [{"url_pattern": "/"}], "endpoint":"/a/{name}/b"}]})",
                "$.endpoints[1].endpoint: GET /a/{name}/b: placeholder {name} conflicts with {id}"},
        BadCase{"bad method", R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/a","method":"FETCH"}]})", "$.endpoints[0].method: expected GET, POST"},
        BadCase{"backend host port", R"({"version":3,"endpoints":[{"endpoint":"/a","backend":[{"host":["http://x:99999"]}]}]})",
                "$.endpoints[0].backend[0].host[0]: expected a port 1-65535"}));

TEST(ConfigErrorsAll, EveryProblemIsReportedNotJustTheFirst) {
    auto report = check_config_text(R"({"version":3,"endpoints":[
        {"backend": [{"url_pattern": "/"}], "endpoint":"/a","extra_config":{"qos/ratelimit/router":{"max_rate":"x"}}},
        {"backend": [{"url_pattern": "/"}], "endpoint":"/b","extra_config":{"qos/ratelimit/router":{"max_rate":-2}}}]})");
    EXPECT_EQ(report.problems.size(), 2u) << joined(report.problems);
}

// ---- table: accepted values and KrakenD's defaults ----

TEST(ConfigDefaults, CapacityAndEveryFollowKrakend) {
    struct Case {
        const char* block;
        double rate;
        uint64_t capacity;
        uint64_t every_ns;
    } cases[] = {
        {R"({"max_rate":10})", 10, 10, kSecond},
        {R"({"max_rate":10,"capacity":3})", 10, 3, kSecond},
        {R"({"max_rate":10,"capacity":0})", 10, 10, kSecond},
        {R"({"max_rate":0.5})", 0.5, 1, kSecond},
        {R"({"max_rate":120,"every":"1m"})", 120, 2, 60 * kSecond},
        {R"({"max_rate":5,"every":"1h30m"})", 5, 1, 5400 * kSecond},
        {R"({"max_rate":5,"every":"100ms"})", 5, 5, kSecond},  // raised to 1s, as KrakenD does
        {R"({"max_rate":7.9})", 7.9, 7, kSecond},
    };
    for (const auto& c : cases) {
        const std::string text =
            std::string(R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/x","extra_config":{"qos/ratelimit/router":)") +
            c.block + "}}]}";
        auto loaded = parse_config(text);
        ASSERT_TRUE(loaded) << c.block << ": " << loaded.error().message;
        const auto& shared = loaded->endpoints[0].router_limit->shared;
        ASSERT_TRUE(shared) << c.block;
        EXPECT_DOUBLE_EQ(shared->max_rate, c.rate) << c.block;
        EXPECT_EQ(shared->capacity, c.capacity) << c.block;
        EXPECT_EQ(shared->every_ns, c.every_ns) << c.block;
    }
}

TEST(ConfigDefaults, ZeroRateMeansNoLimitAndStrategyDefaultsToIp) {
    auto loaded = parse_config(R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/x","extra_config":
        {"qos/ratelimit/router":{"max_rate":0,"client_max_rate":4,"STRATEGY_IS_MISSING":1}}}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto& rl = *loaded->endpoints[0].router_limit;
    EXPECT_FALSE(rl.shared);
    ASSERT_TRUE(rl.client);
    EXPECT_EQ(rl.client->strategy, ClientStrategy::ip);
    EXPECT_EQ(rl.client->rate.capacity, 4u);
    // The missing strategy and the unknown field are warnings, not errors.
    EXPECT_GE(loaded->warnings.size(), 2u);
}

TEST(ConfigDefaults, StrategyIsCaseInsensitiveAndAnnotationsAreAccepted) {
    auto loaded = parse_config(R"({"version":3,"endpoints":[{"backend": [{"url_pattern": "/"}], "endpoint":"/x/{t}","@comment":"hi",
        "extra_config":{"@note":"x","qos/ratelimit/router":{"client_max_rate":1,"strategy":"Header",
        "key":"X-Key","@why":"demo"}}}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->endpoints[0].router_limit->client->strategy, ClientStrategy::header);
    EXPECT_TRUE(loaded->ignored_namespaces.empty());
}

TEST(ConfigLoad, AnnotatedExampleLoads) {
    const auto example = xt::test::fixtures_dir().parent_path().parent_path().parent_path().parent_path() /
                         "examples" / "xdp-throttle.json";
    auto report = check_config(example.string());
    ASSERT_TRUE(report.ok()) << joined(report.problems);
    EXPECT_EQ(report.config.endpoints.size(), 5u);
    EXPECT_EQ(report.config.gateway.iface, "xt-edge-c");
    ASSERT_EQ(report.config.ignored_namespaces.size(), 1u);
    EXPECT_EQ(report.config.ignored_namespaces[0].name, "telemetry/logging");
    EXPECT_TRUE(report.config.warnings.empty()) << joined(report.config.warnings);
}

// Hostile or broken files: every truncation and many byte flips of a valid file give problems or a
// config, never an exception or a crash.
TEST(ConfigRobustness, TruncatedAndMutatedFilesNeverThrow) {
    std::ifstream in(xt::test::fixtures_dir() / "gateway.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty());
    for (std::size_t n = 0; n < text.size(); n += 7) {
        auto report = check_config_text(text.substr(0, n));
        EXPECT_FALSE(report.ok()) << n;
    }
    uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&] { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; };
    const char replacements[] = {'"', '-', '0', '9', '.', '{', '}', '[', ']', ',', ':', 'x', ' ', '\\', '\xc3'};
    for (int i = 0; i < 3000; ++i) {
        std::string mutated = text;
        for (int k = 0; k < 3; ++k)
            mutated[next() % mutated.size()] = replacements[next() % sizeof replacements];
        EXPECT_NO_THROW((void)check_config_text(mutated));
    }
}

// ---- what KrakenD CE loads (lura's config, krakend-koanf, krakend-ce's namespace aliases) ----

namespace {
constexpr const char* kHost = R"("backend":[{"host":["http://10.0.0.2:8080"]}])";
std::string with_backend(const std::string& endpoint_fields) {
    return R"({"version":3,"endpoints":[{)" + endpoint_fields + "," + kHost + "}]}";
}
bool any_contains(const std::vector<std::string>& lines, std::string_view what) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(what) != std::string::npos; });
}
}  // namespace

TEST(KrakendCompat, PlaceholdersInsideSegmentsLoad) {
    auto loaded = parse_config(with_backend(R"("endpoint":"/files/{name}.json")"));
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->endpoints[0].route, "/files/:name.json");
    auto unrestful = parse_config(R"({"version":3,"disable_rest":true,"endpoints":[
        {"endpoint":"/fhir/unrestful${translate}",)" + std::string(kHost) + "}]}");
    ASSERT_TRUE(unrestful) << unrestful.error().message;
    EXPECT_EQ(unrestful->endpoints[0].route, "/fhir/unrestful$:translate");
    // Without disable_rest the braces stay literal (lura only converts "/{name}").
    auto literal = parse_config(with_backend(R"("endpoint":"/fhir/unrestful${translate}")"));
    ASSERT_TRUE(literal) << literal.error().message;
    EXPECT_EQ(literal->endpoints[0].route, "/fhir/unrestful${translate}");
    // The param strategy names gin's placeholder.
    auto param = parse_config(with_backend(R"("endpoint":"/u/{id}.json","extra_config":{"qos/ratelimit/router":
        {"client_max_rate":1,"strategy":"param","key":"id.json"}})"));
    ASSERT_TRUE(param) << param.error().message;
}

TEST(KrakendCompat, LooseTypesAsMapstructureWeaklyTypedInputConverts) {
    for (const char* version : {R"("3")", R"("+3")", R"("0x3")", R"("03")", "3.0", "3.7"}) {
        auto loaded = parse_config(std::string(R"({"version":)") + version + "}");
        EXPECT_TRUE(loaded) << version << ": " << (loaded ? "" : loaded.error().message);
    }
    for (const char* version : {R"("3.0")", R"("three")", R"("")", "true", "2.9", "[3]", "null"})
        EXPECT_FALSE(parse_config(std::string(R"({"version":)") + version + "}")) << version;

    auto loaded = parse_config(R"({"version":3,"host":"http://10.0.0.9:81","endpoints":[
        {"endpoint":"/one","backend":{"host":"http://10.0.0.2:8080","url_pattern":"/x"}},
        {"endpoint":"/root","backend":{"url_pattern":"/y"}}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->endpoints[0].backends.size(), 1u);
    EXPECT_EQ(loaded->endpoints[0].backends[0].json_path, "$.endpoints[0].backend");
    ASSERT_EQ(loaded->endpoints[0].backends[0].hosts.size(), 1u);
    EXPECT_EQ(loaded->endpoints[0].backends[0].hosts[0].port, 8080);
    ASSERT_EQ(loaded->endpoints[1].backends[0].hosts.size(), 1u);  // the root's, given as a string
    EXPECT_EQ(loaded->endpoints[1].backends[0].hosts[0].port, 81);

    auto one_endpoint = parse_config(R"({"version":3,"endpoints":{"endpoint":"/a",)" + std::string(kHost) + "}}");
    ASSERT_TRUE(one_endpoint) << one_endpoint.error().message;
    EXPECT_EQ(one_endpoint->endpoints[0].json_path, "$.endpoints");
}

TEST(KrakendCompat, OneDotXNamespacesLoadAsV2) {
    auto loaded = parse_config(R"({"version":3,
        "extra_config":{"github_com/devopsfaith/krakend-botdetector":{"deny":["curl"]}},
        "endpoints":[{"endpoint":"/a","backend":[{"host":["http://10.0.0.2"],"extra_config":
          {"github.com/devopsfaith/krakend-circuitbreaker/gobreaker":{"interval":60,"timeout":10,"max_errors":1}}}]}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->bot_detector);
    EXPECT_EQ(loaded->bot_detector->deny, std::vector<std::string>{"curl"});
    ASSERT_TRUE(loaded->endpoints[0].backends[0].circuit_breaker);
    EXPECT_TRUE(loaded->ignored_namespaces.empty());
    EXPECT_EQ(loaded->endpoints[0].backends[0].blocks.at("qos/circuit-breaker"),
              R"($.endpoints[0].backend[0].extra_config["github.com/devopsfaith/krakend-circuitbreaker/gobreaker"])");
    // The underscore spelling of the breaker is no alias in KrakenD: ignored, as there.
    auto other = parse_config(with_backend(R"("endpoint":"/a","extra_config":{"github_com/devopsfaith/krakend-circuitbreaker/gobreaker":{}})"));
    ASSERT_TRUE(other);
    EXPECT_TRUE(has_ignored(*other, "github_com/devopsfaith/krakend-circuitbreaker/gobreaker"));
    // Both names in one block: the v2 one wins, as lura's Normalize does.
    auto both = parse_config(R"({"version":3,"extra_config":{"security/bot-detector":{"deny":["a"]},
        "github_com/devopsfaith/krakend-botdetector":{"deny":["b"]}}})");
    ASSERT_TRUE(both) << both.error().message;
    EXPECT_EQ(both->bot_detector->deny, std::vector<std::string>{"a"});
    EXPECT_TRUE(any_contains(both->warnings, "KrakenD uses the \"security/bot-detector\" block"));
}

TEST(KrakendCompat, MethodsKrakendDoesNotRegisterAreWarned) {
    for (const char* method : {"HEAD", "options", "TRACE", "CONNECT"}) {
        auto loaded = parse_config(with_backend(std::string(R"("endpoint":"/a","method":")") + method + "\""));
        ASSERT_TRUE(loaded) << method;
        EXPECT_FALSE(loaded->endpoints[0].krakend_registers) << method;
        EXPECT_TRUE(any_contains(loaded->warnings, "KrakenD CE does not register")) << method;
    }
    auto get = parse_config(with_backend(R"("endpoint":"/a","method":"delete")"));
    ASSERT_TRUE(get);
    EXPECT_TRUE(get->endpoints[0].krakend_registers);
    EXPECT_TRUE(get->warnings.empty());
}

TEST(KrakendCompat, HostlessWarningOnlyForBackendsThatNeedAddresses) {
    auto plain = parse_config(R"({"version":3,"endpoints":[{"endpoint":"/a","backend":[{"url_pattern":"/",
        "extra_config":{"modifier/martian":{}}}]}]})");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(any_contains(plain->warnings, "backend without host")) << joined(plain->warnings);
    auto cb = parse_config(R"({"version":3,"endpoints":[{"endpoint":"/a","backend":[{"url_pattern":"/",
        "extra_config":{"qos/circuit-breaker":{"interval":1,"timeout":1,"max_errors":1}}}]}]})");
    ASSERT_TRUE(cb);
    EXPECT_TRUE(any_contains(cb->warnings, "backend without host (here or at the root): its "
                                           "qos/circuit-breaker can never match"))
        << joined(cb->warnings);
}

TEST(KrakendCompat, ClientLimitWithoutStrategySaysKrakendWouldNotLimit) {
    auto loaded = parse_config(with_backend(R"("endpoint":"/a","extra_config":{"qos/ratelimit/router":{"client_max_rate":2}})"));
    ASSERT_TRUE(loaded);
    EXPECT_FALSE(loaded->endpoints[0].router_limit->client->strategy_given);
    EXPECT_TRUE(any_contains(loaded->warnings, "KrakenD CE (krakend-ratelimit v3.3.1) logs \"Unknown "
                                               "strategy\" and limits no client at all"));
}

TEST(KrakendCompat, PubSubBackendsAreNotEnforceable) {
    auto loaded = parse_config(R"({"version":3,"endpoints":[
        {"endpoint":"/produce","method":"POST","backend":[{"host":["kafka://"],"disable_host_sanitize":true,
          "extra_config":{"backend/pubsub/publisher":{"topic_url":"t"},
                          "qos/ratelimit/proxy":{"max_rate":1}}}]},
        {"endpoint":"/fn","backend":[{"host":["http://ignored"],"extra_config":{"backend/lambda":{"function_name":"f"}}}]},
        {"endpoint":"/mem","backend":[{"host":["mem://topic"],"disable_host_sanitize":true}]}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->unenforceable_backends.size(), 3u);
    EXPECT_EQ(loaded->unenforceable_backends[0].json_path, "$.endpoints[0].backend[0]");
    EXPECT_EQ(loaded->unenforceable_backends[0].reason, R"(namespace "backend/pubsub/publisher")");
    EXPECT_EQ(loaded->unenforceable_backends[0].dropped, std::vector<std::string>{"qos/ratelimit/proxy"});
    EXPECT_FALSE(loaded->endpoints[0].backends[0].proxy_limit);  // dropped: it could never apply
    EXPECT_EQ(loaded->unenforceable_backends[1].reason, R"(namespace "backend/lambda")");
    EXPECT_EQ(loaded->unenforceable_backends[2].reason, R"(host scheme "mem")");
    EXPECT_TRUE(any_contains(loaded->warnings, "its qos/ratelimit/proxy cannot apply"));
}

// check-config --json's "enforced": one entry per loaded block, with the status it answers.
TEST(KrakendCompat, EnforcementListsEveryBlockWithItsStatus) {
    auto loaded = parse_config(R"({"version":3,"extra_config":{"qos/ratelimit/service":{"max_rate":100}},
        "endpoints":[{"endpoint":"/u/{id}","method":"HEAD","extra_config":{
            "qos/ratelimit/router":{"client_max_rate":2},"security/bot-detector":{"deny":["x"]}},
          "backend":[{"host":["http://10.0.0.2:8080"],"extra_config":{
            "qos/ratelimit/proxy":{"max_rate":5},
            "qos/circuit-breaker":{"interval":60,"timeout":10,"max_errors":2}}}]}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto plan = enforcement_json(*loaded);
    ASSERT_EQ(plan.size(), 5u) << plan.dump(1);
    EXPECT_EQ(plan[0]["namespace"], "qos/ratelimit/service");
    EXPECT_EQ(plan[0]["shared"]["status"], 503);
    EXPECT_EQ(plan[1]["namespace"], "security/bot-detector");
    EXPECT_EQ(plan[1]["status"], 403);
    const auto& router = plan[2];
    EXPECT_EQ(router["json_path"], R"($.endpoints[0].extra_config["qos/ratelimit/router"])");
    EXPECT_EQ(router["method"], "HEAD");
    EXPECT_EQ(router["route"], "/u/:id");
    EXPECT_EQ(router["client"]["status"], 429);
    EXPECT_EQ(router["client"]["strategy"], "ip");
    EXPECT_EQ(router["krakend_differs"].size(), 2u);  // HEAD, and no strategy
    EXPECT_EQ(plan[3]["namespace"], "qos/circuit-breaker");
    EXPECT_EQ(plan[3]["hosts"][0], "http://10.0.0.2:8080");
    EXPECT_EQ(plan[3]["status"], 503);
    EXPECT_EQ(plan[4]["namespace"], "qos/ratelimit/proxy");
    EXPECT_EQ(plan[4]["backend"], "$.endpoints[0].backend[0]");
    EXPECT_EQ(plan[4]["shared"]["every"], "1s");
}

// krakend-ce's own 1.x examples: {"interval":60,"timeout":10,"maxErrors":1} under the 1.x name.
// KrakenD's ConfigGetter ignores "maxErrors" (max_errors 0) and loads the file.
TEST(KrakendCompat, LegacyBreakerIsReadAsItsModuleReadsIt) {
    auto loaded = parse_config(R"({"version":3,"endpoints":[{"endpoint":"/a","backend":[{"host":["http://10.0.0.2"],
        "extra_config":{"github.com/devopsfaith/krakend-circuitbreaker/gobreaker":
          {"interval":60.9,"timeout":"10","maxErrors":1}}}]}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto& cb = loaded->endpoints[0].backends[0].circuit_breaker;
    ASSERT_TRUE(cb);
    EXPECT_EQ(cb->interval_s, 60u);
    EXPECT_EQ(cb->timeout_s, 0u);   // a string is no number to ConfigGetter
    EXPECT_EQ(cb->max_errors, 0u);
    EXPECT_TRUE(any_contains(loaded->warnings, "maxErrors: unknown field, ignored"));
    auto zero = parse_config(R"({"version":3,"endpoints":[{"endpoint":"/a","backend":[{"host":["http://10.0.0.2"],
        "extra_config":{"github.com/devopsfaith/krakend-circuitbreaker/gobreaker":{"maxErrors":1}}}]}]})");
    ASSERT_TRUE(zero) << zero.error().message;
    EXPECT_FALSE(zero->endpoints[0].backends[0].circuit_breaker);
}

// Go's JSON and lura's Init, byte for byte: a BOM is refused, invalid UTF-8 in strings is not, an
// invalid `address` and a no-op endpoint with several backends are.
TEST(KrakendCompat, JsonLayerAndInitChecksAsKrakend) {
    EXPECT_FALSE(parse_config("\xef\xbb\xbf{\"version\":3}"));
    auto latin1 = parse_config("{\"version\":3,\"@comment\":\"caf\xe9\",\"name\":\"\xc0\xaf\"}");
    EXPECT_TRUE(latin1) << (latin1 ? "" : latin1.error().message);
    EXPECT_FALSE(parse_config("{\"version\":3}\xe9"));
    EXPECT_TRUE(parse_config(R"({"version":3,"address":"::1"})"));
    auto address = check_config_text(R"({"version":3,"address":"nope"})");
    EXPECT_TRUE(any_contains(address.problems, "$.address: expected an IP address")) << joined(address.problems);
    const std::string two = R"("backend":[{"host":["http://a"]},{"host":["http://b"]}])";
    auto noop = check_config_text(R"({"version":3,"output_encoding":"no-op","endpoints":[{"endpoint":"/a",)" + two + "}]}");
    EXPECT_TRUE(any_contains(noop.problems, "$.endpoints[0].backend: 2 backends with output_encoding \"no-op\""))
        << joined(noop.problems);
    EXPECT_TRUE(parse_config(R"({"version":3,"output_encoding":"no-op","endpoints":[{"endpoint":"/a","output_encoding":"json",)" + two + "}]}"));
}

// lura's initBackendURLMappings: url_pattern placeholders come from the endpoint (lura's names, not
// gin's), or are sequential-proxy values or JWT claims.
TEST(KrakendCompat, UrlPatternPlaceholdersMustBeDefined) {
    const auto file = [](const char* endpoint, const char* url_pattern) {
        return std::string(R"({"version":3,"endpoints":[{"endpoint":")") + endpoint +
               R"(","backend":[{"host":["http://a"],"url_pattern":")" + url_pattern + R"("}]}]})";
    };
    EXPECT_TRUE(parse_config(file("/files/{name}.json", "/store/{name}")));
    EXPECT_TRUE(parse_config(file("/x", "/y/{resp0_id}/{JWT.sub}")));
    auto undefined = check_config_text(file("/x", "/x/{id}"));
    EXPECT_TRUE(any_contains(undefined.problems, "$.endpoints[0].backend[0].url_pattern: {id} is no "
                                                 "placeholder of the endpoint (it has none)"))
        << joined(undefined.problems);
    EXPECT_FALSE(parse_config(file("/x/{id}", "/x/{ID}")));
}
