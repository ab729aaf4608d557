#include "packet_builder.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace xt::test {
namespace {

[[noreturn]] void misuse(const std::string& what) {
    std::fprintf(stderr, "PacketBuilder: %s\n", what.c_str());
    std::abort();
}

constexpr uint8_t kIpProtoExperimental = 253;  // RFC 3692: "use for experimentation and testing"

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    put16(b, at, static_cast<uint16_t>(v >> 16));
    put16(b, at + 2, static_cast<uint16_t>(v));
}

void put_bytes(std::vector<uint8_t>& b, size_t at, const std::vector<uint8_t>& src) {
    std::copy(src.begin(), src.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
}

// Source then destination address of an IP header, from `at` on.
void put_addresses(std::vector<uint8_t>& b, size_t at, std::string_view src, std::string_view dst);

// One's-complement sum of 16-bit big-endian words (RFC 1071), not yet folded.
uint32_t sum16(const uint8_t* data, size_t len, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (len % 2) sum += static_cast<uint32_t>(data[len - 1] << 8);
    return sum;
}

uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

}  // namespace

std::vector<uint8_t> parse_ip(std::string_view text) {
    const std::string s(text);
    std::vector<uint8_t> out(16);
    if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
        out.resize(4);
        return out;
    }
    if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return out;
    misuse("not an IP address: '" + s + "'");
}

namespace {

void put_addresses(std::vector<uint8_t>& b, size_t at, std::string_view src, std::string_view dst) {
    const auto source = parse_ip(src);
    put_bytes(b, at, source);
    put_bytes(b, at + source.size(), parse_ip(dst));
}

}  // namespace

Frame truncated(const Frame& frame, size_t len) {
    return Frame(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(std::min(len, frame.size())));
}

PacketBuilder& PacketBuilder::add(Kind kind, std::vector<uint8_t> bytes) {
    layers_.push_back(Layer{kind, std::move(bytes)});
    return *this;
}

PacketBuilder& PacketBuilder::eth(MacAddress src, MacAddress dst) {
    std::vector<uint8_t> b(14);
    std::copy(dst.begin(), dst.end(), b.begin());
    std::copy(src.begin(), src.end(), b.begin() + 6);
    return add(Kind::Eth, std::move(b));
}

PacketBuilder& PacketBuilder::vlan(uint16_t vid, uint16_t tpid) {
    std::vector<uint8_t> b(4);
    put16(b, 0, vid & 0x0fff);
    add(Kind::Vlan, std::move(b));
    layers_.back().tpid = tpid;  // written into the ethertype field of the layer before the tag
    return *this;
}

PacketBuilder& PacketBuilder::ipv4(std::string_view src, std::string_view dst, Ipv4Fields fields) {
    const size_t options = fields.options.empty() ? fields.options_len : fields.options.size();
    if (options % 4 || options > 40 || (fields.options_len && !fields.options.empty()))
        misuse("IPv4 options: options_len or options, a multiple of 4 bytes, at most 40; got " +
               std::to_string(options));
    std::vector<uint8_t> b(20 + options, 0x01 /* NOP options */);
    std::fill(b.begin(), b.begin() + 20, 0);
    put_bytes(b, 20, fields.options);
    b[0] = static_cast<uint8_t>(0x40 | (20 + options) / 4);
    put16(b, 4, 0x1234);  // identification
    uint16_t frag = fields.fragment_offset & 0x1fff;
    if (fields.more_fragments) frag |= 0x2000;
    if (fields.dont_fragment) frag |= 0x4000;
    put16(b, 6, frag);
    b[8] = fields.ttl;
    put_addresses(b, 12, src, dst);
    add(Kind::Ipv4, std::move(b));
    layers_.back().ipv4 = fields;
    return *this;
}

PacketBuilder& PacketBuilder::ipv6(std::string_view src, std::string_view dst, Ipv6Fields fields) {
    std::vector<uint8_t> b(40);
    b[0] = 0x60;
    b[7] = fields.hop_limit;
    put_addresses(b, 8, src, dst);
    add(Kind::Ipv6, std::move(b));
    layers_.back().ipv6 = fields;
    return *this;
}

PacketBuilder& PacketBuilder::ipv6_ext(uint8_t type, size_t len) {
    // Zero bytes are Pad1 options: a valid header.
    if (len < 2) misuse("IPv6 extension header of " + std::to_string(len) + " bytes");
    return ipv6_ext(type, std::vector<uint8_t>(len - 2));
}

PacketBuilder& PacketBuilder::ipv6_ext(uint8_t type, const std::vector<uint8_t>& body) {
    const size_t len = 2 + body.size();
    if (len < 8 || len % 8 || len > 2048)
        misuse("IPv6 extension header length must be a multiple of 8 in [8, 2048]; got " +
               std::to_string(len));
    std::vector<uint8_t> b(2);
    b[1] = static_cast<uint8_t>(len / 8 - 1);
    b.insert(b.end(), body.begin(), body.end());
    add(Kind::Ipv6Ext, std::move(b));
    layers_.back().ext_type = type;
    return *this;
}

PacketBuilder& PacketBuilder::ipv6_fragment(uint16_t offset_units, bool more_fragments) {
    std::vector<uint8_t> b(8);
    put16(b, 2, static_cast<uint16_t>((offset_units & 0x1fff) << 3 | (more_fragments ? 1 : 0)));
    b[4] = 0xca;
    b[7] = 0xfe;  // identification
    return add(Kind::Ipv6Frag, std::move(b));
}

PacketBuilder& PacketBuilder::tcp(uint16_t sport, uint16_t dport, uint8_t flags, TcpFields fields) {
    std::vector<uint8_t> raw = fields.options;
    while (raw.size() % 4) raw.push_back(0);  // EOL
    const size_t options = raw.empty() ? fields.options_len : raw.size();
    if (options % 4 || options > 40 || (fields.options_len && !raw.empty()))
        misuse("TCP options: options_len or options, a multiple of 4 bytes, at most 40; got " +
               std::to_string(options));
    std::vector<uint8_t> b(20 + options, 0x01 /* NOP options */);
    std::fill(b.begin(), b.begin() + 20, 0);
    put_bytes(b, 20, raw);
    put16(b, 0, sport);
    put16(b, 2, dport);
    put32(b, 4, fields.seq);
    put32(b, 8, fields.ack);
    b[12] = static_cast<uint8_t>(fields.data_offset.value_or((20 + options) / 4) << 4);
    b[13] = flags;
    put16(b, 14, fields.window);
    add(Kind::Tcp, std::move(b));
    layers_.back().tcp = fields;
    return *this;
}

PacketBuilder& PacketBuilder::udp(uint16_t sport, uint16_t dport) {
    std::vector<uint8_t> b(8);
    put16(b, 0, sport);
    put16(b, 2, dport);
    return add(Kind::Udp, std::move(b));
}

PacketBuilder& PacketBuilder::icmp(uint8_t type, uint8_t code) {
    std::vector<uint8_t> b(8);
    b[0] = type;
    b[1] = code;
    put16(b, 4, 0x4242);  // identifier
    put16(b, 6, 1);       // sequence
    return add(Kind::Icmp, std::move(b));
}

PacketBuilder& PacketBuilder::icmpv6(uint8_t type, uint8_t code) {
    std::vector<uint8_t> b(8);
    b[0] = type;
    b[1] = code;
    return add(Kind::Icmpv6, std::move(b));
}

PacketBuilder& PacketBuilder::icmpv6_ns(std::string_view target) {
    // RFC 4861 4.3: type, code, checksum, reserved, target, option "source link-layer address".
    std::vector<uint8_t> b(32);
    b[0] = kIcmpv6NeighborSolicit;
    put_bytes(b, 8, parse_ip(target));
    b[24] = 1;  // source link-layer address
    b[25] = 1;  // length in 8-octet units
    std::copy(kClientMac.begin(), kClientMac.end(), b.begin() + 26);
    return add(Kind::Icmpv6, std::move(b));
}

PacketBuilder& PacketBuilder::icmpv6_na(std::string_view target) {
    std::vector<uint8_t> b(32);
    b[0] = kIcmpv6NeighborAdvert;
    b[4] = 0x60;  // solicited, override
    put_bytes(b, 8, parse_ip(target));
    b[24] = 2;  // target link-layer address
    b[25] = 1;
    std::copy(kClientMac.begin(), kClientMac.end(), b.begin() + 26);
    return add(Kind::Icmpv6, std::move(b));
}

PacketBuilder& PacketBuilder::arp_request(std::string_view sender_ip, std::string_view target_ip) {
    std::vector<uint8_t> b(28);
    put16(b, 0, 1);       // Ethernet
    put16(b, 2, 0x0800);  // IPv4
    b[4] = 6;
    b[5] = 4;
    put16(b, 6, 1);  // request
    std::copy(kClientMac.begin(), kClientMac.end(), b.begin() + 8);
    put_bytes(b, 14, parse_ip(sender_ip));
    put_bytes(b, 24, parse_ip(target_ip));
    return add(Kind::Arp, std::move(b));
}

PacketBuilder& PacketBuilder::payload(size_t len, uint8_t fill) {
    return add(Kind::Payload, std::vector<uint8_t>(len, fill));
}

PacketBuilder& PacketBuilder::payload(const std::vector<uint8_t>& bytes) {
    return add(Kind::Payload, bytes);
}

PacketBuilder& PacketBuilder::payload(std::string_view text) {
    return add(Kind::Payload, std::vector<uint8_t>(text.begin(), text.end()));
}

PacketBuilder& PacketBuilder::trailer(size_t len, uint8_t fill) {
    return add(Kind::Trailer, std::vector<uint8_t>(len, fill));
}

uint16_t PacketBuilder::ethertype_of(Kind next) {
    switch (next) {
    case Kind::Ipv4: return kEthTypeIpv4;
    case Kind::Ipv6: return kEthTypeIpv6;
    case Kind::Arp: return kEthTypeArp;
    default: return 0x88b5;  // IEEE "local experimental" ethertype
    }
}

uint8_t PacketBuilder::ip_protocol_of(const Layer& next) {
    switch (next.kind) {
    case Kind::Tcp: return kIpProtoTcp;
    case Kind::Udp: return kIpProtoUdp;
    case Kind::Icmp: return kIpProtoIcmp;
    case Kind::Icmpv6: return kIpProtoIcmpv6;
    case Kind::Ipv6Ext: return next.ext_type;
    case Kind::Ipv6Frag: return kIpProtoFragment;
    default: return kIpProtoExperimental;
    }
}

std::vector<size_t> PacketBuilder::layer_offsets() const {
    std::vector<size_t> offsets;
    size_t at = 0;
    for (const auto& layer : layers_) {
        offsets.push_back(at);
        at += layer.bytes.size();
    }
    offsets.push_back(at);
    return offsets;
}

Frame PacketBuilder::build() const {
    Frame frame;
    for (const auto& layer : layers_) frame.insert(frame.end(), layer.bytes.begin(), layer.bytes.end());
    const auto offsets = layer_offsets();
    size_t datagram_end = frame.size();
    for (size_t i = layers_.size(); i-- > 0 && layers_[i].kind == Kind::Trailer;) datagram_end = offsets[i];
    fix_up(frame, offsets, datagram_end);
    return frame;
}

void PacketBuilder::fix_up(Frame& f, const std::vector<size_t>& offsets, size_t end) const {
    const size_t n = layers_.size();
    // The nearest IP layer before layer i: the L4 checksum's pseudo-header comes from it.
    auto ip_before = [&](size_t i) -> std::optional<size_t> {
        for (size_t j = i; j-- > 0;)
            if (layers_[j].kind == Kind::Ipv4 || layers_[j].kind == Kind::Ipv6) return j;
        return std::nullopt;
    };
    auto l4_checksum = [&](size_t i, uint8_t proto, size_t csum_at) {
        const size_t off = offsets[i];
        const size_t len = end - off;
        uint32_t sum = 0;  // ICMPv4 has no pseudo-header; the others do
        auto ip = ip_before(i);
        if (ip && proto != kIpProtoIcmp) {
            const size_t ipo = offsets[*ip];
            if (layers_[*ip].kind == Kind::Ipv4) sum = sum16(&f[ipo + 12], 8);
            else sum = sum16(&f[ipo + 8], 32);
            sum += static_cast<uint32_t>(len >> 16) + static_cast<uint32_t>(len & 0xffff) + proto;
        }
        put16(f, off + csum_at, 0);
        put16(f, off + csum_at, fold(sum16(&f[off], len, sum)));
    };

    for (size_t i = 0; i < n; ++i) {
        const Layer& layer = layers_[i];
        const size_t off = offsets[i];
        const Layer* next = i + 1 < n ? &layers_[i + 1] : nullptr;
        switch (layer.kind) {
        case Kind::Eth:
        case Kind::Vlan: {
            const size_t type_at = layer.kind == Kind::Eth ? off + 12 : off + 2;
            uint16_t type = 0;
            if (next && next->kind == Kind::Vlan) type = next->tpid;
            else if (next) type = ethertype_of(next->kind);
            put16(f, type_at, type);
            break;
        }
        case Kind::Ipv4: {
            const auto& v4 = layer.ipv4;
            uint8_t ihl = v4.ihl.value_or(static_cast<uint8_t>(layer.bytes.size() / 4));
            f[off] = static_cast<uint8_t>(v4.version.value_or(4) << 4 | (ihl & 0x0f));
            put16(f, off + 2, v4.total_length.value_or(static_cast<uint16_t>(end - off)));
            f[off + 9] = v4.protocol.value_or(next ? ip_protocol_of(*next) : kIpProtoExperimental);
            put16(f, off + 10, 0);
            put16(f, off + 10, fold(sum16(&f[off], layer.bytes.size())));
            break;
        }
        case Kind::Ipv6: {
            const auto& v6 = layer.ipv6;
            f[off] = static_cast<uint8_t>(v6.version.value_or(6) << 4);
            put16(f, off + 4, v6.payload_length.value_or(static_cast<uint16_t>(end - off - 40)));
            f[off + 6] = v6.next_header.value_or(next ? ip_protocol_of(*next) : kIpProtoNoNext);
            break;
        }
        case Kind::Ipv6Ext:
        case Kind::Ipv6Frag:
            f[off] = next ? ip_protocol_of(*next) : kIpProtoNoNext;
            break;
        case Kind::Udp:
            put16(f, off + 4, static_cast<uint16_t>(end - off));
            break;
        default:
            break;
        }
    }
    // Checksums last: they cover the lengths written above.
    for (size_t i = 0; i < n; ++i) {
        switch (layers_[i].kind) {
        case Kind::Tcp: l4_checksum(i, kIpProtoTcp, 16); break;
        case Kind::Udp: l4_checksum(i, kIpProtoUdp, 6); break;
        case Kind::Icmp: l4_checksum(i, kIpProtoIcmp, 2); break;
        case Kind::Icmpv6: l4_checksum(i, kIpProtoIcmpv6, 2); break;
        default: break;
        }
    }
}

std::vector<uint8_t> timestamp_option(uint32_t value, uint32_t echo) {
    std::vector<uint8_t> o = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
    put32(o, 4, value);
    put32(o, 8, echo);
    return o;
}

std::vector<uint8_t> mss_option(uint16_t mss) {
    std::vector<uint8_t> o = {2, 4, 0, 0};
    put16(o, 2, mss);
    return o;
}

bool checksums_valid(const Frame& f, size_t l3) {
    const bool v6 = (f[l3] >> 4) == 6;
    size_t l4 = 0, l4_len = 0;
    uint32_t pseudo = 0;
    if (v6) {
        l4 = l3 + 40;
        l4_len = static_cast<size_t>(f[l3 + 4] << 8 | f[l3 + 5]);
        pseudo = sum16(&f[l3 + 8], 32);
    } else {
        const size_t ihl = (f[l3] & 0xfu) * 4;
        if (fold(sum16(&f[l3], ihl)) != 0) return false;
        l4 = l3 + ihl;
        l4_len = static_cast<size_t>(f[l3 + 2] << 8 | f[l3 + 3]) - ihl;
        pseudo = sum16(&f[l3 + 12], 8);
    }
    if (l4 + l4_len > f.size()) return false;
    pseudo += static_cast<uint32_t>(l4_len >> 16) + static_cast<uint32_t>(l4_len & 0xffff) + kIpProtoTcp;
    return fold(sum16(&f[l4], l4_len, pseudo)) == 0;
}

}  // namespace xt::test
