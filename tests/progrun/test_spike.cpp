// Spike arrest: per-source GCRA, driven by the injected clock so burst and refill are exact. Each
// test is a table of steps (progrun_fixture.hpp, Step).
#include <bpf/bpf.h>
#include <fmt/format.h>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

class SpikeBucketTest : public ProgRunTest, public ::testing::WithParamInterface<BucketCase> {};

// `passes` steps that pass, then one spike drop, at `at_ns` (0: the clock as it is).
void add_run(Steps& steps, uint64_t at_ns, uint64_t passes, const std::string& note) {
    for (uint64_t i = 0; i <= passes; ++i)
        steps.push_back({"192.0.2.10", 0, i == 0 ? at_ns : 0, i < passes ? XT_PASS : XT_DROP_SPIKE, note});
}

// Burst packets pass at t0, burst+1 drops; after k intervals exactly k more pass (k <= burst).
TEST_P(SpikeBucketTest, BurstThenExactRefill) {
    const auto& c = GetParam();
    config_.spike = rate(c.rate, c.every_ns, c.burst);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;

    Steps steps;
    add_run(steps, 0, c.burst, "the burst");
    steps.push_back({"192.0.2.10", 0, 0, XT_DROP_SPIKE, "a denied packet takes no token and earns none"});
    uint64_t now = kT0;
    for (uint64_t k : {1u, 2u, 3u, 1u}) {
        if (k > c.burst) continue;  // the bucket holds no more than burst: see the idle case below
        now += k * interval;
        add_run(steps, now - 1, k - 1, fmt::format("{} intervals less a nanosecond", k));
        add_run(steps, now, 1, fmt::format("{} intervals", k));
    }
    // A long idle period refills to the burst, never beyond (no 2*burst after idling).
    add_run(steps, now + 1000 * c.every_ns, c.burst, "after idling");
    run_steps(steps);
}

// In any window of length t at most burst + rate * t pass; a steady over-rate source gets exactly
// that many.
TEST_P(SpikeBucketTest, WindowBoundUnderSteadyOverload) {
    const auto& c = GetParam();
    config_.spike = rate(c.rate, c.every_ns, c.burst);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    const Frame frame = frame_from("192.0.2.10");
    const uint64_t step = interval / 3 + 1;  // three arrivals per token: 3x over the rate
    const uint64_t window = (c.burst + 40) * interval;  // long enough to drain the burst
    uint64_t passed = 0;
    for (uint64_t t = 0; t <= window; t += step) {
        set_clock(kT0 + t);
        if (run(frame) == kXdpPass) ++passed;
    }
    const uint64_t bound = c.burst + window / interval;
    EXPECT_LE(passed, bound);
    EXPECT_GE(passed, bound - 1);  // only the last partially earned token may be missing
}

INSTANTIATE_TEST_SUITE_P(Rates, SpikeBucketTest, ::testing::ValuesIn(bucket_cases()), bucket_case_name);

using SpikeTest = ProgRunTest;

TEST_F(SpikeTest, SourcesHaveTheirOwnBuckets) {
    config_.spike = rate(1, kSecond, 2);
    apply_config();
    Steps steps;
    for (const char* src : {"192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"})
        for (xt_verdict v : {XT_PASS, XT_PASS, XT_DROP_SPIKE}) steps.push_back({src, 0, 0, v});
    run_steps(steps);
    EXPECT_TRUE(spike_bucket_exists("192.0.2.1"));
    EXPECT_TRUE(spike_bucket_exists("2001:db8::2"));
}

// Per prefix: one bucket per /prefix_v4 or /prefix_v6 (0 means the defaults, /24 and /64), keyed
// by the prefix's first address.
struct PrefixCase {
    const char* name;
    uint8_t prefix_v4, prefix_v6;
    uint64_t burst;
    Steps steps;
    std::vector<const char*> buckets, no_buckets;
};
void PrintTo(const PrefixCase& c, std::ostream* os) { *os << c.name; }

class SpikePrefixTest : public ProgRunTest, public ::testing::WithParamInterface<PrefixCase> {};

TEST_P(SpikePrefixTest, SharesOneBucketPerPrefix) {
    const PrefixCase& c = GetParam();
    config_.spike = rate(1, kSecond, c.burst);
    config_.flags |= XT_CFG_SPIKE_PER_PREFIX;
    config_.spike_prefix_v4 = c.prefix_v4;
    config_.spike_prefix_v6 = c.prefix_v6;
    apply_config();
    run_steps(c.steps);
    for (const char* key : c.buckets) EXPECT_TRUE(spike_bucket_exists(key)) << key;
    for (const char* key : c.no_buckets) EXPECT_FALSE(spike_bucket_exists(key)) << key;
}

INSTANTIATE_TEST_SUITE_P(
    Prefixes, SpikePrefixTest,
    ::testing::Values(
        PrefixCase{"Slash24And64", 24, 64, 2,
                   {{"192.0.2.1", 0, 0, XT_PASS},
                    {"192.0.2.200", 0, 0, XT_PASS},
                    {"192.0.2.99", 0, 0, XT_DROP_SPIKE, "same /24: the bucket is shared"},
                    {"192.0.3.1", 0, 0, XT_PASS, "another /24"},
                    {"2001:db8:0:1::1", 0, 0, XT_PASS},
                    {"2001:db8:0:1:ffff::2", 0, 0, XT_PASS},
                    {"2001:db8:0:1::3", 0, 0, XT_DROP_SPIKE, "same /64"},
                    {"2001:db8:0:2::1", 0, 0, XT_PASS, "another /64"}},
                   {"192.0.2.0", "2001:db8:0:1::"},
                   {"192.0.2.1"}},
        PrefixCase{"OddLengths", 20, 36, 1,
                   {{"10.1.16.1", 0, 0, XT_PASS},
                    {"10.1.31.255", 0, 0, XT_DROP_SPIKE, "same /20"},
                    {"10.1.32.1", 0, 0, XT_PASS, "next /20"},
                    {"2001:db8:1000::1", 0, 0, XT_PASS},
                    {"2001:db8:1fff:ffff::1", 0, 0, XT_DROP_SPIKE, "same /36"},
                    {"2001:db8:2000::1", 0, 0, XT_PASS, "next /36"}},
                   {"10.1.16.0", "2001:db8:1000::"},
                   {}},
        PrefixCase{"UnsetLengthsMeanTheDefaults", 0, 0, 1,
                   {{"192.0.2.1", 0, 0, XT_PASS},
                    {"192.0.3.1", 0, 0, XT_PASS, "0 is /24, not one global bucket"},
                    {"2001:db8:0:1::1", 0, 0, XT_PASS}},
                   {"192.0.2.0", "2001:db8:0:1::"},
                   {}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(SpikeTest, OffMeansNoBucketAndNoClock) {
    run_steps(Steps(100, Step{"192.0.2.1"}));
    EXPECT_FALSE(spike_bucket_exists("192.0.2.1"));
}

TEST_F(SpikeTest, CountsNonFirstFragmentsAndEveryProtocol) {
    config_.spike = rate(1, kSecond, 3);
    apply_config();
    const char* src = "192.0.2.5";
    run_steps({
        {src, kAck, 0, XT_PASS},
        {.note = "ICMP", .frame = PacketBuilder().eth().ipv4(src, "198.51.100.1").icmp().build()},
        {.note = "non-first fragment",
         .frame = PacketBuilder().eth().ipv4(src, "198.51.100.1", {.fragment_offset = 10, .protocol = 17})
                      .payload(8).build()},
        {src, 0, 0, XT_DROP_SPIKE},
    });
}

// The kernel value read back is the GCRA state documented in abi.h: a new source's bucket is
// inserted already charged for its first packet.
TEST_F(SpikeTest, NewBucketIsChargedForTheFirstPacket) {
    config_.spike = rate(10, kSecond, 5);
    apply_config();
    run_steps({{"192.0.2.1"}});
    const xt_addr key = source_key("192.0.2.1");
    xt_source_buckets buckets{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SPIKE)), &key, &buckets), 0);
    EXPECT_EQ(buckets.spike.tat_ns, kT0 + config_.spike.interval_ns);
    EXPECT_EQ(buckets.syn.tat_ns, 0u) << "not a SYN: the SYN bucket of a new entry is full";
}

// XT_CFG_COARSE_CLOCK (opt-in) still runs exact GCRA arithmetic, on CLOCK_MONOTONIC_COARSE: with a
// rate far below one token per tick the burst is all a source gets.
TEST_F(SpikeTest, CoarseClockKeepsTheBurst) {
    config_.flags |= XT_CFG_COARSE_CLOCK;
    config_.spike = rate(1, 3600 * kSecond, 2);
    set_clock(0);
    run_steps({{"192.0.2.1"}, {"192.0.2.1"}, {"192.0.2.1", 0, 0, XT_DROP_SPIKE}});
    const xt_addr key = source_key("192.0.2.1");
    xt_source_buckets buckets{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SPIKE)), &key, &buckets), 0);
    const uint64_t now = xt::program_clock_ns(config_);
    EXPECT_LE(buckets.spike.tat_ns, now + 2 * config_.spike.interval_ns) << "coarse lags, never leads";
    EXPECT_GT(buckets.spike.tat_ns + kSecond, now + 2 * config_.spike.interval_ns);
}

}  // namespace
}  // namespace xt::test
