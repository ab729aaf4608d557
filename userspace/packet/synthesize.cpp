#include "packet/synthesize.hpp"

#include <algorithm>
#include <cstring>

#include "packet/checksum.hpp"

namespace xt::packet {
namespace {

constexpr std::size_t kIpv4Header = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kTcpHeader = 20;
constexpr std::size_t kTimestampOption = 12;  // NOP NOP kind=8 len=10 TSval TSecr
constexpr uint8_t kTtl = 64;

void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
    put16(p, static_cast<uint16_t>(v >> 16));
    put16(p + 2, static_cast<uint16_t>(v));
}

}  // namespace

Frame build_segment(const TcpFrame& tmpl, Orientation orientation, const SegmentFields& fields) {
    const bool reverse = orientation == Orientation::reversed;
    const std::size_t l2 = tmpl.l3_offset;
    const std::size_t ip_len = tmpl.ipv6 ? kIpv6Header : kIpv4Header;
    const std::size_t tcp_len = kTcpHeader + (fields.timestamps ? kTimestampOption : 0);
    Frame f(l2 + ip_len + tcp_len + fields.payload.size(), 0);

    // L2: the template's Ethernet header and VLAN tags; MACs swapped when reversed.
    std::memcpy(f.data(), tmpl.bytes.data(), l2);
    if (reverse) {
        std::memcpy(f.data(), tmpl.bytes.data() + 6, 6);
        std::memcpy(f.data() + 6, tmpl.bytes.data(), 6);
    }
    const xt_addr& src = reverse ? tmpl.ends.dst : tmpl.ends.src;
    const xt_addr& dst = reverse ? tmpl.ends.src : tmpl.ends.dst;
    const uint16_t src_port = reverse ? tmpl.ends.dst_port : tmpl.ends.src_port;
    const uint16_t dst_port = reverse ? tmpl.ends.src_port : tmpl.ends.dst_port;

    uint8_t* ip = f.data() + l2;
    const std::size_t l4_total = tcp_len + fields.payload.size();
    if (tmpl.ipv6) {
        ip[0] = 0x60;
        put16(ip + 4, static_cast<uint16_t>(l4_total));
        ip[6] = 6;  // next header: TCP
        ip[7] = kTtl;
        std::memcpy(ip + 8, src.w, 16);
        std::memcpy(ip + 24, dst.w, 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, static_cast<uint16_t>(kIpv4Header + l4_total));
        put16(ip + 6, 0x4000);  // DF: these segments are MSS-sized, never fragmented
        ip[8] = kTtl;
        ip[9] = 6;
        std::memcpy(ip + 12, reinterpret_cast<const uint8_t*>(src.w) + 12, 4);
        std::memcpy(ip + 16, reinterpret_cast<const uint8_t*>(dst.w) + 12, 4);
        put16(ip + 10, ipv4_header_checksum({ip, kIpv4Header}));
    }

    uint8_t* tcp = ip + ip_len;
    put16(tcp, src_port);
    put16(tcp + 2, dst_port);
    put32(tcp + 4, fields.seq);
    put32(tcp + 8, fields.ack);
    tcp[12] = static_cast<uint8_t>((tcp_len / 4) << 4);
    tcp[13] = fields.flags;
    put16(tcp + 14, fields.window);
    if (fields.timestamps) {
        uint8_t* opt = tcp + kTcpHeader;
        opt[0] = opt[1] = 1;  // NOP NOP: keeps TSval 4-byte aligned, as Linux sends it
        opt[2] = 8;
        opt[3] = 10;
        put32(opt + 4, fields.timestamps->value);
        put32(opt + 8, fields.timestamps->echo);
    }
    if (!fields.payload.empty())
        std::memcpy(tcp + tcp_len, fields.payload.data(), fields.payload.size());
    put16(tcp + 16, tcp_checksum(tmpl.ipv6, src, dst, {tcp, l4_total}));
    return f;
}

AnswerFrames build_answer(const TcpFrame& tmpl, Sender tmpl_sender, const AnswerPoint& point,
                          std::string_view response) {
    AnswerFrames out;
    const bool from_client = tmpl_sender == Sender::client;
    const Orientation to_client = from_client ? Orientation::reversed : Orientation::as_template;
    const Orientation to_server = from_client ? Orientation::as_template : Orientation::reversed;

    // Timestamps as each end would send them: a segment from the client carries the client's clock
    // in TSval and echoes the server's in TSecr, and the other way round.
    std::optional<TcpTimestamps> server_ts;
    if (tmpl.timestamps) {
        const TcpTimestamps& ts = *tmpl.timestamps;
        server_ts = from_client ? TcpTimestamps{ts.echo, ts.value} : ts;
    }
    const uint16_t window = point.window ? point.window : tmpl.window;
    const std::size_t option_bytes = server_ts ? kTimestampOption : 0;
    const std::size_t mss = std::max<std::size_t>(point.client_mss > option_bytes
                                                      ? point.client_mss - option_bytes
                                                      : 0,
                                                  64);  // never loop on a silly MSS

    const auto* bytes = reinterpret_cast<const uint8_t*>(response.data());
    std::size_t sent = 0;
    uint32_t seq = point.server_seq;
    do {
        const std::size_t chunk = std::min(mss, response.size() - sent);
        const bool last = sent + chunk == response.size();
        SegmentFields s;
        s.seq = seq;
        s.ack = point.client_ack;
        s.flags = tcp_flag::ack | (last ? tcp_flag::psh | tcp_flag::fin : 0);
        s.window = window;
        s.timestamps = server_ts;
        s.payload = {bytes + sent, chunk};
        out.to_client.push_back(build_segment(tmpl, to_client, s));
        sent += chunk;
        seq += static_cast<uint32_t>(chunk);
    } while (sent < response.size());

    // RST without options: RFC 7323 lets a RST through without a timestamp, and Linux accepts a
    // RST whose seq is exactly rcv_nxt (RFC 5961); anything else in window only earns a challenge ACK.
    SegmentFields rst;
    rst.seq = point.backend_seq;
    rst.ack = point.server_seq;
    rst.flags = tcp_flag::rst | tcp_flag::ack;
    rst.window = 0;
    out.to_backend = build_segment(tmpl, to_server, rst);
    return out;
}

}  // namespace xt::packet
