// A connection the flow-table tests drive by hand: both ends' sequence numbers advance as the
// frames are built, so a test reads like a packet trace.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "gateway/frames.hpp"
#include "config/load_config.hpp"
#include "flow/flow_table.hpp"
#include "packet/tcp_frame.hpp"
#include "policy/engine.hpp"

namespace xt::test {

// /limited: one request per minute (503 after); /free: no limit.
inline const char* kFlowConfig = R"({"version": 3,
  "endpoints": [
    {"backend": [{"url_pattern": "/"}], "endpoint": "/limited", "extra_config": {"qos/ratelimit/router":
        {"max_rate": 1, "capacity": 1, "every": "1m"}}},
    {"backend": [{"url_pattern": "/"}], "endpoint": "/free"}]})";

struct FlowHarness {
    uint64_t now_ns = 1'000'000'000;
    config::Config config;
    std::optional<policy::PolicyEngine> policy;
    std::optional<flow::FlowTable> table;
    std::vector<flow::ResponseRecord> responses;

    explicit FlowHarness(flow::FlowTableOptions options = {}, const char* json = kFlowConfig) {
        auto loaded = config::parse_config(json);
        if (!loaded) throw std::runtime_error(loaded.error().message);
        config = *loaded;
        auto made = policy::PolicyEngine::create(config, [this] { return now_ns; });
        if (!made) throw std::runtime_error(made.error().message);
        policy.emplace(std::move(*made));
        table.emplace(std::move(options), *policy, [this] { return now_ns; });
        table->set_response_observer([this](const flow::ResponseRecord& r) { responses.push_back(r); });
    }
    flow::Verdict feed(const std::vector<uint8_t>& frame) { return table->on_frame(frame); }
};

struct Conn {
    bool ipv6 = false;
    uint16_t client_port = 40000;
    uint32_t cseq = 1000;   // client's next sequence number
    uint32_t sseq = 90000;  // server's next sequence number
    std::optional<uint16_t> mss;  // announced in the client's SYN

    SegmentSpec spec(bool from_client) const {
        SegmentSpec s;
        s.ipv6 = ipv6;
        const std::string c = ipv6 ? "2001:db8::10" : "192.0.2.10";
        const std::string v = ipv6 ? "2001:db8::2" : "10.0.0.2";
        s.src = from_client ? c : v;
        s.dst = from_client ? v : c;
        s.sport = from_client ? client_port : 80;
        s.dport = from_client ? 80 : client_port;
        s.src_mac_last = from_client ? 0x01 : 0x02;
        s.dst_mac_last = from_client ? 0x02 : 0x01;
        s.seq = from_client ? cseq : sseq;
        s.ack = from_client ? sseq : cseq;
        return s;
    }
    // A segment of this connection at `seq`; the sender's next sequence number is the caller's.
    std::vector<uint8_t> segment(bool from_client, uint32_t seq, const std::string& data, uint8_t flags) const {
        auto s = spec(from_client);
        s.seq = seq;
        s.payload = data;
        s.flags = flags;
        return build_frame(s);
    }
    // FIN takes a sequence number of its own.
    static uint32_t advance(const std::string& data, uint8_t flags) {
        return static_cast<uint32_t>(data.size()) + ((flags & kFin) ? 1 : 0);
    }
    std::vector<uint8_t> syn() {
        auto s = spec(true);
        s.flags = kSyn;
        if (mss) s.tcp_options = mss_option(*mss);
        ++cseq;
        return build_frame(s);
    }
    std::vector<uint8_t> syn_ack() {
        auto f = segment(false, sseq, "", kSyn | kAck);
        ++sseq;
        return f;
    }
    // Client data at the current sequence number (advancing it), or at `seq` (not advancing).
    std::vector<uint8_t> client(const std::string& data, uint8_t flags = kPsh | kAck) {
        auto f = segment(true, cseq, data, flags);
        cseq += advance(data, flags);
        return f;
    }
    std::vector<uint8_t> client_at(uint32_t seq, const std::string& data, uint8_t flags = kPsh | kAck) const {
        return segment(true, seq, data, flags);
    }
    std::vector<uint8_t> server(const std::string& data, uint8_t flags = kPsh | kAck) {
        auto f = segment(false, sseq, data, flags);
        sseq += advance(data, flags);
        return f;
    }
    std::vector<uint8_t> client_ack() const { return segment(true, cseq, "", kAck); }

    flow::FlowKey key() const {
        flow::FlowKey k;
        k.client = *parse_address(ipv6 ? "2001:db8::10" : "192.0.2.10");
        k.server = *parse_address(ipv6 ? "2001:db8::2" : "10.0.0.2");
        k.client_port = client_port;
        k.server_port = 80;
        return k;
    }
};

inline std::string get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: api\r\n\r\n"; }
inline std::string ok_response(const std::string& body = "ok") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The payload of a synthesized answer (all to-client frames reassembled) and its last frame.
struct ParsedAnswer {
    std::string bytes;
    packet::TcpFrame first;
    packet::TcpFrame last;
};

inline ParsedAnswer reassemble(const std::vector<packet::Frame>& frames) {
    ParsedAnswer a;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        auto p = packet::parse_frame(frames[i]);
        EXPECT_EQ(p.kind, packet::FrameKind::tcp);
        EXPECT_TRUE(checksums_valid(frames[i], p.tcp.l3_offset));
        auto pl = p.tcp.payload();
        a.bytes.append(pl.begin(), pl.end());
        if (i == 0) a.first = p.tcp;
        a.last = p.tcp;
    }
    return a;
}

}  // namespace xt::test
