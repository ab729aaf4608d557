// Frames the controller writes itself when it answers a request in the backend's place:
// the HTTP response to the client (with FIN) and an RST to the backend.
//
// Every frame is built from a "template": a real segment of the same connection, whose Ethernet
// header (with its VLAN tags), addresses and ports are reused, swapped when the new segment travels
// the other way. So the synthesized frames need no ARP/neighbour lookup and are exactly what the
// two hosts expect to see on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "packet/tcp_frame.hpp"

namespace xt::packet {

enum class Orientation {
    as_template,  // same source and destination as the template
    reversed,     // source and destination (MAC, IP, port) swapped
};

struct SegmentFields {
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = tcp_flag::ack;
    uint16_t window = 0;
    std::optional<TcpTimestamps> timestamps;  // emitted as NOP NOP TS (12 bytes) when set
    std::span<const uint8_t> payload;
};

// One segment: L2 copied from the template, IPv4 (DF, TTL 64) or IPv6 (hop limit 64), checksums
// computed.
Frame build_segment(const TcpFrame& tmpl, Orientation orientation, const SegmentFields& fields);

// Which end of the connection sent the template segment.
enum class Sender { client, server };

// Where the connection stands when the controller answers in the server's place.
struct AnswerPoint {
    uint32_t server_seq = 0;   // the next sequence number the server would send
    uint32_t client_ack = 0;   // the client bytes our answer acknowledges
    uint32_t backend_seq = 0;  // the backend's rcv_nxt: first client byte it never received
    uint16_t client_mss = 536; // largest payload the client accepts (before TCP options)
    uint16_t window = 0;       // window field of our segments (0: the template's)
};

struct AnswerFrames {
    std::vector<Frame> to_client;  // response bytes split at the MSS, FIN on the last segment
    Frame to_backend;              // RST|ACK as if from the client, seq = backend_seq
};

// The server's answer `response` (e.g. http::render_rejection) and the RST that closes the backend
// side. Timestamps are echoed when the template carries them (the client's TSecr is the server's
// clock), so connections with RFC 7323 timestamps accept the segments.
AnswerFrames build_answer(const TcpFrame& tmpl, Sender tmpl_sender, const AnswerPoint& point,
                          std::string_view response);

}  // namespace xt::packet
