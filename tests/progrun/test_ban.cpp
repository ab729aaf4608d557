// Ban box: banned until the deadline, then reaped by the first packet after it. Packets are steps
// of a table (progrun_fixture.hpp, Step).
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <vector>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

using BanTest = ProgRunTest;

TEST_F(BanTest, ActiveBanDropsAndCountsHits) {
    ban("192.0.2.10", kT0 + 10 * kSecond);
    run_steps({
        {"192.0.2.10", 0, 0, XT_DROP_BANNED},
        {"192.0.2.10", 0, kT0 + 10 * kSecond - 1, XT_DROP_BANNED, "the last nanosecond of the ban"},
        {"192.0.2.11", 0, 0, XT_PASS},
    });
    ASSERT_TRUE(ban_entry("192.0.2.10"));
    EXPECT_EQ(ban_entry("192.0.2.10")->hits, 2u);
}

// A full ban box (a plain hash, never an LRU) refuses new bans with an error that counts them, and
// keeps every ban it holds: the program still drops them, and re-banning one still works.
TEST_F(BanTest, FullBanBoxRefusesNewBansAndKeepsItsBans) {
    ban("192.0.2.10", kT0 + 3600 * kSecond);
    std::vector<xt_addr> fill;
    for (uint32_t i = 0; fill.size() < XT_BANS_MAX - 1; ++i) {
        xt_addr a = source_key("100.64.0.0");
        a.w[3] = htonl(ntohl(a.w[3]) + i);
        fill.push_back(a);
    }
    ASSERT_TRUE(add_bans(maps_, fill, 3600 * kSecond, "fill", XT_BAN_BY_OPERATOR));

    const xt_addr asked[] = {source_key("198.51.100.9"), source_key("192.0.2.10")};
    const auto refused = add_bans(maps_, asked, 60 * kSecond, "", XT_BAN_BY_OPERATOR);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::unsupported);
    EXPECT_NE(refused.error().message.find("the ban box is full (65536 bans): 1 of 2 addresses refused "
                                           "(198.51.100.9), 1 banned"),
              std::string::npos)
        << refused.error().message;
    EXPECT_FALSE(ban_entry("198.51.100.9"));
    ASSERT_TRUE(ban_entry("192.0.2.10")) << "re-banned in the full box";
    EXPECT_EQ(ban_entry("192.0.2.10")->deadline_ns, kT0 + 60 * kSecond);
    run_steps({{"192.0.2.10", 0, 0, XT_DROP_BANNED}, {"100.64.255.254", 0, 0, XT_DROP_BANNED},
               {"198.51.100.9", 0, 0, XT_PASS, "refused: not banned"}});
}

TEST_F(BanTest, ExpiredBanPassesAndIsReaped) {
    ban("192.0.2.10", kT0 + 10 * kSecond);
    run_steps({{"192.0.2.10", 0, kT0 + 10 * kSecond, XT_PASS, "now == deadline: no longer banned"}});
    EXPECT_FALSE(ban_entry("192.0.2.10")) << "the expired entry must be deleted";
    run_steps({{"192.0.2.10"}});
}

TEST_F(BanTest, Ipv6Ban) {
    ban("2001:db8::bad", kT0 + kSecond);
    run_steps({
        {"2001:db8::bad", 0, 0, XT_DROP_BANNED},
        {"2001:db8::900d", 0, 0, XT_PASS},
        {"2001:db8::bad", 0, kT0 + 2 * kSecond, XT_PASS},
    });
    EXPECT_FALSE(ban_entry("2001:db8::bad"));
}

TEST_F(BanTest, Ipv4BanIsKeyedIpv4Mapped) {
    // The same key serves an IPv6 packet from the IPv4-mapped address: one ban, both families.
    ban("192.0.2.10", kT0 + kSecond);
    run_steps({{"::ffff:192.0.2.10", 0, 0, XT_DROP_BANNED}});
}

TEST_F(BanTest, DenyIsJudgedBeforeBan) {
    deny("192.0.2.10");
    ban("192.0.2.10", kT0 + kSecond);
    run_steps({{"192.0.2.10", 0, 0, XT_DROP_IP_DENY}});
    EXPECT_EQ(ban_entry("192.0.2.10")->hits, 0u);
}

TEST_F(BanTest, BannedNonFirstFragmentIsDropped) {
    ban("192.0.2.10", kT0 + kSecond);
    const Frame frag = PacketBuilder().eth().ipv4("192.0.2.10", "198.51.100.1",
                                                  {.fragment_offset = 8, .protocol = kIpProtoTcp})
                           .payload(24).build();
    run_steps({{.verdict = XT_DROP_BANNED, .frame = frag}});
}

// Without the test hook the program reads CLOCK_MONOTONIC (bpf_ktime_get_ns).
TEST_F(BanTest, KernelClockIsUsedWithoutOverride) {
    set_clock(0);
    ban("192.0.2.10", UINT64_MAX);  // never expires
    ban("192.0.2.11", 1);           // expired at boot
    run_steps({{"192.0.2.10", 0, 0, XT_DROP_BANNED}, {"192.0.2.11", 0, 0, XT_PASS}});
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
    run_steps({
        {"192.0.2.10", 0, 0, XT_PASS, "unbanned"},
        {"2001:db8::bad", 0, kT0 + kSecond, XT_PASS, "the program reaps the expired ban"},
    });
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
    run_steps({{"192.0.2.30", 0, 0, XT_PASS, "indexed: its slot counts 0"}});
    apply_config_unindexed();
    run_steps({{"192.0.2.30", 0, 0, XT_DROP_BANNED, "unindexed: looked up"}});
    apply_config();  // rebuilds the index: the raw ban is counted
    EXPECT_EQ(slot_count("192.0.2.30"), 1u);
    run_steps({{"192.0.2.30", 0, 0, XT_DROP_BANNED}});
}

// The opt-in coarse clock (XT_CFG_COARSE_CLOCK) is CLOCK_MONOTONIC_COARSE: the same time base as
// the ban deadlines the library writes, at most one tick behind.
TEST_F(BanTest, CoarseClockIsTheMonotonicBase) {
    config_.flags |= XT_CFG_COARSE_CLOCK;
    set_clock(0);
    const uint64_t now = xt::program_clock_ns(config_);
    ban("192.0.2.10", now + 60 * kSecond);  // banned for a minute from now
    ban("192.0.2.11", now - kSecond);       // expired a second ago: far more than a tick
    run_steps({{"192.0.2.10", 0, 0, XT_DROP_BANNED}, {"192.0.2.11", 0, 0, XT_PASS}});
    EXPECT_FALSE(ban_entry("192.0.2.11"));
}

}  // namespace
}  // namespace xt::test
