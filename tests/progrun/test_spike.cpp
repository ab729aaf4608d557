// Spike arrest: per-source GCRA, driven by the injected clock so burst and refill are exact.
#include <bpf/bpf.h>
#include <fmt/format.h>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

Frame udp_from(const char* src) {
    if (std::string_view(src).find(':') != std::string_view::npos)
        return PacketBuilder().eth().ipv6(src, "2001:db8:1::1").udp(1000, 53).build();
    return PacketBuilder().eth().ipv4(src, "198.51.100.1").udp(1000, 53).build();
}

struct BucketCase {
    uint64_t rate;
    uint64_t every_ns;
    uint64_t burst;
};
void PrintTo(const BucketCase& c, std::ostream* os) {
    *os << c.rate << "/" << c.every_ns << "ns burst " << c.burst;
}

class SpikeBucketTest : public ProgRunTest, public ::testing::WithParamInterface<BucketCase> {
protected:
    // Sends until the first drop (bounded); returns how many passed.
    int passes_until_drop(const Frame& frame, int limit = 10000) {
        for (int n = 0; n < limit; ++n)
            if (run(frame) == kXdpDrop) return n;
        return limit;
    }
};

// Burst packets pass at t0, burst+1 drops; after k intervals exactly k more pass (k <= burst).
TEST_P(SpikeBucketTest, BurstThenExactRefill) {
    const auto& c = GetParam();
    config_.spike = rate(c.rate, c.every_ns, c.burst);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    const Frame frame = udp_from("192.0.2.10");

    EXPECT_EQ(passes_until_drop(frame), static_cast<int>(c.burst));
    EXPECT_EQ(run(frame), kXdpDrop) << "a denied packet takes no token and earns none";

    uint64_t now = kT0;
    uint64_t expected_spike_drops = 2;
    for (uint64_t k : {1u, 2u, 3u, 1u}) {
        if (k > c.burst) continue;  // the bucket holds no more than burst: see the idle case below
        SCOPED_TRACE(fmt::format("after {} more intervals", k));
        now += k * interval;
        set_clock(now - 1);  // one nanosecond early: only k - 1 tokens are back
        EXPECT_EQ(passes_until_drop(frame), static_cast<int>(k - 1));
        set_clock(now);
        EXPECT_EQ(passes_until_drop(frame), 1);
        expected_spike_drops += 2;
    }
    EXPECT_EQ(packets(XT_DROP_SPIKE), expected_spike_drops);

    // A long idle period refills to the burst, never beyond (no 2*burst after idling).
    set_clock(now + 1000 * c.every_ns);
    EXPECT_EQ(passes_until_drop(frame), static_cast<int>(c.burst));
}

// In any window of length t at most burst + rate * t pass; a steady over-rate source gets exactly
// that many.
TEST_P(SpikeBucketTest, WindowBoundUnderSteadyOverload) {
    const auto& c = GetParam();
    config_.spike = rate(c.rate, c.every_ns, c.burst);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    const Frame frame = udp_from("192.0.2.10");
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

INSTANTIATE_TEST_SUITE_P(Rates, SpikeBucketTest,
                         ::testing::Values(BucketCase{10, kSecond, 5}, BucketCase{1, kSecond, 1},
                                           BucketCase{100, kSecond, 20},
                                           BucketCase{3, 250 * kMillisecond, 2},
                                           BucketCase{1000, 60 * kSecond, 50}),
                         [](const auto& info) {
                             const BucketCase& c = info.param;
                             return fmt::format("Rate{}Per{}msBurst{}", c.rate, c.every_ns / kMillisecond,
                                                c.burst);
                         });

using SpikeTest = ProgRunTest;

TEST_F(SpikeTest, SourcesHaveTheirOwnBuckets) {
    config_.spike = rate(1, kSecond, 2);
    apply_config();
    for (const char* src : {"192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"}) {
        SCOPED_TRACE(src);
        EXPECT_EQ(run(udp_from(src)), kXdpPass);
        EXPECT_EQ(run(udp_from(src)), kXdpPass);
        EXPECT_EQ(run(udp_from(src)), kXdpDrop);
    }
    EXPECT_TRUE(spike_bucket_exists("192.0.2.1"));
    EXPECT_TRUE(spike_bucket_exists("2001:db8::2"));
}

TEST_F(SpikeTest, PerPrefixSharesOneBucketPerPrefix) {
    config_.spike = rate(1, kSecond, 2);
    config_.flags |= XT_CFG_SPIKE_PER_PREFIX;
    config_.spike_prefix_v4 = 24;
    config_.spike_prefix_v6 = 64;
    apply_config();

    EXPECT_EQ(run(udp_from("192.0.2.1")), kXdpPass);
    EXPECT_EQ(run(udp_from("192.0.2.200")), kXdpPass);
    EXPECT_EQ(run(udp_from("192.0.2.99")), kXdpDrop) << "same /24: the bucket is shared";
    EXPECT_EQ(run(udp_from("192.0.3.1")), kXdpPass) << "another /24";
    EXPECT_TRUE(spike_bucket_exists("192.0.2.0"));
    EXPECT_FALSE(spike_bucket_exists("192.0.2.1"));

    EXPECT_EQ(run(udp_from("2001:db8:0:1::1")), kXdpPass);
    EXPECT_EQ(run(udp_from("2001:db8:0:1:ffff::2")), kXdpPass);
    EXPECT_EQ(run(udp_from("2001:db8:0:1::3")), kXdpDrop) << "same /64";
    EXPECT_EQ(run(udp_from("2001:db8:0:2::1")), kXdpPass) << "another /64";
    EXPECT_TRUE(spike_bucket_exists("2001:db8:0:1::"));
    EXPECT_EQ(packets(XT_DROP_SPIKE), 2u);
}

TEST_F(SpikeTest, PerPrefixWithOddPrefixLengths) {
    config_.spike = rate(1, kSecond, 1);
    config_.flags |= XT_CFG_SPIKE_PER_PREFIX;
    config_.spike_prefix_v4 = 20;
    config_.spike_prefix_v6 = 36;
    apply_config();
    EXPECT_EQ(run(udp_from("10.1.16.1")), kXdpPass);
    EXPECT_EQ(run(udp_from("10.1.31.255")), kXdpDrop) << "same /20";
    EXPECT_EQ(run(udp_from("10.1.32.1")), kXdpPass) << "next /20";
    EXPECT_TRUE(spike_bucket_exists("10.1.16.0"));
    EXPECT_EQ(run(udp_from("2001:db8:1000::1")), kXdpPass);
    EXPECT_EQ(run(udp_from("2001:db8:1fff:ffff::1")), kXdpDrop) << "same /36";
    EXPECT_EQ(run(udp_from("2001:db8:2000::1")), kXdpPass) << "next /36";
    EXPECT_TRUE(spike_bucket_exists("2001:db8:1000::"));
}

TEST_F(SpikeTest, UnsetPrefixLengthsMeanTheDefaults) {
    config_.spike = rate(1, kSecond, 1);
    config_.flags |= XT_CFG_SPIKE_PER_PREFIX;
    config_.spike_prefix_v4 = 0;
    config_.spike_prefix_v6 = 0;
    apply_config();
    EXPECT_EQ(run(udp_from("192.0.2.1")), kXdpPass);
    EXPECT_EQ(run(udp_from("192.0.3.1")), kXdpPass) << "0 is /24, not one global bucket";
    EXPECT_TRUE(spike_bucket_exists("192.0.2.0"));
    EXPECT_EQ(run(udp_from("2001:db8:0:1::1")), kXdpPass);
    EXPECT_TRUE(spike_bucket_exists("2001:db8:0:1::"));
}

TEST_F(SpikeTest, OffMeansNoBucketAndNoClock) {
    for (int i = 0; i < 100; ++i) ASSERT_EQ(run(udp_from("192.0.2.1")), kXdpPass);
    EXPECT_FALSE(spike_bucket_exists("192.0.2.1"));
}

TEST_F(SpikeTest, CountsNonFirstFragmentsAndEveryProtocol) {
    config_.spike = rate(1, kSecond, 3);
    apply_config();
    const char* src = "192.0.2.5";
    EXPECT_EQ(run(PacketBuilder().eth().ipv4(src, "198.51.100.1").tcp(1, 80, kAck).build()), kXdpPass);
    EXPECT_EQ(run(PacketBuilder().eth().ipv4(src, "198.51.100.1").icmp().build()), kXdpPass);
    EXPECT_EQ(run(PacketBuilder().eth().ipv4(src, "198.51.100.1", {.fragment_offset = 10, .protocol = 17})
                      .payload(8).build()),
              kXdpPass);
    EXPECT_EQ(run(udp_from(src)), kXdpDrop);
}

// The kernel value read back is the GCRA state documented in abi.h: a new source's bucket is
// inserted already charged for its first packet.
TEST_F(SpikeTest, NewBucketIsChargedForTheFirstPacket) {
    config_.spike = rate(10, kSecond, 5);
    apply_config();
    ASSERT_EQ(run(udp_from("192.0.2.1")), kXdpPass);
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
    EXPECT_EQ(run(udp_from("192.0.2.1")), kXdpPass);
    EXPECT_EQ(run(udp_from("192.0.2.1")), kXdpPass);
    EXPECT_EQ(run(udp_from("192.0.2.1")), kXdpDrop);
    const xt_addr key = source_key("192.0.2.1");
    xt_source_buckets buckets{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SPIKE)), &key, &buckets), 0);
    const uint64_t now = xt::program_clock_ns(config_);
    EXPECT_LE(buckets.spike.tat_ns, now + 2 * config_.spike.interval_ns) << "coarse lags, never leads";
    EXPECT_GT(buckets.spike.tat_ns + kSecond, now + 2 * config_.spike.interval_ns);
}

}  // namespace
}  // namespace xt::test
