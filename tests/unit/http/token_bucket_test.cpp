#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>

#include "policy/client_buckets.hpp"
#include "policy/token_bucket.hpp"

using namespace xt::policy;
using xt::config::TokenRate;

namespace {
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSecond = 1'000'000'000;
}  // namespace

TEST(BucketParams, DerivesGcraFromKrakendRates) {
    struct Case {
        TokenRate rate;
        uint64_t interval_ns;
        uint64_t tolerance_ns;
    } cases[] = {
        {{10, 10, kSecond}, 100 * kMs, 900 * kMs},
        {{0.5, 1, kSecond}, 2 * kSecond, 0},
        {{5, 5, 600 * kSecond}, 120 * kSecond, 480 * kSecond},
        {{3, 1, kSecond}, 333'333'333, 0},
        {{1, 100, kSecond}, kSecond, 99 * kSecond},
    };
    for (const auto& c : cases) {
        auto p = bucket_params(c.rate);
        EXPECT_EQ(p.interval_ns, c.interval_ns) << c.rate.max_rate;
        EXPECT_EQ(p.tolerance_ns, c.tolerance_ns) << c.rate.max_rate;
        EXPECT_EQ(p.capacity, c.rate.capacity);
    }
}

TEST(TokenBucket, StartsFullThenRefillsContinuously) {
    const auto p = bucket_params({10, 5, kSecond});  // 10/s, capacity 5
    TokenBucket b;
    uint64_t now = 7 * kSecond;
    EXPECT_EQ(b.available(p, now), 5u);
    for (uint64_t i = 0; i < 5; ++i) {
        auto o = b.take(p, now);
        EXPECT_TRUE(o.admitted) << i;
        EXPECT_EQ(o.remaining, 4 - i);
    }
    auto refused = b.take(p, now);
    EXPECT_FALSE(refused.admitted);
    EXPECT_EQ(refused.wait_ns, 100 * kMs);
    EXPECT_EQ(b.wait_ns(p, now), 100 * kMs);
    now += 99 * kMs;
    EXPECT_FALSE(b.take(p, now).admitted);
    now += 1 * kMs;
    EXPECT_TRUE(b.take(p, now).admitted);  // one token per 100 ms
    EXPECT_FALSE(b.take(p, now).admitted);
    now += 10 * kSecond;                   // idle: back to full, never more
    EXPECT_EQ(b.available(p, now), 5u);
    EXPECT_TRUE(b.full(now));
}

TEST(TokenBucket, StartsFullAtClockZero) {
    const auto p = bucket_params({1, 3, kSecond});
    TokenBucket b;
    EXPECT_TRUE(b.take(p, 0).admitted);
    EXPECT_TRUE(b.take(p, 0).admitted);
    EXPECT_TRUE(b.take(p, 0).admitted);
    EXPECT_FALSE(b.take(p, 0).admitted);
}

TEST(TokenBucket, FractionalRate) {
    const auto p = bucket_params({0.5, 1, kSecond});  // one request per 2 s
    TokenBucket b;
    uint64_t now = kSecond;
    EXPECT_TRUE(b.take(p, now).admitted);
    auto o = b.take(p, now + kSecond);
    EXPECT_FALSE(o.admitted);
    EXPECT_EQ(o.wait_ns, kSecond);
    EXPECT_EQ(whole_seconds_at_least_one(o.wait_ns), 1u);
    EXPECT_TRUE(b.take(p, now + 2 * kSecond).admitted);
}

// The brief's bound: in any window of length t at most capacity + rate * t are admitted, even after
// idling (a lazy-refill bucket would admit up to 2 * capacity there).
TEST(TokenBucket, NeverAdmitsMoreThanCapacityPlusRateTimesWindow) {
    std::mt19937_64 rng(12345);
    for (const TokenRate rate : {TokenRate{10, 5, kSecond}, TokenRate{100, 1, kSecond},
                                 TokenRate{2.5, 20, kSecond}, TokenRate{50, 50, 60 * kSecond}}) {
        const auto p = bucket_params(rate);
        TokenBucket b;
        std::vector<uint64_t> admitted;
        uint64_t now = kSecond;
        for (int i = 0; i < 20000; ++i) {
            // bursts and idle gaps
            now += (rng() % 10 == 0) ? rng() % (3 * kSecond) : rng() % (2 * kMs);
            if (b.take(p, now).admitted) admitted.push_back(now);
        }
        ASSERT_FALSE(admitted.empty());
        // Sliding windows starting at each admission.
        for (uint64_t window : {kMs, 100 * kMs, kSecond, 10 * kSecond}) {
            std::size_t j = 0;
            for (std::size_t i = 0; i < admitted.size(); ++i) {
                while (j < admitted.size() && admitted[j] - admitted[i] <= window) ++j;
                const double bound = static_cast<double>(p.capacity) +
                                     static_cast<double>(window) / static_cast<double>(p.interval_ns);
                ASSERT_LE(static_cast<double>(j - i), bound)
                    << "rate " << rate.max_rate << " window " << window;
            }
        }
    }
}

TEST(TokenBucket, WholeSecondsForRetryAfter) {
    struct Case {
        uint64_t ns;
        uint64_t s;
    } cases[] = {{0, 1}, {1, 1}, {kSecond - 1, 1}, {kSecond, 1}, {kSecond + 1, 2}, {59 * kSecond + 5, 60}};
    for (const auto& c : cases) EXPECT_EQ(whole_seconds_at_least_one(c.ns), c.s) << c.ns;
}

namespace {
ClientTableOptions table(std::size_t max, uint64_t overflow_clients = 2,
                         xt::config::FlowLimits::OnClientsFull on_full = xt::config::FlowLimits::OnClientsFull::overflow) {
    ClientTableOptions o;
    o.max_clients = max;
    o.overflow_clients = overflow_clients;
    o.on_full = on_full;
    return o;
}
}  // namespace

// Issue 13's attack: a client spends its bucket (3 per hour), 400 other addresses send one request
// each into a table of 100, then it asks again. It must still be refused.
TEST(ClientBuckets, ASpentClientSurvivesAFlood) {
    const auto p = bucket_params({1, 3, 3600 * kSecond});
    ClientBuckets clients(table(100), p);
    uint64_t now = kSecond;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(clients.take("spent", now).outcome.admitted);
    EXPECT_FALSE(clients.take("spent", now).outcome.admitted);
    int overflow = 0;
    for (int i = 0; i < 400; ++i) {
        now += kSecond;
        if (clients.take("other" + std::to_string(i), now).overflow) ++overflow;
    }
    EXPECT_EQ(clients.size(), 100u);
    EXPECT_EQ(overflow, 301);  // 99 got buckets of their own, the rest shared the overflow bucket
    EXPECT_EQ(clients.forgotten(), 0u);  // nothing was full, nothing was forgotten
    EXPECT_EQ(clients.overflow_episodes(), 1u);
    EXPECT_TRUE(clients.contains("spent"));
    auto again = clients.take("spent", now);
    EXPECT_FALSE(again.outcome.admitted);
    EXPECT_FALSE(again.overflow);
}

// A bucket that has refilled to capacity is the same as none: those make room.
TEST(ClientBuckets, OnlyFullBucketsAreForgotten) {
    const auto p = bucket_params({1, 1, kSecond});  // refills in 1 s
    ClientBuckets clients(table(3), p);
    EXPECT_TRUE(clients.take("a", kSecond).outcome.admitted);
    EXPECT_TRUE(clients.take("b", kSecond + 500'000'000).outcome.admitted);
    EXPECT_TRUE(clients.take("c", kSecond + 600'000'000).outcome.admitted);
    // At 2.1 s only a is full again (b at 2.5 s, c at 2.6 s): d takes a's place.
    auto d = clients.take("d", 2 * kSecond + 100'000'000);
    EXPECT_TRUE(d.outcome.admitted);
    EXPECT_FALSE(d.overflow);
    EXPECT_FALSE(clients.contains("a"));
    EXPECT_TRUE(clients.contains("b"));
    EXPECT_EQ(clients.forgotten(), 1u);
    // e finds nothing full: overflow (2 clients' worth: capacity 2).
    EXPECT_TRUE(clients.take("e", 2 * kSecond + 200'000'000).overflow);
    // A refused request does not make a bucket fuller or emptier.
    EXPECT_FALSE(clients.take("b", 2 * kSecond + 200'000'000).outcome.admitted);
    EXPECT_TRUE(clients.contains("b"));
}

TEST(ClientBuckets, OverflowBucketHoldsItsShareThenRefuses) {
    const auto p = bucket_params({1, 2, 3600 * kSecond});
    ClientBuckets clients(table(1, 3), p);
    EXPECT_TRUE(clients.take("owner", kSecond).outcome.admitted);
    int admitted = 0;
    for (int i = 0; i < 20; ++i)
        if (clients.take("new" + std::to_string(i), kSecond).outcome.admitted) ++admitted;
    EXPECT_EQ(admitted, 6);  // 3 clients' worth of capacity 2
    EXPECT_EQ(clients.overflow_requests(), 20u);
    EXPECT_EQ(clients.overflow_episodes(), 1u);
}

TEST(ClientBuckets, RejectModeRefusesNewClientsUntilABucketRefills) {
    const auto p = bucket_params({1, 1, 10 * kSecond});
    ClientBuckets clients(table(1, 2, xt::config::FlowLimits::OnClientsFull::reject), p);
    EXPECT_TRUE(clients.take("owner", kSecond).outcome.admitted);
    auto refused = clients.take("new", 2 * kSecond);
    EXPECT_FALSE(refused.outcome.admitted);
    EXPECT_TRUE(refused.overflow);
    EXPECT_EQ(refused.outcome.wait_ns, 9 * kSecond);  // owner's bucket is full at 11 s
    auto later = clients.take("new", 11 * kSecond);
    EXPECT_TRUE(later.outcome.admitted);
    EXPECT_FALSE(later.overflow);
    EXPECT_EQ(clients.overflow_episodes(), 1u);
}

TEST(ClientBuckets, BoundedUnderManyClients) {
    const auto p = bucket_params({1, 1, kSecond});
    ClientBuckets clients(table(100), p);
    for (int i = 0; i < 10000; ++i) clients.take(std::to_string(i), kSecond + i * 20'000'000ull);
    EXPECT_EQ(clients.size(), 100u);  // every 50th request finds a full bucket to replace
    EXPECT_GT(clients.forgotten(), 9000u);
}
