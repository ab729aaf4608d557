// A bounds-checked view of one Ethernet frame carrying TCP, for the controller (the XDP program
// has its own cursor parsers in bpf/parse.h; this is the user-space twin for frames read from
// AF_XDP). Parsing never reads outside the span; anything truncated or inconsistent is `malformed`,
// anything that is not a first-and-only-fragment TCP segment is `other` (the caller forwards it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "abi.h"

namespace xt::packet {

// A frame owned by the controller (a synthesized segment, a copy of a held one).
using Frame = std::vector<uint8_t>;

namespace tcp_flag {
inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t psh = 0x08;
inline constexpr uint8_t ack = 0x10;
}  // namespace tcp_flag

struct TcpTimestamps {
    uint32_t value = 0;  // TSval
    uint32_t echo = 0;   // TSecr
};

// The connection's identity seen from one segment: source and destination as on the wire.
struct Endpoints {
    xt_addr src{};  // IPv4 stored IPv4-mapped, like every xt_addr
    xt_addr dst{};
    uint16_t src_port = 0;  // host byte order
    uint16_t dst_port = 0;
};

struct TcpFrame {
    std::span<const uint8_t> bytes;  // the whole frame (not owned)
    std::size_t l3_offset = 0;       // after Ethernet and up to two VLAN tags
    std::size_t l4_offset = 0;       // the TCP header
    std::size_t payload_offset = 0;
    std::size_t payload_len = 0;     // from the IP length, so Ethernet padding is excluded
    bool ipv6 = false;
    Endpoints ends;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = 0;   // tcp_flag bits
    uint16_t window = 0; // raw field (unscaled)
    std::optional<uint16_t> mss;          // option, on SYNs
    std::optional<TcpTimestamps> timestamps;

    bool has(uint8_t flag) const { return (flags & flag) != 0; }
    std::span<const uint8_t> payload() const { return bytes.subspan(payload_offset, payload_len); }
    // Sequence space this segment occupies: payload, plus one for SYN and for FIN.
    uint32_t seq_end() const {
        return seq + static_cast<uint32_t>(payload_len) + (has(tcp_flag::syn) ? 1u : 0u) +
               (has(tcp_flag::fin) ? 1u : 0u);
    }
};

enum class FrameKind {
    tcp,        // `tcp` is filled in
    other,      // not TCP, or an IP fragment: not the controller's business
    malformed,  // truncated or inconsistent headers
};

struct ParsedFrame {
    FrameKind kind = FrameKind::other;
    TcpFrame tcp;
};

// Ethernet (+ 802.1Q / 802.1ad, at most two tags), IPv4 (options skipped) or IPv6 (hop-by-hop,
// routing and destination-options headers skipped, at most 8), TCP with its options.
ParsedFrame parse_frame(std::span<const uint8_t> frame);

// TCP sequence arithmetic (RFC 1982 serial numbers): a is before b.
inline bool seq_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_after(uint32_t a, uint32_t b) { return seq_before(b, a); }

}  // namespace xt::packet
