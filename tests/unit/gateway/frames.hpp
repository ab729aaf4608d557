// The TCP segments of the gateway's packet and flow tests: one HTTP connection's defaults (client
// 192.0.2.10:40000 -> 10.0.0.2:80, PSH|ACK, DF) that a test overrides field by field, built by the
// tests' one frame builder (support/packet_builder.hpp), which the library's packet code is
// verified against, never against itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/packet_builder.hpp"

namespace xt::test {

struct SegmentSpec {
    bool ipv6 = false;
    std::string src = "192.0.2.10";
    std::string dst = "10.0.0.2";
    uint16_t sport = 40000;
    uint16_t dport = 80;
    uint32_t seq = 1000;
    uint32_t ack = 5000;
    uint8_t flags = kPsh | kAck;
    uint16_t window = 502;
    std::string payload;
    std::vector<uint16_t> vlans;          // outermost first; two tags are QinQ (802.1ad outside)
    std::vector<uint8_t> tcp_options;     // raw, padded by the builder to 4 bytes
    std::vector<uint8_t> ipv4_options;    // raw, multiple of 4
    std::vector<uint8_t> ipv6_hop_by_hop; // raw extension header body after next/len (6 + 8k bytes)
    std::size_t eth_padding = 0;          // bytes after the IP datagram
    uint8_t src_mac_last = 0x01;
    uint8_t dst_mac_last = 0x02;
};

inline Frame build_frame(const SegmentSpec& s) {
    MacAddress src_mac = kClientMac, dst_mac = kClientMac;
    src_mac[5] = s.src_mac_last;
    dst_mac[5] = s.dst_mac_last;
    PacketBuilder b;
    b.eth(src_mac, dst_mac);
    for (std::size_t i = 0; i < s.vlans.size(); ++i)
        b.vlan(s.vlans[i], i == 0 && s.vlans.size() == 2 ? kEthTypeQinQ : kEthTypeVlan);
    if (s.ipv6) {
        b.ipv6(s.src, s.dst);
        if (!s.ipv6_hop_by_hop.empty()) b.ipv6_ext(kIpProtoHopByHop, s.ipv6_hop_by_hop);
    } else {
        b.ipv4(s.src, s.dst, {.dont_fragment = true, .options = s.ipv4_options});
    }
    b.tcp(s.sport, s.dport, s.flags,
          {.seq = s.seq, .ack = s.ack, .window = s.window, .options = s.tcp_options});
    return b.payload(s.payload).trailer(s.eth_padding).build();
}

}  // namespace xt::test
