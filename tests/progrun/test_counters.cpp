// Counters: seen == passed + every drop, bytes are frame lengths; the per-source drop tally.
#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

using CounterTest = ProgRunTest;

TEST_F(CounterTest, EveryPacketCountsSeenAndExactlyOneVerdict) {
    deny("192.0.2.66");
    ban("192.0.2.77", kT0 + kSecond);
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    const std::vector<Frame> frames = {
        PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1").tcp(1, 80, kSyn).build(),            // pass
        PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1").tcp(1, 80, kSyn).payload(3).build(), // syn
        PacketBuilder().eth().ipv4("192.0.2.66", "198.51.100.1").udp(1, 2).payload(100).build(),     // deny
        PacketBuilder().eth().ipv4("192.0.2.77", "198.51.100.1").udp(1, 2).build(),                  // ban
        PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1", {.ihl = 3}).udp(1, 2).build(),       // malformed
        PacketBuilder().eth().arp_request("192.0.2.1", "192.0.2.2").build(),                         // pass
    };
    uint64_t total_bytes = 0;
    for (const auto& f : frames) {
        run(f);
        total_bytes += f.size();
    }
    const xt_stats s = stats();
    EXPECT_EQ(s.seen.packets, frames.size());
    EXPECT_EQ(s.seen.bytes, total_bytes);
    uint64_t verdict_packets = 0, verdict_bytes = 0;
    for (int v = XT_PASS; v < XT_VERDICT_COUNT; ++v) {
        verdict_packets += verdict_counter(s, xt_verdict(v)).packets;
        verdict_bytes += verdict_counter(s, xt_verdict(v)).bytes;
    }
    EXPECT_EQ(verdict_packets, s.seen.packets);
    EXPECT_EQ(verdict_bytes, s.seen.bytes);
    EXPECT_EQ(s.passed.packets, 2u);
    EXPECT_EQ(s.passed.bytes, frames[0].size() + frames[5].size());
    EXPECT_EQ(s.syn_source.packets, 1u);
    EXPECT_EQ(s.ip_deny.bytes, frames[2].size());
    EXPECT_EQ(s.banned.packets, 1u);
    EXPECT_EQ(s.malformed.packets, 1u);
}

TEST_F(CounterTest, TopDropsTallyEveryDropButMalformed) {
    config_.flags |= XT_CFG_TRACK_TOP;
    config_.spike = rate(1, kSecond, 1);
    apply_config();
    deny("192.0.2.66");
    const Frame denied = PacketBuilder().eth().ipv4("192.0.2.66", "198.51.100.1").udp(1, 2).build();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(run(denied), kXdpDrop);
    auto tally = drop_tally("192.0.2.66");
    ASSERT_TRUE(tally);
    EXPECT_EQ(tally->packets, 3u);
    EXPECT_EQ(tally->bytes, 3 * denied.size());
    EXPECT_EQ(tally->last_verdict, uint32_t(XT_DROP_IP_DENY));

    const Frame limited = PacketBuilder().eth().ipv6("2001:db8::5", "2001:db8::1").udp(1, 2).build();
    EXPECT_EQ(run(limited), kXdpPass);
    EXPECT_FALSE(drop_tally("2001:db8::5")) << "passed packets are not tallied";
    EXPECT_EQ(run(limited), kXdpDrop);
    ASSERT_TRUE(drop_tally("2001:db8::5"));
    EXPECT_EQ(drop_tally("2001:db8::5")->last_verdict, uint32_t(XT_DROP_SPIKE));

    const Frame malformed =
        PacketBuilder().eth().ipv4("192.0.2.99", "198.51.100.1", {.total_length = 9000}).udp(1, 2).build();
    EXPECT_EQ(run(malformed), kXdpDrop);
    EXPECT_FALSE(drop_tally("192.0.2.99"));
}

TEST_F(CounterTest, TopDropsOffByDefault) {
    deny("192.0.2.66");
    EXPECT_EQ(run(PacketBuilder().eth().ipv4("192.0.2.66", "198.51.100.1").udp(1, 2).build()), kXdpDrop);
    EXPECT_FALSE(drop_tally("192.0.2.66"));
}

}  // namespace
}  // namespace xt::test
