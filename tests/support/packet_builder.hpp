// Builds test frames layer by layer, in the style of Katran's PacketBuilder:
//
//   auto frame = PacketBuilder().eth().vlan(10).ipv4("10.0.0.1", "10.0.0.2").tcp(1234, 80, kSyn)
//                    .payload(32).build();
//
// Lengths, "next protocol" fields and checksums are filled in by build() from the layers that
// follow, so a test states only what it is about. Every field a malformed-packet test needs to lie
// about (IHL, total length, TCP data offset, ...) has an override that build() applies last.
//
// The one frame builder of the project: the progrun tests, the gateway unit tests and bench/ use
// it. It is written independently of the library's packet code (userspace/packet), which is tested
// against it. Misuse (a bad address literal, options of an impossible length) is a bug in the
// caller: it aborts with a message, so the builder needs no test framework.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace xt::test {

using Frame = std::vector<uint8_t>;
using MacAddress = std::array<uint8_t, 6>;

inline constexpr MacAddress kClientMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
inline constexpr MacAddress kServerMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kEthTypeVlan = 0x8100;   // 802.1Q
inline constexpr uint16_t kEthTypeQinQ = 0x88a8;   // 802.1ad

inline constexpr uint8_t kIpProtoHopByHop = 0;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoRouting = 43;
inline constexpr uint8_t kIpProtoFragment = 44;
inline constexpr uint8_t kIpProtoGre = 47;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoNoNext = 59;
inline constexpr uint8_t kIpProtoDestOpts = 60;

// TCP flags (byte 13 of the header).
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;

inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6RouterSolicit = 133;
inline constexpr uint8_t kIcmpv6NeighborSolicit = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvert = 136;
inline constexpr uint8_t kIcmpv6Redirect = 137;

struct Ipv4Fields {
    uint8_t ttl = 64;
    uint16_t fragment_offset = 0;  // in 8-byte units
    bool more_fragments = false;
    bool dont_fragment = false;
    size_t options_len = 0;  // bytes of IPv4 options (NOP-filled, multiple of 4, <= 40)
    std::vector<uint8_t> options;  // or these option bytes (multiple of 4, <= 40)
    std::optional<uint8_t> version;       // override
    std::optional<uint8_t> ihl;           // override (32-bit words)
    std::optional<uint16_t> total_length; // override
    std::optional<uint8_t> protocol;      // override of the derived protocol
};

struct Ipv6Fields {
    uint8_t hop_limit = 64;
    std::optional<uint8_t> version;          // override
    std::optional<uint16_t> payload_length;  // override
    std::optional<uint8_t> next_header;      // override of the derived next header
};

struct TcpFields {
    size_t options_len = 0;              // bytes of TCP options (NOP-filled, multiple of 4)
    std::optional<uint8_t> data_offset;  // override (32-bit words)
    uint32_t seq = 0x10000000;
    uint32_t ack = 0;
    uint16_t window = 65535;
    std::vector<uint8_t> options;  // or these option bytes, EOL-padded to a multiple of 4
};

class PacketBuilder {
public:
    PacketBuilder& eth(MacAddress src = kClientMac, MacAddress dst = kServerMac);
    PacketBuilder& vlan(uint16_t vid, uint16_t tpid = kEthTypeVlan);
    PacketBuilder& ipv4(std::string_view src, std::string_view dst, Ipv4Fields fields = {});
    PacketBuilder& ipv6(std::string_view src, std::string_view dst, Ipv6Fields fields = {});
    // Hop-by-hop, routing or destination options header of `len` bytes (multiple of 8, >= 8).
    PacketBuilder& ipv6_ext(uint8_t type, size_t len = 8);
    // The same with its options given: `body` is what follows the next-header and length bytes
    // (2 + body.size() a multiple of 8).
    PacketBuilder& ipv6_ext(uint8_t type, const std::vector<uint8_t>& body);
    PacketBuilder& ipv6_fragment(uint16_t offset_units, bool more_fragments);
    PacketBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags, TcpFields fields = {});
    PacketBuilder& udp(uint16_t sport, uint16_t dport);
    PacketBuilder& icmp(uint8_t type = kIcmpEchoRequest, uint8_t code = 0);
    PacketBuilder& icmpv6(uint8_t type = kIcmpv6EchoRequest, uint8_t code = 0);
    // Neighbour solicitation/advertisement for `target`, with the link-layer address option.
    PacketBuilder& icmpv6_ns(std::string_view target);
    PacketBuilder& icmpv6_na(std::string_view target);
    PacketBuilder& arp_request(std::string_view sender_ip, std::string_view target_ip);
    PacketBuilder& payload(size_t len, uint8_t fill = 0xab);
    PacketBuilder& payload(const std::vector<uint8_t>& bytes);
    PacketBuilder& payload(std::string_view text);
    // Ethernet padding after the IP datagram: in the frame, in no length and no checksum.
    PacketBuilder& trailer(size_t len, uint8_t fill = 0);

    Frame build() const;
    // Offset in build()'s frame at which each layer starts, in the order the layers were added,
    // followed by the frame length. Used to cut a frame at every header boundary.
    std::vector<size_t> layer_offsets() const;

private:
    enum class Kind { Eth, Vlan, Ipv4, Ipv6, Ipv6Ext, Ipv6Frag, Tcp, Udp, Icmp, Icmpv6, Arp, Payload, Trailer };
    struct Layer {
        Kind kind;
        std::vector<uint8_t> bytes;
        Ipv4Fields ipv4{};
        Ipv6Fields ipv6{};
        TcpFields tcp{};
        uint8_t ext_type = 0;  // Ipv6Ext: which extension header
        uint16_t tpid = 0;     // Vlan: the ethertype that announces this tag
    };

    PacketBuilder& add(Kind kind, std::vector<uint8_t> bytes);
    static uint16_t ethertype_of(Kind next);
    static uint8_t ip_protocol_of(const Layer& next);
    void fix_up(Frame& frame, const std::vector<size_t>& offsets, size_t datagram_end) const;

    std::vector<Layer> layers_;
};

// The address bytes of an IPv4 or IPv6 literal (4 or 16 bytes); aborts on a bad literal.
std::vector<uint8_t> parse_ip(std::string_view text);

// A frame cut to its first `len` bytes.
Frame truncated(const Frame& frame, size_t len);

// TCP options as they go on the wire (RFC 7323 timestamps preceded by two NOPs; RFC 9293 MSS).
std::vector<uint8_t> timestamp_option(uint32_t value, uint32_t echo);
std::vector<uint8_t> mss_option(uint16_t mss);

// Whether the IPv4 header checksum (IPv4 only) and the TCP checksum of the segment whose IP header
// starts at `l3_offset` (no extension headers) are right: the check of the frames the library
// writes, independent of its own checksum code.
bool checksums_valid(const Frame& frame, size_t l3_offset);

}  // namespace xt::test
