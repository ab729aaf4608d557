// What the flow table tells the circuit breaker (flow_table.hpp, ResponseRecord): every request a
// breaker admitted ends exactly once, as a response, a reset, a timeout or a release.
#include <gtest/gtest.h>

#include "gateway/flow_harness.hpp"

using namespace xt::flow;
using namespace xt::test;
using xt::policy::BackendOutcome;

namespace {

// /cb goes to 10.0.0.2:80 through a breaker (response timeout 2 s); /plain has none.
const char* kBreakerFlowConfig = R"({"version": 3,
  "endpoints": [
    {"endpoint": "/cb", "timeout": "2s", "backend": [{"host": ["http://10.0.0.2:80"],
      "extra_config": {"qos/circuit-breaker": {"interval": 0, "timeout": 5, "max_errors": 0}}}]},
    {"endpoint": "/plain", "backend": [{"host": ["http://10.0.0.2:80"]}]}]})";

struct BreakerConnected {
    FlowHarness h{FlowTableOptions{}, kBreakerFlowConfig};
    Conn c;
    BreakerConnected() {
        h.feed(c.syn());
        h.feed(c.syn_ack());
        h.feed(c.client_ack());
    }
};

constexpr uint64_t kS = 1'000'000'000;

}  // namespace

TEST(BreakerFlow, ResponseCarriesTheTicketOfItsRequest) {
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.feed(c.client(get("/cb")));
    h.feed(c.server("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"));
    h.feed(c.client(get("/plain")));
    h.feed(c.server(ok_response()));
    ASSERT_EQ(h.responses.size(), 2u);
    EXPECT_EQ(h.responses[0].outcome, BackendOutcome::response);
    EXPECT_EQ(h.responses[0].status, 500u);
    ASSERT_TRUE(h.responses[0].breaker);
    EXPECT_EQ(h.responses[0].breaker->breaker, 0u);
    EXPECT_FALSE(h.responses[1].breaker);  // no breaker on /plain's backend
}

TEST(BreakerFlow, BackendResetWithRequestOutstandingIsAResetOutcome) {
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.feed(c.client(get("/cb")));
    h.feed(c.server("", kRst | kAck));
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].outcome, BackendOutcome::reset);
    EXPECT_EQ(h.responses[0].status, 0u);
    EXPECT_TRUE(h.responses[0].breaker);
}

TEST(BreakerFlow, BackendCloseWithoutAnsweringIsAResetOutcome) {
    // nginx's `return 444`: the connection closed (FIN), no response.
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.feed(c.client(get("/cb")));
    h.feed(c.server("", kFin | kAck));
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].outcome, BackendOutcome::reset);
    EXPECT_TRUE(h.responses[0].breaker);
    // A close after the answer is no failure.
    BreakerConnected other;
    other.h.feed(other.c.client(get("/cb")));
    other.h.feed(other.c.server(ok_response()));
    other.h.feed(other.c.server("", kFin | kAck));
    ASSERT_EQ(other.h.responses.size(), 1u);
    EXPECT_EQ(other.h.responses[0].outcome, BackendOutcome::response);
}

TEST(BreakerFlow, ResponseTimeoutIsReportedOnceAndTheLateResponseNotCounted) {
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.feed(c.client(get("/cb")));
    h.now_ns += 2 * kS - 1;
    EXPECT_EQ(h.table->expire_responses(), 0u);
    h.now_ns += 1;
    EXPECT_EQ(h.table->expire_responses(), 1u);
    EXPECT_EQ(h.table->expire_responses(), 0u);
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].outcome, BackendOutcome::timeout);
    EXPECT_TRUE(h.responses[0].breaker);
    EXPECT_EQ(h.table->counters().response_timeouts, 1u);
    h.feed(c.server(ok_response()));  // late
    ASSERT_EQ(h.responses.size(), 2u);
    EXPECT_EQ(h.responses[1].outcome, BackendOutcome::response);
    EXPECT_FALSE(h.responses[1].breaker);  // already counted as a timeout
    // An answered request is never timed out.
    h.feed(c.client(get("/cb")));
    h.feed(c.server(ok_response()));
    h.now_ns += 10 * kS;
    EXPECT_EQ(h.table->expire_responses(), 0u);
}

TEST(BreakerFlow, AnsweredRequestsDoNotPileUpDeadlines) {
    // A long timeout at a high request rate: the deadlines of answered requests are dropped long
    // before they fall due.
    BreakerConnected bc;
    auto& [h, c] = bc;
    for (int i = 0; i < 20000; ++i) {
        h.feed(c.client(get("/cb")));
        h.feed(c.server(ok_response()));
    }
    EXPECT_LE(h.table->response_deadlines(), 1024u + 2u);
    h.feed(c.client(get("/cb")));  // one outstanding: still timed out
    h.now_ns += 2 * kS;
    const auto before = h.responses.size();
    EXPECT_EQ(h.table->expire_responses(), 1u);
    EXPECT_EQ(h.responses[before].outcome, BackendOutcome::timeout);
    EXPECT_EQ(h.table->response_deadlines(), 0u);
}

TEST(BreakerFlow, ClientHangUpReleasesTheTicket) {
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.feed(c.client(get("/cb")));
    h.feed(c.client("", kRst | kAck));
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].outcome, BackendOutcome::released);
    EXPECT_TRUE(h.responses[0].breaker);
    EXPECT_EQ(h.table->size(), 0u);
    h.now_ns += 10 * kS;
    EXPECT_EQ(h.table->expire_responses(), 0u);  // the flow is gone: no timeout after the release
}

TEST(BreakerFlow, ABackendClosingAfterTheClientHungUpIsNoFailure) {
    // curl --max-time: the client closes (FIN); nginx aborts the upstream request and closes too.
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.feed(c.client(get("/cb")));
    h.feed(c.client("", kFin | kAck));
    h.feed(c.server("", kFin | kAck));
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].outcome, BackendOutcome::released);
    EXPECT_TRUE(h.responses[0].breaker);
    BreakerConnected reset;
    reset.h.feed(reset.c.client(get("/cb")));
    reset.h.feed(reset.c.client("", kFin | kAck));
    reset.h.feed(reset.c.server("", kRst | kAck));
    ASSERT_EQ(reset.h.responses.size(), 1u);
    EXPECT_EQ(reset.h.responses[0].outcome, BackendOutcome::released);
}

TEST(BreakerFlow, IdleExpiryReleasesTheTicket) {
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.feed(c.client(get("/plain")));
    h.feed(c.client(get("/cb")));
    h.now_ns += 120 * kS;
    h.table->expire_idle();
    ASSERT_EQ(h.responses.size(), 1u);  // the request without a breaker is owed nothing
    EXPECT_EQ(h.responses[0].outcome, BackendOutcome::released);
}

TEST(BreakerFlow, OutcomesDriveThePolicyEngineBreaker) {
    BreakerConnected bc;
    auto& [h, c] = bc;
    h.table->set_response_observer([&h](const ResponseRecord& r) {
        if (r.breaker) h.policy->backend_result(*r.breaker, r.outcome, r.status);
    });
    h.feed(c.client(get("/cb")));
    h.feed(c.server("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));  // max_errors 0: open
    // Open: the next /cb is answered 503 in the backend's place; /plain would pass.
    auto v = h.feed(c.client(get("/cb")));
    EXPECT_EQ(v.action, Action::drop);
    auto answer = reassemble(v.back);
    EXPECT_EQ(answer.bytes.rfind("HTTP/1.1 503 ", 0), 0u) << answer.bytes;
    EXPECT_NE(answer.bytes.find("Retry-After: 5\r\n"), std::string::npos) << answer.bytes;
    const auto breakers = h.policy->breakers();
    EXPECT_EQ(breakers[0].state, xt::policy::BreakerState::open);
    EXPECT_EQ(breakers[0].failures, 1u);
}

// Whatever the two ends do, every request a breaker admitted is reported exactly once, with its
// ticket, by the time its flow is gone: random scripts of requests, answers, resets, closes, time.
TEST(BreakerFlow, EveryTicketIsReportedExactlyOnce) {
    const char* never_opens = R"({"version": 3, "endpoints": [
      {"endpoint": "/cb", "timeout": "2s", "backend": [{"host": ["http://10.0.0.2:80"],
        "extra_config": {"qos/circuit-breaker": {"interval": 0, "timeout": 5, "max_errors": 1000000}}}]}]})";
    uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    uint64_t admitted = 0;  // over all scripts: the test is not vacuous
    for (int script = 0; script < 300; ++script) {
        FlowHarness h(FlowTableOptions{}, never_opens);
        std::size_t ticketed = 0;
        h.table->set_response_observer([&](const ResponseRecord& r) { ticketed += r.breaker ? 1 : 0; });
        Conn c;
        c.client_port = 41000;
        bool open = false;
        auto fresh = [&] {
            c = Conn{};
            c.client_port = static_cast<uint16_t>(41000 + next() % 20000);
            c.cseq = static_cast<uint32_t>(next());
            h.feed(c.syn());
            h.feed(c.syn_ack());
            h.feed(c.client_ack());
            open = true;
        };
        fresh();
        for (int step = 0; step < 40; ++step) {
            if (!open) fresh();
            switch (next() % 9) {
            case 0: case 1: h.feed(c.client(get("/cb"))); break;
            case 2: h.feed(c.server(ok_response())); break;
            case 3: h.feed(c.server("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")); break;
            case 4: h.feed(c.server("", kRst | kAck)); open = false; break;
            case 5: h.feed(c.server("", kFin | kAck)); open = false; break;
            case 6: h.feed(c.client("", kFin | kAck)); break;
            case 7: h.feed(c.client("", kRst | kAck)); open = false; break;
            default:
                h.now_ns += (next() % 3000) * 1'000'000;
                h.table->expire_responses();
                break;
            }
        }
        h.now_ns += 7200 * kS;
        h.table->expire_responses();
        h.table->expire_idle();
        ASSERT_EQ(h.table->size(), 0u) << "script " << script;
        EXPECT_EQ(h.table->response_deadlines(), 0u) << "script " << script;
        EXPECT_EQ(ticketed, h.policy->counters().allowed) << "script " << script;
        admitted += h.policy->counters().allowed;
    }
    EXPECT_GT(admitted, 1000u);
}
