// IP filter stage: deny lists, the allow policy, per-rule hit counters, and the packets no rule may
// touch (ARP, neighbour discovery). Each case is a table of steps (progrun_fixture.hpp, StageCase).
#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

std::vector<StageCase> ip_filter_cases() {
    return {
        {.name = "DenyV4HostDropsOnlyThatHost",
         .deny = {"192.0.2.10/32"},
         .steps = {{"192.0.2.10", kSyn, 0, XT_DROP_IP_DENY}, {"192.0.2.11", kSyn, 0, XT_PASS}},
         .deny_hits = {{"192.0.2.10/32", 1}}},
        {.name = "DenyV4PrefixAndLongestMatchGetsTheHit",
         .deny = {"10.0.0.0/8", "10.1.2.0/24"},
         .steps = {{"10.1.2.3", kSyn, 0, XT_DROP_IP_DENY},
                   {"10.1.2.4", kSyn, 0, XT_DROP_IP_DENY},
                   {"10.200.0.1", kSyn, 0, XT_DROP_IP_DENY},
                   {"11.0.0.1", kSyn, 0, XT_PASS}},
         .deny_hits = {{"10.1.2.0/24", 2}, {"10.0.0.0/8", 1}}},
        {.name = "DenyV6Prefix",
         .deny = {"2001:db8:bad::/48"},
         .steps = {{"2001:db8:bad::1", 0, 0, XT_DROP_IP_DENY},
                   {"2001:db8:bad:ffff::2", 0, 0, XT_DROP_IP_DENY},
                   {"2001:db8:900d::1", 0, 0, XT_PASS}},
         .deny_hits = {{"2001:db8:bad::/48", 2}}},
        {.name = "DenyListsAreSeparatePerFamily",
         .deny = {"0.0.0.0/0"},
         .steps = {{"2001:db8::1", 0, 0, XT_PASS}, {"203.0.113.9", kSyn, 0, XT_DROP_IP_DENY}}},
        {.name = "DeniedNonFirstFragmentIsDropped",
         .deny = {"192.0.2.0/24"},
         .steps = {{.verdict = XT_DROP_IP_DENY,
                    .frame = PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1",
                                                        {.fragment_offset = 100, .protocol = kIpProtoUdp})
                                 .payload(16).build()}}},
        {.name = "AllowPolicyPassesOnlyListedSources",
         .flags = XT_CFG_POLICY_ALLOW,
         .allow = {"192.0.2.0/24", "2001:db8:600d::/48"},
         .steps = {{"192.0.2.77", kSyn, 0, XT_PASS},
                   {"192.0.3.1", kSyn, 0, XT_DROP_NOT_ALLOWED},
                   {"2001:db8:600d::5", 0, 0, XT_PASS},
                   {"2001:db8:bad::5", 0, 0, XT_DROP_NOT_ALLOWED}},
         .allow_hits = {{"192.0.2.0/24", 1}, {"2001:db8:600d::/48", 1}}},
        {.name = "AllowListIsIgnoredUnderDenyPolicy",
         .allow = {"192.0.2.0/24"},
         .steps = {{"203.0.113.1", kSyn, 0, XT_PASS}},
         .allow_hits = {{"192.0.2.0/24", 0}}},
        {.name = "DenyWinsOverAllow",
         .flags = XT_CFG_POLICY_ALLOW,
         .deny = {"192.0.2.66/32"},
         .allow = {"192.0.2.0/24"},
         .steps = {{"192.0.2.66", kSyn, 0, XT_DROP_IP_DENY}},
         .allow_hits = {{"192.0.2.0/24", 0}}},
        {.name = "ArpPassesEvenWhenEverythingIsDenied",  // and nothing is allowed
         .flags = XT_CFG_POLICY_ALLOW,
         .deny = {"0.0.0.0/0"},
         .steps = {{.note = "ARP", .frame = PacketBuilder().eth().arp_request("192.0.2.10", "192.0.2.1").build()}},
         .deny_hits = {{"0.0.0.0/0", 0}}},
        // RFC 4861: receivers discard NDP whose hop limit is not 255 (it came from off-link), so
        // such a packet gets no exemption: it is an ordinary ICMPv6 packet for the rules.
        {.name = "NdpLookalikeFromOffLinkIsSubjectToRules",
         .deny = {"2001:db8:bad::/48"},
         .steps = {{.verdict = XT_DROP_IP_DENY,
                    .frame = PacketBuilder().eth().ipv6("2001:db8:bad::1", "2001:db8::1", {.hop_limit = 64})
                                 .icmpv6_ns("2001:db8::1").build()}}},
        {.name = "Icmpv6EchoFromDeniedSourceIsDropped",
         .deny = {"2001:db8:bad::/48"},
         .steps = {{.verdict = XT_DROP_IP_DENY,
                    .frame = PacketBuilder().eth().ipv6("2001:db8:bad::1", "2001:db8::1").icmpv6().build()}}},
        // An IPv6 packet from ::ffff:a.b.c.d is the IPv4 source a.b.c.d (input/address.hpp,
        // abi.h): IPv4 host and prefix rules judge it alike.
        {.name = "V4MappedV6SourceIsJudgedByV4Rules",
         .deny = {"192.0.2.10", "198.18.0.0/15"},
         .steps = {{"::ffff:192.0.2.10", 0, 0, XT_DROP_IP_DENY},
                   {"::ffff:198.19.1.1", 0, 0, XT_DROP_IP_DENY},
                   {"::ffff:192.0.2.11", 0, 0, XT_PASS}},
         .deny_hits = {{"192.0.2.10/32", 1}, {"198.18.0.0/15", 1}}},
    };
}

XT_STAGE_TABLE(IpFilterTable, ip_filter_cases());

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

}  // namespace
}  // namespace xt::test
