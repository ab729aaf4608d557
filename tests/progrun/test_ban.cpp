// Ban box: banned until the deadline, then reaped by the first packet after it.
#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

Frame udp_from(const char* src) {
    if (std::string_view(src).find(':') != std::string_view::npos)
        return PacketBuilder().eth().ipv6(src, "2001:db8:1::1").udp(1000, 53).build();
    return PacketBuilder().eth().ipv4(src, "198.51.100.1").udp(1000, 53).build();
}

using BanTest = ProgRunTest;

TEST_F(BanTest, ActiveBanDropsAndCountsHits) {
    ban("192.0.2.10", kT0 + 10 * kSecond);
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpDrop);
    set_clock(kT0 + 10 * kSecond - 1);  // the last nanosecond of the ban
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpDrop);
    EXPECT_EQ(run(udp_from("192.0.2.11")), kXdpPass);
    EXPECT_EQ(packets(XT_DROP_BANNED), 2u);
    ASSERT_TRUE(ban_entry("192.0.2.10"));
    EXPECT_EQ(ban_entry("192.0.2.10")->hits, 2u);
}

TEST_F(BanTest, ExpiredBanPassesAndIsReaped) {
    ban("192.0.2.10", kT0 + 10 * kSecond);
    set_clock(kT0 + 10 * kSecond);  // now == deadline: no longer banned
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpPass);
    EXPECT_FALSE(ban_entry("192.0.2.10")) << "the expired entry must be deleted";
    EXPECT_EQ(packets(XT_DROP_BANNED), 0u);
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpPass);
}

TEST_F(BanTest, Ipv6Ban) {
    ban("2001:db8::bad", kT0 + kSecond);
    EXPECT_EQ(run(udp_from("2001:db8::bad")), kXdpDrop);
    EXPECT_EQ(run(udp_from("2001:db8::900d")), kXdpPass);
    set_clock(kT0 + 2 * kSecond);
    EXPECT_EQ(run(udp_from("2001:db8::bad")), kXdpPass);
    EXPECT_FALSE(ban_entry("2001:db8::bad"));
}

TEST_F(BanTest, Ipv4BanIsKeyedIpv4Mapped) {
    // The same key serves an IPv6 packet from the IPv4-mapped address: one ban, both families.
    ban("192.0.2.10", kT0 + kSecond);
    EXPECT_EQ(run(udp_from("::ffff:192.0.2.10")), kXdpDrop);
}

TEST_F(BanTest, DenyIsJudgedBeforeBan) {
    deny("192.0.2.10");
    ban("192.0.2.10", kT0 + kSecond);
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_IP_DENY), 1u);
    EXPECT_EQ(ban_entry("192.0.2.10")->hits, 0u);
}

TEST_F(BanTest, BannedNonFirstFragmentIsDropped) {
    ban("192.0.2.10", kT0 + kSecond);
    const Frame frag = PacketBuilder().eth().ipv4("192.0.2.10", "198.51.100.1",
                                                  {.fragment_offset = 8, .protocol = kIpProtoTcp})
                           .payload(24).build();
    EXPECT_EQ(run(frag), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_BANNED), 1u);
}

// Without the test hook the program reads CLOCK_MONOTONIC (bpf_ktime_get_ns).
TEST_F(BanTest, KernelClockIsUsedWithoutOverride) {
    set_clock(0);
    ban("192.0.2.10", UINT64_MAX);  // never expires
    ban("192.0.2.11", 1);           // expired at boot
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpDrop);
    EXPECT_EQ(run(udp_from("192.0.2.11")), kXdpPass);
    EXPECT_FALSE(ban_entry("192.0.2.11"));
}

}  // namespace
}  // namespace xt::test
