#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/rejection.hpp"
#include "http/stream_parser.hpp"
#include "policy/engine.hpp"

using namespace xt::http;

namespace {

// Parses the synthesized bytes back with the same HTTP parser the gateway uses.
struct Parsed {
    MessageHead head;
    std::string body;
};

Parsed parse_back(const std::string& bytes) {
    StreamParser p(StreamKind::responses);
    p.expect_response_to("GET");
    auto events = p.feed(bytes);
    EXPECT_TRUE(events) << (events ? "" : events.error().message);
    Parsed out;
    if (!events) return out;
    EXPECT_EQ(events->size(), 2u);  // head + end: Content-Length delimits the body exactly
    out.head = (*events)[0].head;
    out.body = bytes.substr((*events)[0].offset, (*events)[1].offset - (*events)[0].offset);
    EXPECT_EQ((*events)[1].offset, bytes.size());
    return out;
}

}  // namespace

TEST(Rejection, RendersEveryFieldAndParsesBack) {
    struct Case {
        unsigned status;
        const char* reason;
        uint64_t retry_after;
        const char* policy;
    } cases[] = {
        {429, "Too Many Requests", 3, "client"},
        {503, "Service Unavailable", 1, "endpoint"},
        {503, "Service Unavailable", 120, "proxy"},
    };
    for (const auto& c : cases) {
        Rejection r;
        r.status = c.status;
        r.retry_after_s = c.retry_after;
        r.limit_name = c.policy;
        r.rate_limit = RateLimitFields{c.policy, 10, 2, 0, c.retry_after};
        const std::string bytes = render_rejection(r);
        auto parsed = parse_back(bytes);
        EXPECT_EQ(parsed.head.status, c.status);
        EXPECT_EQ(parsed.head.reason, c.reason);
        EXPECT_EQ(parsed.head.version_minor, 1u);
        EXPECT_FALSE(parsed.head.keep_alive);
        EXPECT_EQ(*parsed.head.header("Connection"), "close");
        EXPECT_EQ(*parsed.head.header("Content-Type"), "application/json");
        EXPECT_EQ(*parsed.head.header("Retry-After"), std::to_string(c.retry_after));
        EXPECT_EQ(*parsed.head.header("RateLimit-Policy"), "\"" + std::string(c.policy) + "\";q=10;w=2");
        EXPECT_EQ(*parsed.head.header("RateLimit"),
                  "\"" + std::string(c.policy) + "\";r=0;t=" + std::to_string(c.retry_after));
        EXPECT_EQ(std::stoul(std::string(*parsed.head.header("Content-Length"))), parsed.body.size());
        auto body = nlohmann::json::parse(parsed.body);
        EXPECT_EQ(body["status"], c.status);
        EXPECT_EQ(body["retry_after"], c.retry_after);
        EXPECT_EQ(body["limit"], c.policy);
    }
}

TEST(Rejection, WithoutRetryAfterOrRateLimit) {
    Rejection r;
    r.status = 403;
    r.retry_after_s = 0;
    auto parsed = parse_back(render_rejection(r));
    EXPECT_EQ(parsed.head.status, 403u);
    EXPECT_FALSE(parsed.head.header("Retry-After"));
    EXPECT_FALSE(parsed.head.header("RateLimit"));
}

TEST(Rejection, PolicyNamesAreStructuredFieldStrings) {
    RateLimitFields f{"we\"ird\\name\x01", 5, 1, 0, 1};
    EXPECT_EQ(rate_limit_policy_value(f), R"("we\"ird\\name";q=5;w=1)");
}

TEST(Rejection, FromAPolicyDecision) {
    xt::policy::Reject reject;
    reject.status = 429;
    reject.retry_after_s = 7;
    reject.limit = xt::policy::LimitKind::endpoint_client;
    reject.rate_limit = RateLimitFields{"client", 5, 10, 0, 7};
    auto parsed = parse_back(render_rejection(xt::policy::to_rejection(reject)));
    EXPECT_EQ(parsed.head.status, 429u);
    EXPECT_EQ(*parsed.head.header("Retry-After"), "7");
    EXPECT_EQ(*parsed.head.header("RateLimit-Policy"), "\"client\";q=5;w=10");
}
