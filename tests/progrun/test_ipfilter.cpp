// IP filter stage: deny lists, the allow policy, per-rule hit counters, and the packets no rule may
// touch (ARP, neighbour discovery).
#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

Frame tcp_syn_v4(const char* src) {
    return PacketBuilder().eth().ipv4(src, "198.51.100.1").tcp(40000, 80, kSyn).build();
}
Frame udp_v6(const char* src) {
    return PacketBuilder().eth().ipv6(src, "2001:db8:1::1").udp(5000, 53).payload(12).build();
}

using IpFilterTest = ProgRunTest;

TEST_F(IpFilterTest, DenyV4HostDropsOnlyThatHost) {
    deny("192.0.2.10/32");
    EXPECT_EQ(run(tcp_syn_v4("192.0.2.10")), kXdpDrop);
    EXPECT_EQ(run(tcp_syn_v4("192.0.2.11")), kXdpPass);
    EXPECT_EQ(packets(XT_DROP_IP_DENY), 1u);
    EXPECT_EQ(packets(XT_PASS), 1u);
    EXPECT_EQ(deny_hits("192.0.2.10/32"), 1u);
}

TEST_F(IpFilterTest, DenyV4PrefixAndLongestMatchGetsTheHit) {
    deny("10.0.0.0/8");
    deny("10.1.2.0/24");
    EXPECT_EQ(run(tcp_syn_v4("10.1.2.3")), kXdpDrop);
    EXPECT_EQ(run(tcp_syn_v4("10.1.2.4")), kXdpDrop);
    EXPECT_EQ(run(tcp_syn_v4("10.200.0.1")), kXdpDrop);
    EXPECT_EQ(run(tcp_syn_v4("11.0.0.1")), kXdpPass);
    EXPECT_EQ(deny_hits("10.1.2.0/24"), 2u);
    EXPECT_EQ(deny_hits("10.0.0.0/8"), 1u);
    EXPECT_EQ(packets(XT_DROP_IP_DENY), 3u);
}

TEST_F(IpFilterTest, DenyV6Prefix) {
    deny("2001:db8:bad::/48");
    EXPECT_EQ(run(udp_v6("2001:db8:bad::1")), kXdpDrop);
    EXPECT_EQ(run(udp_v6("2001:db8:bad:ffff::2")), kXdpDrop);
    EXPECT_EQ(run(udp_v6("2001:db8:900d::1")), kXdpPass);
    EXPECT_EQ(deny_hits("2001:db8:bad::/48"), 2u);
    EXPECT_EQ(packets(XT_DROP_IP_DENY), 2u);
}

TEST_F(IpFilterTest, DenyListsAreSeparatePerFamily) {
    deny("0.0.0.0/0");
    EXPECT_EQ(run(udp_v6("2001:db8::1")), kXdpPass);
    EXPECT_EQ(run(tcp_syn_v4("203.0.113.9")), kXdpDrop);
}

TEST_F(IpFilterTest, DeniedNonFirstFragmentIsDropped) {
    deny("192.0.2.0/24");
    const Frame frag = PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1",
                                                  {.fragment_offset = 100, .protocol = kIpProtoUdp})
                           .payload(16).build();
    EXPECT_EQ(run(frag), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_IP_DENY), 1u);
}

TEST_F(IpFilterTest, AllowPolicyPassesOnlyListedSources) {
    allow("192.0.2.0/24");
    allow("2001:db8:600d::/48");
    config_.flags |= XT_CFG_POLICY_ALLOW;
    apply_config();

    EXPECT_EQ(run(tcp_syn_v4("192.0.2.77")), kXdpPass);
    EXPECT_EQ(run(tcp_syn_v4("192.0.3.1")), kXdpDrop);
    EXPECT_EQ(run(udp_v6("2001:db8:600d::5")), kXdpPass);
    EXPECT_EQ(run(udp_v6("2001:db8:bad::5")), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_NOT_ALLOWED), 2u);
    EXPECT_EQ(packets(XT_PASS), 2u);
    EXPECT_EQ(allow_hits("192.0.2.0/24"), 1u);
    EXPECT_EQ(allow_hits("2001:db8:600d::/48"), 1u);
}

TEST_F(IpFilterTest, AllowListIsIgnoredUnderDenyPolicy) {
    allow("192.0.2.0/24");
    EXPECT_EQ(run(tcp_syn_v4("203.0.113.1")), kXdpPass);
    EXPECT_EQ(allow_hits("192.0.2.0/24"), 0u);
}

TEST_F(IpFilterTest, DenyWinsOverAllow) {
    allow("192.0.2.0/24");
    deny("192.0.2.66/32");
    config_.flags |= XT_CFG_POLICY_ALLOW;
    apply_config();
    EXPECT_EQ(run(tcp_syn_v4("192.0.2.66")), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_IP_DENY), 1u);
    EXPECT_EQ(allow_hits("192.0.2.0/24"), 0u);
}

TEST_F(IpFilterTest, ArpPassesEvenWhenEverythingIsDenied) {
    deny("0.0.0.0/0");
    config_.flags |= XT_CFG_POLICY_ALLOW;  // and nothing is allowed
    apply_config();
    EXPECT_EQ(run(PacketBuilder().eth().arp_request("192.0.2.10", "192.0.2.1").build()), kXdpPass);
    EXPECT_EQ(deny_hits("0.0.0.0/0"), 0u);
}

struct NdpCase {
    const char* name;
    Frame frame;
};
void PrintTo(const NdpCase& c, std::ostream* os) { *os << c.name; }

class NeighbourDiscoveryTest : public ProgRunTest, public ::testing::WithParamInterface<NdpCase> {};

// NDP passes right after parsing: a denied, banned, rate-limited and not-allowed source still
// resolves its neighbours.
TEST_P(NeighbourDiscoveryTest, PassesEvenWhenTheSourceIsDeniedBannedAndLimited) {
    deny("fe80::/10");
    deny("2001:db8::/32");
    ban("fe80::10", kT0 + 3600 * kSecond);
    config_.flags |= XT_CFG_POLICY_ALLOW;
    config_.spike = rate(1, kSecond, 1);
    apply_config();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(run(GetParam().frame), kXdpPass);
    EXPECT_EQ(packets(XT_PASS), 3u);
    EXPECT_EQ(deny_hits("fe80::/10") + deny_hits("2001:db8::/32"), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Messages, NeighbourDiscoveryTest,
    ::testing::Values(
        NdpCase{"Solicitation", PacketBuilder().eth().ipv6("fe80::10", "ff02::1:ff00:1", {.hop_limit = 255})
                                    .icmpv6_ns("fe80::1").build()},
        NdpCase{"Advertisement", PacketBuilder().eth().ipv6("fe80::10", "fe80::1", {.hop_limit = 255})
                                     .icmpv6_na("fe80::10").build()},
        NdpCase{"RouterSolicitation", PacketBuilder().eth().ipv6("fe80::10", "ff02::2", {.hop_limit = 255})
                                          .icmpv6(kIcmpv6RouterSolicit).build()},
        NdpCase{"Redirect", PacketBuilder().eth().ipv6("fe80::10", "fe80::1", {.hop_limit = 255})
                                .icmpv6(kIcmpv6Redirect).payload(32, 0).build()},
        NdpCase{"GlobalSourceSolicitation",
                PacketBuilder().eth().ipv6("2001:db8::10", "ff02::1:ff00:1", {.hop_limit = 255})
                    .icmpv6_ns("2001:db8::1").build()}),
    [](const auto& info) { return std::string(info.param.name); });

// RFC 4861: receivers discard NDP whose hop limit is not 255 (it came from off-link), so such a
// packet gets no exemption: it is an ordinary ICMPv6 packet for the rules.
TEST_F(IpFilterTest, NdpLookalikeFromOffLinkIsSubjectToRules) {
    deny("2001:db8:bad::/48");
    const Frame offlink = PacketBuilder().eth().ipv6("2001:db8:bad::1", "2001:db8::1", {.hop_limit = 64})
                              .icmpv6_ns("2001:db8::1").build();
    EXPECT_EQ(run(offlink), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_IP_DENY), 1u);
}

TEST_F(IpFilterTest, Icmpv6EchoFromDeniedSourceIsDropped) {
    deny("2001:db8:bad::/48");
    const Frame echo = PacketBuilder().eth().ipv6("2001:db8:bad::1", "2001:db8::1").icmpv6().build();
    EXPECT_EQ(run(echo), kXdpDrop);
}

}  // namespace
}  // namespace xt::test
