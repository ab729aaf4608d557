// Ban box: banned until the deadline, then reaped by the first packet after it.
#include <bpf/bpf.h>

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

// The counting filter in front of the ban box (abi.h, XT_MAP_BAN_FILTER): counted by the library
// on ban/unban, lowered by the program when it reaps; a source whose slot counts 0 is not looked up.
class BanFilterTest : public ProgRunTest {
protected:
    uint32_t slot_count(std::string_view ip) const {
        const xt_addr key = source_key(ip);
        const uint32_t slot = xt_addr_slot(&key);
        uint32_t count = 0;
        EXPECT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_BAN_FILTER)), &slot, &count), 0);
        return count;
    }
};

TEST_F(BanFilterTest, CountedOnBanAndUnbanAndReap) {
    ban("192.0.2.10", kT0 + kSecond);
    ban("2001:db8::bad", kT0 + kSecond);
    EXPECT_EQ(slot_count("192.0.2.10"), 1u);
    EXPECT_EQ(slot_count("2001:db8::bad"), 1u);
    ban("192.0.2.10", kT0 + 2 * kSecond);
    EXPECT_EQ(slot_count("192.0.2.10"), 1u) << "a re-ban is the same ban";
    const xt_addr v4 = source_key("192.0.2.10");
    ASSERT_TRUE(xt::delete_bans(maps_, {&v4, 1}).has_value());
    EXPECT_EQ(slot_count("192.0.2.10"), 0u);
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpPass);
    // The program reaps the expired IPv6 ban and lowers its count.
    set_clock(kT0 + kSecond);
    EXPECT_EQ(run(udp_from("2001:db8::bad")), kXdpPass);
    EXPECT_FALSE(ban_entry("2001:db8::bad"));
    EXPECT_EQ(slot_count("2001:db8::bad"), 0u);
}

TEST_F(BanFilterTest, LibraryReapLowersTheCount) {
    ban("192.0.2.20", kT0 + kSecond);
    set_clock(kT0 + 5 * kSecond);
    const auto reaped = xt::reap_expired_bans(maps_);
    ASSERT_TRUE(reaped.has_value());
    EXPECT_EQ(*reaped, 1u);
    EXPECT_EQ(slot_count("192.0.2.20"), 0u);
}

// A ban written behind the library's back is missed while the config is indexed (which is why
// bans go through add_bans), found by an unindexed config, and counted by the next index rebuild.
TEST_F(BanFilterTest, RawBanNeedsTheIndexRebuilt) {
    const xt_addr key = source_key("192.0.2.30");
    xt_ban raw{};
    raw.deadline_ns = kT0 + kSecond;
    ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_BANS)), &key, &raw, BPF_NOEXIST), 0);
    EXPECT_EQ(run(udp_from("192.0.2.30")), kXdpPass);
    apply_config_unindexed();
    EXPECT_EQ(run(udp_from("192.0.2.30")), kXdpDrop);
    apply_config();  // rebuilds the index: the raw ban is counted
    EXPECT_EQ(slot_count("192.0.2.30"), 1u);
    EXPECT_EQ(run(udp_from("192.0.2.30")), kXdpDrop);
}

// The opt-in coarse clock (XT_CFG_COARSE_CLOCK) is CLOCK_MONOTONIC_COARSE: the same time base as
// the ban deadlines the library writes, at most one tick behind.
TEST_F(BanTest, CoarseClockIsTheMonotonicBase) {
    config_.flags |= XT_CFG_COARSE_CLOCK;
    set_clock(0);
    const uint64_t now = xt::program_clock_ns(config_);
    ban("192.0.2.10", now + 60 * kSecond);  // banned for a minute from now
    ban("192.0.2.11", now - kSecond);       // expired a second ago: far more than a tick
    EXPECT_EQ(run(udp_from("192.0.2.10")), kXdpDrop);
    EXPECT_EQ(run(udp_from("192.0.2.11")), kXdpPass);
    EXPECT_FALSE(ban_entry("192.0.2.11"));
}

}  // namespace
}  // namespace xt::test
