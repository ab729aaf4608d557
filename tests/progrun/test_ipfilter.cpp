// IP filter stage: deny lists, the allow policy, per-rule hit counters, and the packets no rule may
// touch (ARP, neighbour discovery). Packets are steps of a table (progrun_fixture.hpp, Step): IPv4
// sources send a TCP SYN, IPv6 sources UDP.
#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

using IpFilterTest = ProgRunTest;

TEST_F(IpFilterTest, DenyV4HostDropsOnlyThatHost) {
    deny("192.0.2.10/32");
    run_steps({{"192.0.2.10", kSyn, 0, XT_DROP_IP_DENY}, {"192.0.2.11", kSyn, 0, XT_PASS}});
    EXPECT_EQ(deny_hits("192.0.2.10/32"), 1u);
}

TEST_F(IpFilterTest, DenyV4PrefixAndLongestMatchGetsTheHit) {
    deny("10.0.0.0/8");
    deny("10.1.2.0/24");
    run_steps({
        {"10.1.2.3", kSyn, 0, XT_DROP_IP_DENY},
        {"10.1.2.4", kSyn, 0, XT_DROP_IP_DENY},
        {"10.200.0.1", kSyn, 0, XT_DROP_IP_DENY},
        {"11.0.0.1", kSyn, 0, XT_PASS},
    });
    EXPECT_EQ(deny_hits("10.1.2.0/24"), 2u);
    EXPECT_EQ(deny_hits("10.0.0.0/8"), 1u);
}

TEST_F(IpFilterTest, DenyV6Prefix) {
    deny("2001:db8:bad::/48");
    run_steps({
        {"2001:db8:bad::1", 0, 0, XT_DROP_IP_DENY},
        {"2001:db8:bad:ffff::2", 0, 0, XT_DROP_IP_DENY},
        {"2001:db8:900d::1", 0, 0, XT_PASS},
    });
    EXPECT_EQ(deny_hits("2001:db8:bad::/48"), 2u);
}

TEST_F(IpFilterTest, DenyListsAreSeparatePerFamily) {
    deny("0.0.0.0/0");
    run_steps({{"2001:db8::1", 0, 0, XT_PASS}, {"203.0.113.9", kSyn, 0, XT_DROP_IP_DENY}});
}

TEST_F(IpFilterTest, DeniedNonFirstFragmentIsDropped) {
    deny("192.0.2.0/24");
    const Frame frag = PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1",
                                                  {.fragment_offset = 100, .protocol = kIpProtoUdp})
                           .payload(16).build();
    run_steps({{.verdict = XT_DROP_IP_DENY, .frame = frag}});
}

TEST_F(IpFilterTest, AllowPolicyPassesOnlyListedSources) {
    allow("192.0.2.0/24");
    allow("2001:db8:600d::/48");
    config_.flags |= XT_CFG_POLICY_ALLOW;
    apply_config();

    run_steps({
        {"192.0.2.77", kSyn, 0, XT_PASS},
        {"192.0.3.1", kSyn, 0, XT_DROP_NOT_ALLOWED},
        {"2001:db8:600d::5", 0, 0, XT_PASS},
        {"2001:db8:bad::5", 0, 0, XT_DROP_NOT_ALLOWED},
    });
    EXPECT_EQ(allow_hits("192.0.2.0/24"), 1u);
    EXPECT_EQ(allow_hits("2001:db8:600d::/48"), 1u);
}

TEST_F(IpFilterTest, AllowListIsIgnoredUnderDenyPolicy) {
    allow("192.0.2.0/24");
    run_steps({{"203.0.113.1", kSyn, 0, XT_PASS}});
    EXPECT_EQ(allow_hits("192.0.2.0/24"), 0u);
}

TEST_F(IpFilterTest, DenyWinsOverAllow) {
    allow("192.0.2.0/24");
    deny("192.0.2.66/32");
    config_.flags |= XT_CFG_POLICY_ALLOW;
    apply_config();
    run_steps({{"192.0.2.66", kSyn, 0, XT_DROP_IP_DENY}});
    EXPECT_EQ(allow_hits("192.0.2.0/24"), 0u);
}

TEST_F(IpFilterTest, ArpPassesEvenWhenEverythingIsDenied) {
    deny("0.0.0.0/0");
    config_.flags |= XT_CFG_POLICY_ALLOW;  // and nothing is allowed
    apply_config();
    run_steps({{.note = "ARP", .frame = PacketBuilder().eth().arp_request("192.0.2.10", "192.0.2.1").build()}});
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
    run_steps(Steps(3, Step{.frame = GetParam().frame}));
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
    run_steps({{.verdict = XT_DROP_IP_DENY, .frame = offlink}});
}

TEST_F(IpFilterTest, Icmpv6EchoFromDeniedSourceIsDropped) {
    deny("2001:db8:bad::/48");
    const Frame echo = PacketBuilder().eth().ipv6("2001:db8:bad::1", "2001:db8::1").icmpv6().build();
    run_steps({{.verdict = XT_DROP_IP_DENY, .frame = echo}});
}

}  // namespace
}  // namespace xt::test
