// The circuit breaker (policy/circuit_breaker.hpp) with an injected clock, its failure
// classification, and the policy engine's use of it (503 + Retry-After while open).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/load_config.hpp"
#include "policy/circuit_breaker.hpp"
#include "policy/engine.hpp"
#include "test_support.hpp"

using namespace xt::policy;
using xt::config::BreakerFailures;

namespace {

constexpr uint64_t kS = 1'000'000'000;

BreakerSettings settings(uint64_t max_errors, uint64_t interval_s = 0, uint64_t timeout_s = 0) {
    xt::config::CircuitBreaker c;
    c.max_errors = max_errors;
    c.interval_s = interval_s;
    c.timeout_s = timeout_s;
    return BreakerSettings::from(c);
}

// One request through the breaker at `now`: admitted and answered with `result`, or refused.
bool run(CircuitBreaker& cb, uint64_t now, BreakerResult result) {
    auto a = cb.before_request(now);
    if (!a.admitted) return false;
    cb.after_request(a.generation, result, now);
    return true;
}

}  // namespace

TEST(CircuitBreaker, OpensAtTheFailureAfterMaxErrors) {
    struct Case {
        uint64_t max_errors;
        int failures_that_keep_it_closed;
    };
    for (const Case c : {Case{0, 0}, Case{1, 1}, Case{3, 3}}) {
        CircuitBreaker cb(settings(c.max_errors), kS);
        for (int i = 0; i < c.failures_that_keep_it_closed; ++i) {
            ASSERT_TRUE(run(cb, kS, BreakerResult::failure));
            EXPECT_EQ(cb.state(kS), BreakerState::closed) << "max_errors " << c.max_errors << " failure " << i + 1;
        }
        ASSERT_TRUE(run(cb, kS, BreakerResult::failure));  // the (max_errors+1)-th
        EXPECT_EQ(cb.state(kS), BreakerState::open) << "max_errors " << c.max_errors;
        EXPECT_EQ(cb.opens(), 1u);
        EXPECT_FALSE(cb.before_request(kS).admitted);
    }
}

TEST(CircuitBreaker, ASuccessClearsTheConsecutiveFailures) {
    CircuitBreaker cb(settings(2), kS);
    run(cb, kS, BreakerResult::failure);
    run(cb, kS, BreakerResult::failure);
    run(cb, kS, BreakerResult::success);
    EXPECT_EQ(cb.consecutive_failures(), 0u);
    run(cb, kS, BreakerResult::failure);
    run(cb, kS, BreakerResult::failure);
    EXPECT_EQ(cb.state(kS), BreakerState::closed);
    run(cb, kS, BreakerResult::failure);
    EXPECT_EQ(cb.state(kS), BreakerState::open);
}

TEST(CircuitBreaker, IntervalClearsTheCountsWhileClosed) {
    CircuitBreaker cb(settings(1, 10), kS);
    run(cb, kS, BreakerResult::failure);
    run(cb, 10 * kS, BreakerResult::failure);  // 9 s later: same interval, 2 > 1
    EXPECT_EQ(cb.state(10 * kS), BreakerState::open);

    CircuitBreaker fresh(settings(1, 10), kS);
    run(fresh, kS, BreakerResult::failure);
    run(fresh, 11 * kS, BreakerResult::failure);  // the interval ended at 11 s: counts start again
    EXPECT_EQ(fresh.state(11 * kS), BreakerState::closed);
    EXPECT_EQ(fresh.consecutive_failures(), 1u);

    CircuitBreaker never(settings(1, 0), kS);  // interval 0: never cleared
    run(never, kS, BreakerResult::failure);
    run(never, 1000 * kS, BreakerResult::failure);
    EXPECT_EQ(never.state(1000 * kS), BreakerState::open);
}

TEST(CircuitBreaker, StaysOpenForTimeoutAndZeroMeansSixtySeconds) {
    struct Case {
        uint64_t timeout_s;
        uint64_t open_for_s;
    };
    for (const Case c : {Case{5, 5}, Case{0, 60}}) {
        CircuitBreaker cb(settings(0, 0, c.timeout_s), kS);
        run(cb, kS, BreakerResult::failure);
        const auto refused = cb.before_request(kS + kS / 2);
        EXPECT_FALSE(refused.admitted);
        EXPECT_EQ(refused.retry_after_ns, c.open_for_s * kS - kS / 2);
        EXPECT_EQ(cb.state(kS + c.open_for_s * kS - 1), BreakerState::open);
        EXPECT_EQ(cb.state(kS + c.open_for_s * kS), BreakerState::half_open);
    }
}

TEST(CircuitBreaker, HalfOpenLetsExactlyOneProbeThrough) {
    CircuitBreaker cb(settings(0, 0, 5), kS);
    run(cb, kS, BreakerResult::failure);
    const uint64_t t = 6 * kS;
    const auto probe = cb.before_request(t);
    ASSERT_TRUE(probe.admitted);
    const auto second = cb.before_request(t);
    EXPECT_FALSE(second.admitted);
    EXPECT_EQ(second.retry_after_ns, kS);  // the probe's outcome is unknown: the shortest wait
    EXPECT_FALSE(cb.before_request(t + 100 * kS).admitted);  // however long the probe takes

    // Its success closes the breaker.
    cb.after_request(probe.generation, BreakerResult::success, t);
    EXPECT_EQ(cb.state(t), BreakerState::closed);
    EXPECT_TRUE(cb.before_request(t).admitted);
}

TEST(CircuitBreaker, AFailedProbeReopens) {
    CircuitBreaker cb(settings(3, 0, 5), kS);
    for (int i = 0; i < 4; ++i) run(cb, kS, BreakerResult::failure);
    const auto probe = cb.before_request(6 * kS);
    ASSERT_TRUE(probe.admitted);
    cb.after_request(probe.generation, BreakerResult::failure, 6 * kS);  // one failure, not max_errors+1
    EXPECT_EQ(cb.state(6 * kS), BreakerState::open);
    EXPECT_EQ(cb.opens(), 2u);
    EXPECT_EQ(cb.state(11 * kS), BreakerState::half_open);  // a full timeout again
}

TEST(CircuitBreaker, AReleasedProbeFreesTheSlot) {
    CircuitBreaker cb(settings(0, 0, 5), kS);
    run(cb, kS, BreakerResult::failure);
    const auto probe = cb.before_request(6 * kS);
    ASSERT_TRUE(probe.admitted);
    cb.after_request(probe.generation, BreakerResult::released, 7 * kS);  // the client hung up
    EXPECT_EQ(cb.state(7 * kS), BreakerState::half_open);
    EXPECT_TRUE(cb.before_request(7 * kS).admitted);  // the next request probes
}

TEST(CircuitBreaker, ResultsOfAnEarlierGenerationAreIgnored) {
    CircuitBreaker cb(settings(0, 0, 5), kS);
    const auto slow = cb.before_request(kS);
    run(cb, kS, BreakerResult::failure);  // opens: a new generation
    cb.after_request(slow.generation, BreakerResult::failure, 2 * kS);
    EXPECT_EQ(cb.opens(), 1u);
    EXPECT_EQ(cb.failures(), 1u);
    const auto probe = cb.before_request(6 * kS);
    cb.after_request(slow.generation, BreakerResult::success, 6 * kS);  // does not close it
    EXPECT_EQ(cb.state(6 * kS), BreakerState::half_open);
    EXPECT_FALSE(cb.before_request(6 * kS).admitted);
    cb.after_request(probe.generation, BreakerResult::success, 6 * kS);
    EXPECT_EQ(cb.state(6 * kS), BreakerState::closed);
}

TEST(CircuitBreaker, ChangesAreReportedInOrder) {
    CircuitBreaker cb(settings(0, 0, 5), kS);
    run(cb, kS, BreakerResult::failure);
    run(cb, 6 * kS, BreakerResult::success);
    std::vector<std::string> seen;
    CircuitBreaker::Change c;
    while (cb.take_change(c)) seen.push_back(std::string(to_string(c.from)) + ">" + to_string(c.to));
    EXPECT_EQ(seen, (std::vector<std::string>{"closed>open", "open>half-open", "half-open>closed"}));
}

TEST(CircuitBreaker, FailureClassification) {
    struct Case {
        BackendOutcome outcome;
        unsigned status;
        BreakerFailures mode;
        BreakerResult expected;
    };
    const Case cases[] = {
        {BackendOutcome::response, 200, BreakerFailures::server_errors, BreakerResult::success},
        {BackendOutcome::response, 404, BreakerFailures::server_errors, BreakerResult::success},
        {BackendOutcome::response, 499, BreakerFailures::server_errors, BreakerResult::success},
        {BackendOutcome::response, 500, BreakerFailures::server_errors, BreakerResult::failure},
        {BackendOutcome::response, 503, BreakerFailures::server_errors, BreakerResult::failure},
        {BackendOutcome::response, 200, BreakerFailures::strict, BreakerResult::success},
        {BackendOutcome::response, 201, BreakerFailures::strict, BreakerResult::success},
        {BackendOutcome::response, 204, BreakerFailures::strict, BreakerResult::failure},
        {BackendOutcome::response, 302, BreakerFailures::strict, BreakerResult::failure},
        {BackendOutcome::response, 404, BreakerFailures::strict, BreakerResult::failure},
        {BackendOutcome::reset, 0, BreakerFailures::server_errors, BreakerResult::failure},
        {BackendOutcome::timeout, 0, BreakerFailures::strict, BreakerResult::failure},
        {BackendOutcome::released, 0, BreakerFailures::server_errors, BreakerResult::released},
    };
    for (const auto& c : cases)
        EXPECT_EQ(classify(c.outcome, c.status, c.mode), c.expected) << "status " << c.status;
}

// ---- the policy engine ---------------------------------------------------------------------------

namespace {

// /a and /b both on 10.0.0.2:8080; only /a's backend has a breaker (max_errors 1, timeout 10 s).
const char* kBreakerConfig = R"({"version": 3, "timeout": "3s",
  "extra_config": {"xdp-throttle": {"breaker_failures": "5xx"}},
  "endpoints": [
    {"endpoint": "/a", "timeout": "500ms", "backend": [{"host": ["http://10.0.0.2:8080"],
      "extra_config": {"qos/circuit-breaker": {"interval": 0, "max_errors": 1, "timeout": 10, "name": "cb-a",
                                               "log_status_change": true}}}]},
    {"endpoint": "/b", "backend": [{"host": ["http://10.0.0.2:8080"]}]},
    {"endpoint": "/c", "backend": [{"host": ["http://10.0.0.3:8080"],
      "extra_config": {"qos/circuit-breaker": {"interval": 60, "timeout": 0, "max_errors": 0}}}]}]})";

struct Engine {
    xt::test::ManualClock clock;
    std::optional<PolicyEngine> engine;
    std::vector<std::string> log;

    explicit Engine(const char* json = kBreakerConfig) {
        auto loaded = xt::config::parse_config(json);
        if (!loaded) throw std::runtime_error(loaded.error().message);
        auto made = PolicyEngine::create(*loaded, [this] { return clock.now_ns; });
        if (!made) throw std::runtime_error(made.error().message);
        engine.emplace(std::move(*made));
        engine->set_log([this](const std::string& line) { log.push_back(line); });
    }
    Decision send(const char* target, const char* backend = "10.0.0.2", uint16_t port = 8080) {
        RequestInfo r;
        r.method = "GET";
        r.target = target;
        r.backend = xt::test::addr(backend);
        r.backend_port = port;
        r.client = xt::test::addr("192.0.2.10");
        return engine->decide(r);
    }
    void fail(const Decision& d) {
        engine->backend_result(*std::get<Allow>(d).breaker, BackendOutcome::response, 500);
    }
};

}  // namespace

TEST(PolicyEngineBreaker, OpenBreakerAnswers503WithRetryAfterAndOtherEndpointsPass) {
    Engine e;
    auto first = e.send("/a");
    ASSERT_TRUE(std::holds_alternative<Allow>(first));
    ASSERT_TRUE(std::get<Allow>(first).breaker);
    EXPECT_EQ(std::get<Allow>(first).response_timeout_ns, 500'000'000u);  // the endpoint's own
    e.fail(first);
    e.fail(e.send("/a"));  // 2 > max_errors 1: open
    e.clock.advance_ms(2500);
    auto d = e.send("/a");
    ASSERT_TRUE(std::holds_alternative<Reject>(d));
    const Reject& r = std::get<Reject>(d);
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(r.limit, LimitKind::circuit);
    EXPECT_EQ(r.retry_after_s, 8u);  // 7.5 s left, rounded up
    const auto bytes = xt::http::render_rejection(to_rejection(r));
    EXPECT_NE(bytes.find("Retry-After: 8\r\n"), std::string::npos);
    EXPECT_EQ(bytes.find("RateLimit"), std::string::npos);  // no bucket to describe
    // Another endpoint on the same host, and a request to another host: untouched.
    auto b = e.send("/b");
    ASSERT_TRUE(std::holds_alternative<Allow>(b));
    EXPECT_FALSE(std::get<Allow>(b).breaker);
    EXPECT_TRUE(std::holds_alternative<Allow>(e.send("/c", "10.0.0.3")));
    // /a to another address is not this backend.
    EXPECT_TRUE(std::holds_alternative<Allow>(e.send("/a", "10.0.0.9")));
    EXPECT_EQ(e.engine->counters().rejected[static_cast<int>(LimitKind::circuit)], 1u);
    EXPECT_EQ(e.log, (std::vector<std::string>{"[CB] Circuit breaker named 'cb-a' went from 'closed' to 'open'"}));
}

TEST(PolicyEngineBreaker, HalfOpenProbeAndRecovery) {
    Engine e;
    e.fail(e.send("/a"));
    e.fail(e.send("/a"));
    e.clock.advance_ms(10'000);
    auto probe = e.send("/a");
    ASSERT_TRUE(std::holds_alternative<Allow>(probe));
    auto during = e.send("/a");
    ASSERT_TRUE(std::holds_alternative<Reject>(during));
    EXPECT_EQ(std::get<Reject>(during).retry_after_s, 1u);
    e.engine->backend_result(*std::get<Allow>(probe).breaker, BackendOutcome::response, 200);
    EXPECT_TRUE(std::holds_alternative<Allow>(e.send("/a")));
    const auto views = e.engine->breakers();
    ASSERT_EQ(views.size(), 2u);
    EXPECT_EQ(views[0].name, "cb-a");
    EXPECT_EQ(views[0].state, BreakerState::closed);
    EXPECT_EQ(views[0].failures, 2u);
    EXPECT_EQ(views[0].opens, 1u);
    EXPECT_EQ(views[1].name, "$.endpoints[2].backend[0]");  // no name: its JSON path
    EXPECT_EQ(e.log.size(), 3u);
    EXPECT_EQ(e.log[2], "[CB] Circuit breaker named 'cb-a' went from 'half-open' to 'closed'");
}

TEST(PolicyEngineBreaker, StrictModeAndTimeoutsFromConfig) {
    auto loaded = xt::config::parse_config(R"({"version": 3, "timeout": "3s",
        "extra_config": {"xdp-throttle": {"breaker_failures": "strict"}},
        "endpoints": [{"backend": [{"url_pattern": "/"}], "endpoint": "/x"}, {"backend": [{"url_pattern": "/"}], "endpoint": "/y", "timeout": "1m"}]})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->gateway.breaker_failures, BreakerFailures::strict);
    EXPECT_EQ(loaded->endpoints[0].timeout_ns, 3 * kS);
    EXPECT_EQ(loaded->endpoints[1].timeout_ns, 60 * kS);
    auto defaults = xt::config::parse_config(R"({"version": 3, "endpoints": [{"backend": [{"url_pattern": "/"}], "endpoint": "/x"}]})");
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->endpoints[0].timeout_ns, 2 * kS);  // KrakenD's default
    EXPECT_EQ(defaults->gateway.breaker_failures, BreakerFailures::server_errors);
    auto bad = xt::config::parse_config(R"({"version": 3,
        "extra_config": {"xdp-throttle": {"breaker_failures": "4xx"}}, "endpoints": []})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("$.extra_config[\"xdp-throttle\"].breaker_failures"), std::string::npos)
        << bad.error().message;
}
