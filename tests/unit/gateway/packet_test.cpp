#include <gtest/gtest.h>

#include <string>

#include "gateway/frames.hpp"
#include "input/address.hpp"
#include "packet/synthesize.hpp"
#include "packet/tcp_frame.hpp"

using namespace xt::packet;
using xt::test::build_frame;
using xt::test::SegmentSpec;
using xt::operator==;

namespace {

xt_addr addr(const char* text) { return *xt::parse_address(text); }

TcpFrame parse_ok(const std::vector<uint8_t>& f) {
    auto p = parse_frame(f);
    EXPECT_EQ(p.kind, FrameKind::tcp);
    return p.tcp;
}

std::string payload_of(const TcpFrame& t) {
    auto p = t.payload();
    return std::string(p.begin(), p.end());
}

}  // namespace

TEST(ParseFrame, Ipv4SegmentFields) {
    SegmentSpec s;
    s.payload = "GET / HTTP/1.1\r\n\r\n";
    s.tcp_options = xt::test::timestamp_option(111, 222);
    auto f = build_frame(s);
    auto t = parse_ok(f);
    EXPECT_FALSE(t.ipv6);
    EXPECT_EQ(t.l3_offset, 14u);
    EXPECT_EQ(t.l4_offset, 34u);
    EXPECT_TRUE(t.ends.src == addr("192.0.2.10"));
    EXPECT_TRUE(t.ends.dst == addr("10.0.0.2"));
    EXPECT_EQ(t.ends.src_port, 40000);
    EXPECT_EQ(t.ends.dst_port, 80);
    EXPECT_EQ(t.seq, 1000u);
    EXPECT_EQ(t.ack, 5000u);
    EXPECT_EQ(t.flags, tcp_flag::psh | tcp_flag::ack);
    EXPECT_EQ(t.window, 502);
    ASSERT_TRUE(t.timestamps);
    EXPECT_EQ(t.timestamps->value, 111u);
    EXPECT_EQ(t.timestamps->echo, 222u);
    EXPECT_EQ(payload_of(t), s.payload);
    EXPECT_EQ(t.seq_end(), 1000u + s.payload.size());
}

TEST(ParseFrame, VlanQinqIpv4OptionsAndPadding) {
    SegmentSpec s;
    s.vlans = {100, 200};
    s.ipv4_options = {1, 1, 1, 0};  // NOP NOP NOP EOL
    s.payload = "abc";
    s.eth_padding = 20;  // short frames are padded to 60 bytes on the wire
    s.flags = tcp_flag::syn;
    s.tcp_options = xt::test::mss_option(1460);
    auto frame = build_frame(s);
    auto t = parse_ok(frame);
    EXPECT_EQ(t.l3_offset, 22u);
    EXPECT_EQ(t.l4_offset, 22u + 24u);
    EXPECT_EQ(payload_of(t), "abc");
    ASSERT_TRUE(t.mss);
    EXPECT_EQ(*t.mss, 1460);
    EXPECT_EQ(t.seq_end(), 1000u + 3 + 1);
}

TEST(ParseFrame, Ipv6WithHopByHop) {
    SegmentSpec s;
    s.ipv6 = true;
    s.src = "2001:db8::10";
    s.dst = "2001:db8::2";
    s.ipv6_hop_by_hop = {1, 4, 0, 0, 0, 0};  // PadN
    s.payload = "hello";
    auto frame = build_frame(s);
    auto t = parse_ok(frame);
    EXPECT_TRUE(t.ipv6);
    EXPECT_EQ(t.l4_offset, 14u + 40u + 8u);
    EXPECT_TRUE(t.ends.src == addr("2001:db8::10"));
    EXPECT_EQ(payload_of(t), "hello");
}

TEST(ParseFrame, EveryTruncationIsMalformedNeverARead) {
    for (bool v6 : {false, true}) {
        SegmentSpec s;
        s.ipv6 = v6;
        if (v6) s.src = "2001:db8::10", s.dst = "2001:db8::2";
        s.vlans = {7};
        s.payload = "payload";
        s.tcp_options = xt::test::timestamp_option(1, 2);
        auto full = build_frame(s);
        for (std::size_t len = 0; len < full.size(); ++len) {
            std::vector<uint8_t> cut(full.begin(), full.begin() + len);
            EXPECT_EQ(parse_frame(cut).kind, FrameKind::malformed) << "v6=" << v6 << " len=" << len;
        }
    }
}

TEST(ParseFrame, NonTcpAndFragmentsAreOther) {
    SegmentSpec s;
    auto f = build_frame(s);
    f[14 + 9] = 17;  // UDP
    EXPECT_EQ(parse_frame(f).kind, FrameKind::other);
    f = build_frame(s);
    f[14 + 6] = 0x20;  // MF
    EXPECT_EQ(parse_frame(f).kind, FrameKind::other);
    std::vector<uint8_t> arp(60, 0);
    arp[12] = 0x08;
    arp[13] = 0x06;
    EXPECT_EQ(parse_frame(arp).kind, FrameKind::other);
}

TEST(ParseFrame, BadTcpOptionIsMalformed) {
    SegmentSpec s;
    s.tcp_options = {8, 12, 0, 0};  // timestamp option claiming more bytes than the header has
    auto frame = build_frame(s);
    EXPECT_EQ(parse_frame(frame).kind, FrameKind::malformed);
}

namespace {

struct AnswerCase {
    const char* name;
    bool ipv6;
    std::vector<uint16_t> vlans;
    bool timestamps;
    uint16_t mss;
    std::size_t response_len;
};

class BuildAnswer : public ::testing::TestWithParam<AnswerCase> {};

}  // namespace

TEST_P(BuildAnswer, ParsesBackWithValidChecksumsAndSequence) {
    const AnswerCase& c = GetParam();
    SegmentSpec s;
    s.ipv6 = c.ipv6;
    if (c.ipv6) s.src = "2001:db8::10", s.dst = "2001:db8::2";
    s.vlans = c.vlans;
    s.seq = 0xfffffff0u;  // wraps inside the request
    s.ack = 7777;
    s.payload = "GET /limited HTTP/1.1\r\nHost: x\r\n\r\n";
    if (c.timestamps) s.tcp_options = xt::test::timestamp_option(1111, 2222);
    auto client_frame = build_frame(s);
    auto tmpl = parse_ok(client_frame);

    std::string response(c.response_len, 'x');
    for (std::size_t i = 0; i < response.size(); ++i) response[i] = static_cast<char>('a' + i % 26);
    AnswerPoint point;
    point.server_seq = tmpl.ack;
    point.client_ack = tmpl.seq_end();
    point.backend_seq = tmpl.seq;
    point.client_mss = c.mss;
    auto answer = build_answer(tmpl, Sender::client, point, response);

    const std::size_t max_payload = c.mss - (c.timestamps ? 12u : 0u);
    EXPECT_EQ(answer.to_client.size(), (response.size() + max_payload - 1) / max_payload);
    std::string reassembled;
    uint32_t expect_seq = 7777;
    for (std::size_t i = 0; i < answer.to_client.size(); ++i) {
        const auto& frame = answer.to_client[i];
        EXPECT_TRUE(xt::test::checksums_valid(frame, tmpl.l3_offset)) << i;
        auto back = parse_ok(frame);
        EXPECT_EQ(back.l3_offset, tmpl.l3_offset);
        EXPECT_EQ(frame[5], s.src_mac_last);  // to the client's MAC
        EXPECT_EQ(frame[11], s.dst_mac_last);
        EXPECT_TRUE(back.ends.src == tmpl.ends.dst);
        EXPECT_TRUE(back.ends.dst == tmpl.ends.src);
        EXPECT_EQ(back.ends.src_port, 80);
        EXPECT_EQ(back.ends.dst_port, 40000);
        EXPECT_EQ(back.seq, expect_seq);
        EXPECT_EQ(back.ack, static_cast<uint32_t>(0xfffffff0u + s.payload.size()));
        EXPECT_LE(back.payload_len, max_payload);
        const bool last = i + 1 == answer.to_client.size();
        EXPECT_EQ(back.has(tcp_flag::fin), last);
        EXPECT_TRUE(back.has(tcp_flag::ack));
        EXPECT_FALSE(back.has(tcp_flag::rst));
        if (c.timestamps) {
            ASSERT_TRUE(back.timestamps);
            EXPECT_EQ(back.timestamps->value, 2222u);  // the server's clock, as the client echoed it
            EXPECT_EQ(back.timestamps->echo, 1111u);
        } else {
            EXPECT_FALSE(back.timestamps);
        }
        expect_seq += static_cast<uint32_t>(back.payload_len);
        reassembled += payload_of(back);
    }
    EXPECT_EQ(reassembled, response);

    EXPECT_TRUE(xt::test::checksums_valid(answer.to_backend, tmpl.l3_offset));
    auto rst = parse_ok(answer.to_backend);
    EXPECT_EQ(rst.flags, tcp_flag::rst | tcp_flag::ack);
    EXPECT_EQ(rst.seq, 0xfffffff0u);
    EXPECT_EQ(rst.ack, 7777u);
    EXPECT_EQ(rst.payload_len, 0u);
    EXPECT_TRUE(rst.ends.src == tmpl.ends.src);
    EXPECT_EQ(rst.ends.dst_port, 80);
    EXPECT_EQ(answer.to_backend[5], s.dst_mac_last);  // toward the backend's MAC
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BuildAnswer,
    ::testing::Values(AnswerCase{"v4_one_segment", false, {}, true, 1460, 300},
                      AnswerCase{"v4_split_at_mss", false, {}, true, 100, 301},
                      AnswerCase{"v4_vlan_no_ts", false, {42}, false, 88, 88 * 3},
                      AnswerCase{"v6_one_segment", true, {}, true, 1440, 250},
                      AnswerCase{"v6_qinq_split", true, {1, 2}, false, 200, 999}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(BuildAnswerFromServer, OrientationFollowsTheTemplatesSender) {
    // A deferred rejection is emitted when a response segment passes: the template is the server's.
    SegmentSpec s;
    s.src = "10.0.0.2";
    s.dst = "192.0.2.10";
    s.sport = 80;
    s.dport = 40000;
    s.seq = 9000;
    s.ack = 1234;
    s.payload = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    s.tcp_options = xt::test::timestamp_option(50, 60);
    auto frame = build_frame(s);
    auto tmpl = parse_ok(frame);
    AnswerPoint point{tmpl.seq_end(), 1300, 1250, 1460, 100};
    auto answer = build_answer(tmpl, Sender::server, point, "HTTP/1.1 429 x\r\n\r\n");
    ASSERT_EQ(answer.to_client.size(), 1u);
    auto out = parse_ok(answer.to_client[0]);
    EXPECT_TRUE(out.ends.dst == addr("192.0.2.10"));
    EXPECT_EQ(out.seq, tmpl.seq_end());
    EXPECT_EQ(out.ack, 1300u);
    EXPECT_EQ(out.window, 100);
    EXPECT_EQ(out.timestamps->value, 50u);
    EXPECT_EQ(out.timestamps->echo, 60u);
    auto rst = parse_ok(answer.to_backend);
    EXPECT_TRUE(rst.ends.dst == addr("10.0.0.2"));
    EXPECT_EQ(rst.ends.src_port, 40000);
    EXPECT_EQ(rst.seq, 1250u);
    EXPECT_TRUE(xt::test::checksums_valid(answer.to_backend, 14));
}
