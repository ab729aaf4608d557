// Cursor parsing of Ethernet / VLAN / IPv4 / IPv6 / TCP. Every read goes through Cursor, which
// checks the length first, so a truncated frame can only end in FrameKind::malformed.
#include <cstring>

#include "packet/tcp_frame.hpp"

namespace xt::packet {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint16_t kEthQinq = 0x88a8;
constexpr uint8_t kProtoTcp = 6;
constexpr int kMaxVlanTags = 2;
constexpr int kMaxIpv6ExtHeaders = 8;

struct Cursor {
    std::span<const uint8_t> bytes;
    bool has(std::size_t offset, std::size_t len) const {
        return offset <= bytes.size() && len <= bytes.size() - offset;
    }
    uint8_t u8(std::size_t o) const { return bytes[o]; }
    uint16_t be16(std::size_t o) const { return static_cast<uint16_t>(bytes[o] << 8 | bytes[o + 1]); }
    uint32_t be32(std::size_t o) const {
        return uint32_t{bytes[o]} << 24 | uint32_t{bytes[o + 1]} << 16 | uint32_t{bytes[o + 2]} << 8 |
               bytes[o + 3];
    }
};

xt_addr mapped_v4(const uint8_t* p) {
    xt_addr a{};
    uint8_t* b = reinterpret_cast<uint8_t*>(a.w);
    b[10] = b[11] = 0xff;
    std::memcpy(b + 12, p, 4);
    return a;
}

xt_addr v6(const uint8_t* p) {
    xt_addr a{};
    std::memcpy(a.w, p, 16);
    return a;
}

// TCP options: only MSS (kind 2) and timestamps (kind 8) matter to the controller.
bool parse_tcp_options(const Cursor& c, std::size_t begin, std::size_t end, TcpFrame& out) {
    std::size_t o = begin;
    while (o < end) {
        const uint8_t kind = c.u8(o);
        if (kind == 0) break;  // end of options
        if (kind == 1) {       // NOP
            ++o;
            continue;
        }
        if (o + 1 >= end) return false;
        const uint8_t len = c.u8(o + 1);
        if (len < 2 || o + len > end) return false;
        if (kind == 2 && len == 4) out.mss = c.be16(o + 2);
        if (kind == 8 && len == 10) out.timestamps = TcpTimestamps{c.be32(o + 2), c.be32(o + 6)};
        o += len;
    }
    return true;
}

}  // namespace

ParsedFrame parse_frame(std::span<const uint8_t> frame) {
    ParsedFrame result;
    const Cursor c{frame};
    auto malformed = [&] {
        result.kind = FrameKind::malformed;
        return result;
    };
    auto other = [&] {
        result.kind = FrameKind::other;
        return result;
    };
    TcpFrame& t = result.tcp;
    t.bytes = frame;

    if (!c.has(0, 14)) return malformed();
    uint16_t ethertype = c.be16(12);
    std::size_t o = 14;
    for (int tags = 0; (ethertype == kEthVlan || ethertype == kEthQinq); ++tags) {
        if (tags == kMaxVlanTags) return other();  // deeper stacks: not ours to judge
        if (!c.has(o, 4)) return malformed();
        ethertype = c.be16(o + 2);
        o += 4;
    }
    t.l3_offset = o;

    std::size_t l3_end = 0;  // end of the IP datagram inside the frame
    uint8_t proto = 0;
    if (ethertype == kEthIpv4) {
        if (!c.has(o, 20)) return malformed();
        const uint8_t vihl = c.u8(o);
        const std::size_t ihl = std::size_t{vihl & 0x0fu} * 4;
        if ((vihl >> 4) != 4 || ihl < 20 || !c.has(o, ihl)) return malformed();
        const uint16_t total = c.be16(o + 2);
        if (total < ihl || !c.has(o, total)) return malformed();
        const uint16_t frag = c.be16(o + 6);
        proto = c.u8(o + 9);
        if ((frag & 0x3fff) != 0) return other();  // MF set or an offset: a fragment
        t.ends.src = mapped_v4(frame.data() + o + 12);
        t.ends.dst = mapped_v4(frame.data() + o + 16);
        l3_end = o + total;
        o += ihl;
    } else if (ethertype == kEthIpv6) {
        if (!c.has(o, 40)) return malformed();
        if ((c.u8(o) >> 4) != 6) return malformed();
        const uint16_t payload_len = c.be16(o + 4);
        if (!c.has(o + 40, payload_len)) return malformed();
        proto = c.u8(o + 6);
        t.ipv6 = true;
        t.ends.src = v6(frame.data() + o + 8);
        t.ends.dst = v6(frame.data() + o + 24);
        l3_end = o + 40 + payload_len;
        o += 40;
        for (int i = 0; proto == 0 || proto == 43 || proto == 60 || proto == 44; ++i) {
            if (proto == 44) return other();  // fragment header
            if (i == kMaxIpv6ExtHeaders) return other();
            if (o + 8 > l3_end) return malformed();
            proto = c.u8(o);
            o += (std::size_t{c.u8(o + 1)} + 1) * 8;
        }
        if (o > l3_end) return malformed();
    } else {
        return other();
    }
    if (proto != kProtoTcp) return other();

    t.l4_offset = o;
    if (o + 20 > l3_end) return malformed();
    const std::size_t data_offset = static_cast<std::size_t>(c.u8(o + 12) >> 4) * 4;
    if (data_offset < 20 || o + data_offset > l3_end) return malformed();
    t.ends.src_port = c.be16(o);
    t.ends.dst_port = c.be16(o + 2);
    t.seq = c.be32(o + 4);
    t.ack = c.be32(o + 8);
    t.flags = c.u8(o + 13);
    t.window = c.be16(o + 14);
    if (!parse_tcp_options(c, o + 20, o + data_offset, t)) return malformed();
    t.payload_offset = o + data_offset;
    t.payload_len = l3_end - t.payload_offset;
    result.kind = FrameKind::tcp;
    return result;
}

}  // namespace xt::packet
