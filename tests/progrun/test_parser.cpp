// Parser edges: every frame below is judged by parsing alone (no rule is configured), so the only
// possible verdicts are pass and malformed. Each case is a step (progrun_fixture.hpp, Step).
#include <fmt/format.h>

#include <set>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

constexpr const char* kV4Src = "192.0.2.10";
constexpr const char* kV6Src = "2001:db8::10";

struct ParseCase {
    const char* name;
    Frame frame;
    xt_verdict expected;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.name; }

std::vector<ParseCase> parse_cases() {
    std::vector<ParseCase> cases = {
        // -- well-formed ----------------------------------------------------------------------
        {"Ipv4TcpSyn", PacketBuilder().eth().ipv4(kV4Src, kDst4).tcp(40000, 80, kSyn).build(), XT_PASS},
        {"Ipv4TcpWithOptions",
         PacketBuilder().eth().ipv4(kV4Src, kDst4).tcp(40000, 80, kSyn, {.options_len = 20}).build(), XT_PASS},
        {"Ipv4Udp", PacketBuilder().eth().ipv4(kV4Src, kDst4).udp(5353, 53).payload(20).build(), XT_PASS},
        {"Ipv4Icmp", PacketBuilder().eth().ipv4(kV4Src, kDst4).icmp().payload(56).build(), XT_PASS},
        {"Ipv4UnknownProtocol",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.protocol = kIpProtoGre}).payload(4).build(), XT_PASS},
        {"Ipv4Options4Bytes",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.options_len = 4}).tcp(1, 2, kAck).build(), XT_PASS},
        {"Ipv4Options40Bytes",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.options_len = 40}).udp(1, 2).build(), XT_PASS},
        {"Ipv4EthernetPadding",  // 60-byte minimum frame: the datagram is shorter than the frame
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.total_length = 28}).udp(1, 2).payload(18, 0).build(),
         XT_PASS},
        {"Vlan8021Q", PacketBuilder().eth().vlan(100).ipv4(kV4Src, kDst4).tcp(1, 80, kSyn).build(), XT_PASS},
        {"QinQ8021ad",
         PacketBuilder().eth().vlan(10, kEthTypeQinQ).vlan(20).ipv4(kV4Src, kDst4).tcp(1, 80, kSyn).build(),
         XT_PASS},
        {"DoubleTagged8021Q", PacketBuilder().eth().vlan(10).vlan(20).ipv6(kV6Src, kDst6).udp(1, 2).build(),
         XT_PASS},
        {"Ipv6Tcp", PacketBuilder().eth().ipv6(kV6Src, kDst6).tcp(40000, 443, kSyn).build(), XT_PASS},
        {"Ipv6Icmpv6Echo", PacketBuilder().eth().ipv6(kV6Src, kDst6).icmpv6().payload(8).build(), XT_PASS},
        {"Ipv6ExtensionChain",
         PacketBuilder().eth().ipv6(kV6Src, kDst6).ipv6_ext(kIpProtoHopByHop).ipv6_ext(kIpProtoRouting, 24)
             .ipv6_ext(kIpProtoDestOpts, 16).tcp(1, 80, kSyn).build(),
         XT_PASS},
        {"Ipv6SixExtensionHeaders",
         PacketBuilder().eth().ipv6(kV6Src, kDst6).ipv6_ext(kIpProtoHopByHop).ipv6_ext(kIpProtoDestOpts)
             .ipv6_ext(kIpProtoRouting).ipv6_ext(kIpProtoDestOpts).ipv6_ext(kIpProtoDestOpts)
             .ipv6_ext(kIpProtoDestOpts).udp(1, 2).build(),
         XT_PASS},
        {"Ipv6NoNextHeader", PacketBuilder().eth().ipv6(kV6Src, kDst6).ipv6_ext(kIpProtoDestOpts).build(),
         XT_PASS},
        {"Ipv4FirstFragment",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.more_fragments = true}).tcp(1, 80, kSyn).payload(64).build(),
         XT_PASS},
        {"Ipv4NonFirstFragmentHasNoL4Header",  // offset != 0: 4 bytes of payload, no TCP header
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.fragment_offset = 185, .protocol = kIpProtoTcp})
             .payload(4).build(),
         XT_PASS},
        {"Ipv6FirstFragment",
         PacketBuilder().eth().ipv6(kV6Src, kDst6).ipv6_fragment(0, true).tcp(1, 80, kSyn).payload(64).build(),
         XT_PASS},
        {"Ipv6NonFirstFragment",
         PacketBuilder().eth().ipv6(kV6Src, kDst6).ipv6_ext(kIpProtoHopByHop).ipv6_fragment(100, false)
             .payload(4).build(),
         XT_PASS},
        {"Arp", PacketBuilder().eth().arp_request("192.0.2.10", "192.0.2.1").build(), XT_PASS},
        {"ArpInVlan", PacketBuilder().eth().vlan(7).arp_request("192.0.2.10", "192.0.2.1").build(), XT_PASS},
        {"UnknownEthertype", PacketBuilder().eth().payload(46).build(), XT_PASS},
        {"NeighbourSolicitation",
         PacketBuilder().eth().ipv6("fe80::10", "ff02::1:ff00:1", {.hop_limit = 255}).icmpv6_ns("fe80::1").build(),
         XT_PASS},

        // -- malformed --------------------------------------------------------------------------
        {"ThreeVlanTags",
         PacketBuilder().eth().vlan(1, kEthTypeQinQ).vlan(2).vlan(3).ipv4(kV4Src, kDst4).udp(1, 2).build(),
         XT_DROP_MALFORMED},
        {"Ipv4WrongVersion",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.version = 6}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv4IhlBelowFive",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.ihl = 4}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv4IhlZero", PacketBuilder().eth().ipv4(kV4Src, kDst4, {.ihl = 0}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv4IhlPastTotalLength",  // IHL 15 = 60 bytes of header in a 28-byte datagram
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.ihl = 15}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv4TotalLengthPastFrame",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.total_length = 1500}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv4TotalLengthBelowHeader",
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.total_length = 19}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv4TcpPastTotalLength",  // TCP header inside the frame but outside the datagram
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.total_length = 30}).tcp(1, 2, kSyn).build(),
         XT_DROP_MALFORMED},
        {"TcpDataOffsetBelowFive",
         PacketBuilder().eth().ipv4(kV4Src, kDst4).tcp(1, 2, kSyn, {.data_offset = 4}).build(), XT_DROP_MALFORMED},
        {"TcpDataOffsetPastFrame",
         PacketBuilder().eth().ipv4(kV4Src, kDst4).tcp(1, 2, kSyn, {.data_offset = 15}).build(), XT_DROP_MALFORMED},
        {"Ipv6WrongVersion",
         PacketBuilder().eth().ipv6(kV6Src, kDst6, {.version = 4}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv6PayloadLengthPastFrame",
         PacketBuilder().eth().ipv6(kV6Src, kDst6, {.payload_length = 100}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv6UdpPastPayloadLength",
         PacketBuilder().eth().ipv6(kV6Src, kDst6, {.payload_length = 4}).udp(1, 2).build(), XT_DROP_MALFORMED},
        {"Ipv6SevenExtensionHeaders",
         PacketBuilder().eth().ipv6(kV6Src, kDst6).ipv6_ext(kIpProtoHopByHop).ipv6_ext(kIpProtoDestOpts)
             .ipv6_ext(kIpProtoRouting).ipv6_ext(kIpProtoDestOpts).ipv6_ext(kIpProtoDestOpts)
             .ipv6_ext(kIpProtoDestOpts).ipv6_ext(kIpProtoDestOpts).udp(1, 2).build(),
         XT_DROP_MALFORMED},
        {"Ipv6ExtensionLengthPastPayload",  // hdrlen claims 16 bytes, payload_length covers 8
         PacketBuilder().eth().ipv6(kV6Src, kDst6, {.payload_length = 8}).ipv6_ext(kIpProtoDestOpts, 16).build(),
         XT_DROP_MALFORMED},
        {"Ipv4FirstFragmentTooShortForTcp",  // RFC 1858 tiny fragment: flags would be in fragment 2
         PacketBuilder().eth().ipv4(kV4Src, kDst4, {.more_fragments = true, .protocol = kIpProtoTcp})
             .payload(8).build(),
         XT_DROP_MALFORMED},
    };
    return cases;
}

class ParserTest : public ProgRunTest, public ::testing::WithParamInterface<ParseCase> {};

TEST_P(ParserTest, VerdictAndCounter) {
    run_steps({{.verdict = GetParam().expected, .frame = GetParam().frame}});
}

INSTANTIATE_TEST_SUITE_P(Frames, ParserTest, ::testing::ValuesIn(parse_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- a frame cut at every header boundary (and one byte either side) is malformed -------------

struct CutCase {
    const char* name;
    PacketBuilder builder;
};

void PrintTo(const CutCase& c, std::ostream* os) { *os << c.name; }

std::vector<CutCase> cut_cases() {
    return {
        {"Ipv4TcpOptions",
         std::move(PacketBuilder().eth().ipv4(kV4Src, kDst4, {.options_len = 8})
                       .tcp(1, 80, kSyn, {.options_len = 12}).payload(10))},
        {"QinQIpv4Udp",
         std::move(PacketBuilder().eth().vlan(10, kEthTypeQinQ).vlan(20).ipv4(kV4Src, kDst4).udp(1, 2).payload(6))},
        {"Ipv4Icmp", std::move(PacketBuilder().eth().ipv4(kV4Src, kDst4).icmp().payload(8))},
        {"VlanIpv6ExtChainTcp",
         std::move(PacketBuilder().eth().vlan(5).ipv6(kV6Src, kDst6).ipv6_ext(kIpProtoHopByHop)
                       .ipv6_ext(kIpProtoRouting, 24).ipv6_fragment(0, true).tcp(1, 80, kSyn).payload(4))},
        {"Ipv6NeighbourSolicitation",
         std::move(PacketBuilder().eth().ipv6("fe80::10", "ff02::1:ff00:1", {.hop_limit = 255})
                       .icmpv6_ns("fe80::1"))},
    };
}

class TruncationTest : public ProgRunTest, public ::testing::WithParamInterface<CutCase> {};

TEST_P(TruncationTest, EveryCutIsMalformed) {
    const auto& builder = GetParam().builder;
    const Frame whole = builder.build();
    Steps steps{{.note = "the uncut frame", .frame = whole}};

    const auto offsets = builder.layer_offsets();  // start of each layer, then the frame length
    std::set<size_t> cuts;
    for (size_t i = 1; i < offsets.size(); ++i) {
        // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header, so cuts start at 14.
        for (size_t cut : {offsets[i] - 1, offsets[i], offsets[i] + 1})
            if (cut >= 14 && cut < whole.size()) cuts.insert(cut);
    }
    for (size_t cut : cuts)
        steps.push_back({.verdict = XT_DROP_MALFORMED,
                         .note = fmt::format("frame of {} bytes cut to {}", whole.size(), cut),
                         .frame = truncated(whole, cut)});
    run_steps(steps);
    EXPECT_GE(cuts.size(), offsets.size() - 1);
}

INSTANTIATE_TEST_SUITE_P(Frames, TruncationTest, ::testing::ValuesIn(cut_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace xt::test
