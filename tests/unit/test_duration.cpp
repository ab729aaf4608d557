// KrakenD (Go time.ParseDuration) durations.
#include <gtest/gtest.h>

#include "input/duration.hpp"

namespace xt {
namespace {

constexpr uint64_t kMs = 1000000, kS = 1000 * kMs, kM = 60 * kS, kH = 60 * kM;

TEST(Duration, ParsesGoSyntax) {
    EXPECT_EQ(*parse_duration_ns("250ms"), 250 * kMs);
    EXPECT_EQ(*parse_duration_ns("10s"), 10 * kS);
    EXPECT_EQ(*parse_duration_ns("5m"), 5 * kM);
    EXPECT_EQ(*parse_duration_ns("1h"), kH);
    EXPECT_EQ(*parse_duration_ns("1m30s"), 90 * kS);
    EXPECT_EQ(*parse_duration_ns("1h2m3s4ms5us6ns"), kH + 2 * kM + 3 * kS + 4 * kMs + 5000 + 6);
    EXPECT_EQ(*parse_duration_ns("1.5h"), kH + 30 * kM);
    EXPECT_EQ(*parse_duration_ns(".5s"), 500 * kMs);
    EXPECT_EQ(*parse_duration_ns("1.s"), kS);
    EXPECT_EQ(*parse_duration_ns("100us"), 100000u);
    EXPECT_EQ(*parse_duration_ns("100\xc2\xb5s"), 100000u);
    EXPECT_EQ(*parse_duration_ns("7ns"), 7u);
    EXPECT_EQ(*parse_duration_ns("+3s"), 3 * kS);
    EXPECT_EQ(*parse_duration_ns("0"), 0u);
    EXPECT_EQ(*parse_duration_ns("0s"), 0u);
    EXPECT_EQ(*parse_duration_ns("1.000000001s"), kS + 1);
}

TEST(Duration, RejectsWithTheValue) {
    const std::string hint = " (durations look like 250ms, 10s, 5m, 1h or 1m30s)";
    EXPECT_EQ(parse_duration_ns("10").error().message, "10: missing unit (ns, us, ms, s, m or h)" + hint);
    EXPECT_EQ(parse_duration_ns("10x").error().message,
              "10x: unknown unit 'x' (use ns, us, ms, s, m or h)" + hint);
    EXPECT_EQ(parse_duration_ns("1d").error().message,
              "1d: unknown unit 'd' (use ns, us, ms, s, m or h)" + hint);
    EXPECT_EQ(parse_duration_ns("-5s").error().message, "-5s: negative durations are not allowed" + hint);
    EXPECT_EQ(parse_duration_ns("s").error().message, "s: expected a number" + hint);
    EXPECT_EQ(parse_duration_ns("banana").error().message, "banana: expected a number" + hint);
    EXPECT_FALSE(parse_duration_ns(""));
    EXPECT_FALSE(parse_duration_ns("1s "));
    EXPECT_FALSE(parse_duration_ns("1 s"));
    EXPECT_FALSE(parse_duration_ns("."));
    EXPECT_FALSE(parse_duration_ns("+"));
    EXPECT_EQ(parse_duration_ns("99999999999999999999h").error().message, "99999999999999999999h: too large" + hint);
    EXPECT_EQ(parse_duration_ns("9999999h").error().message, "9999999h: too large" + hint);
}

TEST(Duration, FormatsInTheLargestWholeUnit) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(kS), "1s");
    EXPECT_EQ(format_duration(90 * kS), "90s");
    EXPECT_EQ(format_duration(5 * kM), "5m");
    EXPECT_EQ(format_duration(kH), "1h");
    EXPECT_EQ(format_duration(250 * kMs), "250ms");
    EXPECT_EQ(format_duration(1500), "1500ns");
    EXPECT_EQ(*parse_duration_ns(format_duration(1234567)), 1234567u);
}

}  // namespace
}  // namespace xt
