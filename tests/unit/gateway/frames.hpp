// Test frames built by hand, byte by byte, and an independent checksum check: the library's packet
// code is verified against this, never against itself.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace xt::test {

struct SegmentSpec {
    bool ipv6 = false;
    std::string src = "192.0.2.10";
    std::string dst = "10.0.0.2";
    uint16_t sport = 40000;
    uint16_t dport = 80;
    uint32_t seq = 1000;
    uint32_t ack = 5000;
    uint8_t flags = 0x18;  // PSH|ACK
    uint16_t window = 502;
    std::string payload;
    std::vector<uint16_t> vlans;          // outermost first
    std::vector<uint8_t> tcp_options;     // raw, padded by the builder to 4 bytes
    std::vector<uint8_t> ipv4_options;    // raw, multiple of 4
    std::vector<uint8_t> ipv6_hop_by_hop; // raw extension header body after next/len (6 + 8k bytes)
    std::size_t eth_padding = 0;          // bytes after the IP datagram
    uint8_t src_mac_last = 0x01;
    uint8_t dst_mac_last = 0x02;
};

inline void push16(std::vector<uint8_t>& v, uint16_t x) {
    v.push_back(static_cast<uint8_t>(x >> 8));
    v.push_back(static_cast<uint8_t>(x));
}
inline void push32(std::vector<uint8_t>& v, uint32_t x) {
    push16(v, static_cast<uint16_t>(x >> 16));
    push16(v, static_cast<uint16_t>(x));
}

// Plain RFC 1071, written independently of xt::packet's version.
inline uint16_t reference_checksum(const std::vector<uint8_t>& data) {
    uint64_t sum = 0;
    for (std::size_t i = 0; i < data.size(); i += 2) {
        uint16_t word = static_cast<uint16_t>(data[i] << 8);
        if (i + 1 < data.size()) word |= data[i + 1];
        sum += word;
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

inline std::vector<uint8_t> build_frame(const SegmentSpec& s) {
    std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, s.dst_mac_last, 0x02, 0, 0, 0, 0, s.src_mac_last};
    for (std::size_t i = 0; i < s.vlans.size(); ++i) {
        push16(f, i == 0 && s.vlans.size() == 2 ? 0x88a8 : 0x8100);
        push16(f, s.vlans[i]);
    }
    push16(f, s.ipv6 ? 0x86dd : 0x0800);

    std::vector<uint8_t> opts = s.tcp_options;
    while (opts.size() % 4) opts.push_back(0);
    std::vector<uint8_t> tcp;
    push16(tcp, s.sport);
    push16(tcp, s.dport);
    push32(tcp, s.seq);
    push32(tcp, s.ack);
    tcp.push_back(static_cast<uint8_t>(((20 + opts.size()) / 4) << 4));
    tcp.push_back(s.flags);
    push16(tcp, s.window);
    push16(tcp, 0);
    push16(tcp, 0);
    tcp.insert(tcp.end(), opts.begin(), opts.end());
    tcp.insert(tcp.end(), s.payload.begin(), s.payload.end());

    uint8_t src[16], dst[16];
    std::vector<uint8_t> pseudo;
    if (s.ipv6) {
        inet_pton(AF_INET6, s.src.c_str(), src);
        inet_pton(AF_INET6, s.dst.c_str(), dst);
        pseudo.insert(pseudo.end(), src, src + 16);
        pseudo.insert(pseudo.end(), dst, dst + 16);
        push32(pseudo, static_cast<uint32_t>(tcp.size()));
        push32(pseudo, 6);
    } else {
        inet_pton(AF_INET, s.src.c_str(), src);
        inet_pton(AF_INET, s.dst.c_str(), dst);
        pseudo.insert(pseudo.end(), src, src + 4);
        pseudo.insert(pseudo.end(), dst, dst + 4);
        push16(pseudo, 6);
        push16(pseudo, static_cast<uint16_t>(tcp.size()));
    }
    pseudo.insert(pseudo.end(), tcp.begin(), tcp.end());
    const uint16_t csum = reference_checksum(pseudo);
    tcp[16] = static_cast<uint8_t>(csum >> 8);
    tcp[17] = static_cast<uint8_t>(csum);

    if (s.ipv6) {
        std::vector<uint8_t> ext;
        uint8_t next = 6;
        if (!s.ipv6_hop_by_hop.empty()) {
            ext.push_back(6);
            ext.push_back(static_cast<uint8_t>((s.ipv6_hop_by_hop.size() + 2) / 8 - 1));
            ext.insert(ext.end(), s.ipv6_hop_by_hop.begin(), s.ipv6_hop_by_hop.end());
            next = 0;
        }
        push32(f, 0x60000000);
        push16(f, static_cast<uint16_t>(ext.size() + tcp.size()));
        f.push_back(next);
        f.push_back(64);
        f.insert(f.end(), src, src + 16);
        f.insert(f.end(), dst, dst + 16);
        f.insert(f.end(), ext.begin(), ext.end());
    } else {
        std::vector<uint8_t> ip;
        ip.push_back(static_cast<uint8_t>(0x40 | (20 + s.ipv4_options.size()) / 4));
        ip.push_back(0);
        push16(ip, static_cast<uint16_t>(20 + s.ipv4_options.size() + tcp.size()));
        push16(ip, 0x1234);
        push16(ip, 0x4000);
        ip.push_back(64);
        ip.push_back(6);
        push16(ip, 0);
        ip.insert(ip.end(), src, src + 4);
        ip.insert(ip.end(), dst, dst + 4);
        ip.insert(ip.end(), s.ipv4_options.begin(), s.ipv4_options.end());
        const uint16_t ipsum = reference_checksum(ip);
        ip[10] = static_cast<uint8_t>(ipsum >> 8);
        ip[11] = static_cast<uint8_t>(ipsum);
        f.insert(f.end(), ip.begin(), ip.end());
    }
    f.insert(f.end(), tcp.begin(), tcp.end());
    f.insert(f.end(), s.eth_padding, 0);
    return f;
}

// Verifies the IPv4 header checksum (if IPv4) and the TCP checksum of a frame without VLAN tags or
// extension headers, independently of the library: true when both sum to zero.
inline bool checksums_valid(const std::vector<uint8_t>& f, std::size_t l3_offset) {
    const bool v6 = (f[l3_offset] >> 4) == 6;
    std::vector<uint8_t> pseudo;
    std::size_t l4, l4_len;
    if (v6) {
        l4 = l3_offset + 40;
        l4_len = static_cast<std::size_t>(f[l3_offset + 4] << 8 | f[l3_offset + 5]);
        pseudo.insert(pseudo.end(), f.begin() + l3_offset + 8, f.begin() + l3_offset + 40);
        push32(pseudo, static_cast<uint32_t>(l4_len));
        push32(pseudo, 6);
    } else {
        const std::size_t ihl = (f[l3_offset] & 0xf) * 4u;
        std::vector<uint8_t> ip(f.begin() + l3_offset, f.begin() + l3_offset + ihl);
        if (reference_checksum(ip) != 0) return false;
        const std::size_t total = static_cast<std::size_t>(f[l3_offset + 2] << 8 | f[l3_offset + 3]);
        l4 = l3_offset + ihl;
        l4_len = total - ihl;
        pseudo.insert(pseudo.end(), f.begin() + l3_offset + 12, f.begin() + l3_offset + 20);
        push16(pseudo, 6);
        push16(pseudo, static_cast<uint16_t>(l4_len));
    }
    pseudo.insert(pseudo.end(), f.begin() + l4, f.begin() + l4 + l4_len);
    return reference_checksum(pseudo) == 0;
}

inline std::vector<uint8_t> timestamp_option(uint32_t value, uint32_t echo) {
    std::vector<uint8_t> o = {1, 1, 8, 10};
    push32(o, value);
    push32(o, echo);
    return o;
}

inline std::vector<uint8_t> mss_option(uint16_t mss) {
    std::vector<uint8_t> o = {2, 4};
    push16(o, mss);
    return o;
}

}  // namespace xt::test
