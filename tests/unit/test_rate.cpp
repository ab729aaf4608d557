// make_rate: the one derivation of GCRA parameters from what the operator writes.
#include <gtest/gtest.h>

#include "common/rate.hpp"

namespace xt {
namespace {

TEST(MakeRate, DerivesIntervalAndTolerance) {
    auto r = make_rate(100, 1000000000, 200);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->rate, 100u);
    EXPECT_EQ(r->every_ns, 1000000000u);
    EXPECT_EQ(r->burst, 200u);
    EXPECT_EQ(r->interval_ns, 10000000u);
    EXPECT_EQ(r->tolerance_ns, 199u * 10000000u);
    EXPECT_TRUE(rate_enabled(*r));
}

TEST(MakeRate, BurstOfOneHasNoTolerance) {
    auto r = make_rate(1, 60000000000ull, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->interval_ns, 60000000000ull);
    EXPECT_EQ(r->tolerance_ns, 0u);
}

TEST(MakeRate, RefusesZeroesAndTooFastRates) {
    EXPECT_FALSE(make_rate(0, 1000000000, 1));
    EXPECT_FALSE(make_rate(1, 0, 1));
    EXPECT_FALSE(make_rate(1, 1000000000, 0));
    EXPECT_TRUE(make_rate(10000000, 1000000000, 1));   // 100 ns a token: the finest allowed
    EXPECT_FALSE(make_rate(10000001, 1000000000, 1));  // below 100 ns
    EXPECT_FALSE(make_rate(1, 1000000000, UINT64_MAX));
}

TEST(MakeRate, OffIsAllZero) {
    EXPECT_FALSE(rate_enabled(rate_off()));
    EXPECT_EQ(rate_off().burst, 0u);
}

}  // namespace
}  // namespace xt
