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

TEST(ClientBuckets, KeepsClientsApartAndEvictsLeastRecentlyUsed) {
    const auto p = bucket_params({1, 1, kSecond});
    ClientBuckets clients(3);
    const uint64_t now = kSecond;
    EXPECT_TRUE(clients.get("a").take(p, now).admitted);
    EXPECT_TRUE(clients.get("b").take(p, now).admitted);
    EXPECT_TRUE(clients.get("c").take(p, now).admitted);
    EXPECT_FALSE(clients.get("a").take(p, now).admitted);  // a is now most recent
    EXPECT_EQ(clients.size(), 3u);
    EXPECT_TRUE(clients.get("d").take(p, now).admitted);   // evicts b, the least recently used
    EXPECT_EQ(clients.size(), 3u);
    EXPECT_EQ(clients.evictions(), 1u);
    EXPECT_FALSE(clients.contains("b"));
    EXPECT_TRUE(clients.contains("a"));
    EXPECT_FALSE(clients.get("c").take(p, now).admitted);  // c kept its empty bucket
    EXPECT_TRUE(clients.get("b").take(p, now).admitted);   // b comes back full (documented)
}

TEST(ClientBuckets, BoundedUnderManyClients) {
    const auto p = bucket_params({1, 1, kSecond});
    ClientBuckets clients(100);
    for (int i = 0; i < 10000; ++i) clients.get(std::to_string(i)).take(p, kSecond);
    EXPECT_EQ(clients.size(), 100u);
    EXPECT_EQ(clients.evictions(), 9900u);
    for (int i = 9900; i < 10000; ++i) EXPECT_TRUE(clients.contains(std::to_string(i)));
}
