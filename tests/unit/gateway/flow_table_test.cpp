#include <gtest/gtest.h>

#include "gateway/flow_harness.hpp"

using namespace xt::flow;
using namespace xt::test;
namespace tcp_flag = xt::packet::tcp_flag;

namespace {

xt::packet::TcpFrame parse(const xt::packet::Frame& f) { return xt::packet::parse_frame(f).tcp; }

void handshake(FlowHarness& h, Conn& c) {
    EXPECT_EQ(h.feed(c.syn()).action, Action::forward);
    EXPECT_EQ(h.feed(c.syn_ack()).action, Action::forward);
    EXPECT_EQ(h.feed(c.client_ack()).action, Action::forward);
}

// The verdict that closes a connection we cannot follow: the frame dropped, an RST to each end.
void expect_reset_both(const Verdict& v) {
    EXPECT_EQ(v.action, Action::drop);
    ASSERT_EQ(v.back.size(), 1u);
    ASSERT_EQ(v.onward.size(), 1u);
    EXPECT_TRUE(parse(v.back[0]).has(tcp_flag::rst));
    EXPECT_TRUE(parse(v.onward[0]).has(tcp_flag::rst));
}

// The usual start of a test: a table with the default config and one connection through its
// handshake (`auto& [h, c] = connected;`).
struct Connected {
    FlowHarness h;
    Conn c;
    Connected() { handshake(h, c); }
};

}  // namespace

TEST(FlowTable, AllowedRequestAndResponseStatusRecorded) {
    Connected connected;
    auto& [h, c] = connected;
    auto v = h.feed(c.client(get("/limited")));
    EXPECT_EQ(v.action, Action::forward);
    EXPECT_TRUE(v.back.empty());
    EXPECT_TRUE(v.onward.empty());
    EXPECT_EQ(h.feed(c.server(ok_response())).action, Action::forward);
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].status, 200u);
    EXPECT_EQ(h.responses[0].endpoint, 0u);
    auto info = h.table->info(c.key());
    ASSERT_TRUE(info);
    EXPECT_EQ(info->requests, 1u);
    EXPECT_EQ(info->responses, 1u);
    EXPECT_EQ(h.table->counters().flows_created, 1u);
}

TEST(FlowTable, SplitHeadIsOneRequestAndRejectedWhereItCompletes) {
    FlowHarness h;
    Conn first;
    handshake(h, first);
    EXPECT_EQ(h.feed(first.client(get("/limited"))).action, Action::forward);  // takes the token
    h.feed(first.server(ok_response()));

    Conn c;
    c.client_port = 40001;
    c.mss = 100;
    handshake(h, c);
    const std::string head = get("/limited");
    const uint32_t start = c.cseq;
    EXPECT_EQ(h.feed(c.client(head.substr(0, 5))).action, Action::forward);  // "GET /"
    EXPECT_EQ(h.feed(c.client(head.substr(5, 10))).action, Action::forward);
    const uint32_t last_start = c.cseq;
    auto v = h.feed(c.client(head.substr(15)));
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_EQ(h.table->counters().requests, 2u);
    EXPECT_EQ(h.table->counters().rejected, 1u);

    // The answer: 503 split at the client's MSS of 100, FIN on the last segment, acking the head.
    ASSERT_GE(v.back.size(), 2u);
    auto answer = reassemble(v.back);
    EXPECT_EQ(answer.bytes.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u);
    EXPECT_NE(answer.bytes.find("Retry-After: 60\r\n"), std::string::npos);
    EXPECT_NE(answer.bytes.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(answer.first.seq, c.sseq);
    EXPECT_EQ(answer.first.ack, start + head.size());
    EXPECT_TRUE(answer.last.has(tcp_flag::fin));
    for (const auto& f : v.back) EXPECT_LE(parse(f).payload_len, 100u);
    // The backend had the first 15 bytes: the RST starts where they end.
    ASSERT_EQ(v.onward.size(), 1u);
    auto rst = parse(v.onward[0]);
    EXPECT_EQ(rst.flags, tcp_flag::rst | tcp_flag::ack);
    EXPECT_EQ(rst.seq, last_start);
    EXPECT_EQ(rst.ends.dst_port, 80);
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::rejected);

    // Afterwards: client data earns an RST, the backend's segments are dropped, a client FIN is
    // acknowledged and ends the flow.
    auto late = h.feed(c.client(get("/free")));
    EXPECT_EQ(late.action, Action::drop);
    ASSERT_EQ(late.back.size(), 1u);
    EXPECT_TRUE(parse(late.back[0]).has(tcp_flag::rst));
    EXPECT_EQ(h.feed(c.server("x")).action, Action::drop);
    auto fin = h.feed(c.client("", 0x11));
    ASSERT_EQ(fin.back.size(), 1u);
    EXPECT_EQ(parse(fin.back[0]).flags, tcp_flag::ack);
    EXPECT_EQ(parse(fin.back[0]).ack, c.cseq);
    EXPECT_FALSE(h.table->info(c.key()));
}

TEST(FlowTable, PipelinedRequestsAndResponses) {
    Connected connected;
    auto& [h, c] = connected;
    auto v = h.feed(c.client(get("/free") + get("/free") + get("/other")));
    EXPECT_EQ(v.action, Action::forward);
    EXPECT_EQ(h.table->counters().requests, 3u);
    EXPECT_EQ(h.feed(c.server(ok_response("a") + ok_response("b"))).action, Action::forward);
    EXPECT_EQ(h.feed(c.server(ok_response("c"))).action, Action::forward);
    ASSERT_EQ(h.responses.size(), 3u);
    EXPECT_EQ(h.responses[0].endpoint, 1u);
    EXPECT_FALSE(h.responses[2].endpoint.has_value());  // unmatched path
    EXPECT_EQ(h.table->info(c.key())->responses, 3u);
}

TEST(FlowTable, PipelinedRejectionWaitsForOutstandingResponse) {
    Connected connected;
    auto& [h, c] = connected;
    const std::string allowed = get("/limited");
    const uint32_t start = c.cseq;
    auto v = h.feed(c.client(allowed + get("/limited") + get("/free")));
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_TRUE(v.back.empty());  // deferred: the first response is outstanding
    ASSERT_EQ(v.onward.size(), 1u);  // the allowed request, cut out of the segment
    auto cut = parse(v.onward[0]);
    EXPECT_EQ(cut.seq, start);
    EXPECT_EQ(std::string(cut.payload().begin(), cut.payload().end()), allowed);
    EXPECT_TRUE(checksums_valid(v.onward[0], cut.l3_offset));
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::reject_pending);
    EXPECT_EQ(h.table->counters().deferred_rejections, 1u);

    EXPECT_EQ(h.feed(c.client_ack()).action, Action::forward);  // ACKs keep flowing
    const std::string response = ok_response("first");
    auto r = h.feed(c.server(response.substr(0, 10)));
    EXPECT_EQ(r.action, Action::forward);
    EXPECT_TRUE(r.onward.empty());
    r = h.feed(c.server(response.substr(10)));
    EXPECT_EQ(r.action, Action::forward);
    auto answer = reassemble(r.onward);  // toward the client, after the response's last bytes
    EXPECT_EQ(answer.bytes.rfind("HTTP/1.1 503", 0), 0u);
    EXPECT_EQ(answer.first.seq, c.sseq);
    EXPECT_EQ(answer.first.ack, c.cseq);
    ASSERT_EQ(r.back.size(), 1u);
    auto rst = parse(r.back[0]);
    EXPECT_TRUE(rst.has(tcp_flag::rst));
    EXPECT_EQ(rst.seq, start + allowed.size());
    EXPECT_EQ(rst.ends.dst_port, 80);
}

TEST(FlowTable, ChunkedBodyIsNotMistakenForRequests) {
    Connected connected;
    auto& [h, c] = connected;
    const std::string fake = "GET /limited HTTP/1.1\r\n\r\n";
    const std::string chunk = fmt::format("{:x}\r\n{}\r\n", fake.size(), fake);
    h.feed(c.client("POST /free HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(h.feed(c.client(chunk)).action, Action::forward);
    EXPECT_EQ(h.feed(c.client("0\r\n\r\n")).action, Action::forward);
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::forward);  // the one real request
    EXPECT_EQ(h.table->counters().requests, 2u);
    EXPECT_EQ(h.table->counters().rejected, 0u);
}

TEST(FlowTable, RetransmissionIsNotANewRequest) {
    Connected connected;
    auto& [h, c] = connected;
    const uint32_t start = c.cseq;
    auto original = c.client(get("/limited"));
    EXPECT_EQ(h.feed(original).action, Action::forward);
    EXPECT_EQ(h.feed(original).action, Action::forward);  // exact retransmission: forwarded again
    // A retransmission that also carries new bytes: only the new bytes are parsed.
    const std::string both = get("/limited") + get("/free");
    c.cseq = start + static_cast<uint32_t>(both.size());
    EXPECT_EQ(h.feed(c.client_at(start, both)).action, Action::forward);
    EXPECT_EQ(h.table->counters().requests, 2u);
    EXPECT_EQ(h.table->counters().rejected, 0u);
    EXPECT_EQ(h.table->counters().retransmissions, 1u);
}

TEST(FlowTable, OutOfOrderSegmentsAreHeldUntilTheGapFills) {
    Connected connected;
    auto& [h, c] = connected;
    const std::string req = get("/free") + get("/free");
    const uint32_t start = c.cseq;
    auto second = c.client_at(start + 10, req.substr(10));
    auto v = h.feed(second);
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_EQ(h.table->info(c.key())->buffered_bytes, second.size());
    EXPECT_EQ(h.table->counters().requests, 0u);
    v = h.feed(c.client_at(start, req.substr(0, 10)));
    EXPECT_EQ(v.action, Action::forward);
    ASSERT_EQ(v.onward.size(), 1u);
    EXPECT_EQ(v.onward[0], second);
    EXPECT_EQ(h.table->counters().requests, 2u);
    EXPECT_EQ(h.table->buffered_bytes(), 0u);
}

// A gap the table cannot wait for closes the connection: nothing that fills it is ever seen.
TEST(FlowTable, BufferLimitResetsBothEnds) {
    FlowTableOptions options;
    options.max_buffered_bytes_per_flow = 200;
    FlowHarness h(options);
    Conn c;
    handshake(h, c);
    const uint32_t start = c.cseq;
    auto a = c.client_at(start + 100, std::string(60, 'a'));
    auto b = c.client_at(start + 200, std::string(60, 'b'));
    EXPECT_EQ(h.feed(a).action, Action::drop);
    auto v = h.feed(b);  // 2 frames > 200 bytes
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_FALSE(v.bypass_flow);
    ASSERT_EQ(v.back.size(), 1u);
    ASSERT_EQ(v.onward.size(), 1u);
    const auto to_client = parse(v.back[0]), to_backend = parse(v.onward[0]);
    EXPECT_TRUE(to_client.has(tcp_flag::rst));
    EXPECT_EQ(to_client.seq, c.sseq);
    EXPECT_TRUE(to_backend.has(tcp_flag::rst));
    EXPECT_EQ(to_backend.seq, start);
    EXPECT_EQ(h.table->counters().uninspectable_buffer_limit, 1u);
    EXPECT_EQ(h.table->counters().closed_uninspectable, 1u);
    EXPECT_EQ(h.table->buffered_bytes(), 0u);
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::rejected);
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::drop);  // never reaches the backend
}

// on_uninspectable = bypass: the operator's explicit fail-open, as before.
TEST(FlowTable, BufferLimitBypassesWhenConfiguredSo) {
    FlowTableOptions options;
    options.max_buffered_bytes_per_flow = 200;
    options.on_uninspectable = xt::config::OnUninspectable::bypass;
    FlowHarness h(options);
    Conn c;
    handshake(h, c);
    const uint32_t start = c.cseq;
    auto a = c.client_at(start + 100, std::string(60, 'a'));
    auto b = c.client_at(start + 200, std::string(60, 'b'));
    EXPECT_EQ(h.feed(a).action, Action::drop);
    auto v = h.feed(b);
    EXPECT_EQ(v.action, Action::bypass);
    ASSERT_TRUE(v.bypass_flow);
    EXPECT_TRUE(*v.bypass_flow == c.key());
    ASSERT_EQ(v.onward.size(), 1u);
    EXPECT_EQ(v.onward[0], a);
    EXPECT_EQ(h.table->counters().uninspectable_buffer_limit, 1u);
    EXPECT_EQ(h.table->counters().closed_uninspectable, 0u);
    EXPECT_EQ(h.table->buffered_bytes(), 0u);
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::bypass);
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::bypass);  // no longer judged
    EXPECT_EQ(h.table->counters().rejected, 0u);
}

// Issue 13: a full table never lets a connection through uninspected.
TEST(FlowTable, FullTableRefusesNewConnectionsWhenNothingCanBeForgotten) {
    FlowTableOptions options;
    options.max_flows = 1;
    FlowHarness h(options);
    Conn a, b;
    b.client_port = 40001;
    handshake(h, a);
    h.feed(a.client("GET /free HTTP/1.1\r\n"));  // inside a request: never forgotten
    h.now_ns += 5'000'000'000;
    auto refused = h.feed(b.syn());
    EXPECT_EQ(refused.action, Action::drop);
    ASSERT_EQ(refused.back.size(), 1u);
    const auto rst = parse(refused.back[0]);
    EXPECT_TRUE(rst.has(tcp_flag::rst) && rst.has(tcp_flag::ack));
    EXPECT_EQ(rst.ack, b.cseq);  // acknowledges the SYN, like a closed port
    auto data = h.feed(b.client(get("/limited")));  // a connection we never saw: reset both ways
    EXPECT_EQ(data.action, Action::drop);
    EXPECT_EQ(data.back.size(), 1u);
    EXPECT_EQ(data.onward.size(), 1u);
    EXPECT_EQ(h.table->counters().refused_full, 2u);
    EXPECT_EQ(h.table->counters().untracked_full, 0u);
    EXPECT_EQ(h.table->size(), 1u);
    // Once the first flow is idle long enough, the next connection is tracked.
    h.now_ns += options.idle_timeout_ns + 1;
    Conn d;
    d.client_port = 40002;
    EXPECT_EQ(h.feed(d.syn()).action, Action::forward);
    EXPECT_EQ(h.table->counters().flows_expired, 1u);
}

TEST(FlowTable, FullTableForgetsAFlowIdleBetweenRequests) {
    FlowTableOptions options;
    options.max_flows = 1;
    FlowHarness h(options);
    Conn a, b;
    b.client_port = 40001;
    handshake(h, a);
    h.feed(a.client(get("/free")));
    h.feed(a.server(ok_response()));
    EXPECT_EQ(h.feed(b.syn()).action, Action::drop);  // a was seen just now: not forgotten yet
    h.now_ns += 2'000'000'000;
    EXPECT_EQ(h.feed(b.syn()).action, Action::forward);
    EXPECT_EQ(h.table->counters().flows_evicted, 1u);
    EXPECT_FALSE(h.table->info(a.key()));
    // a comes back at a request boundary: picked up again (b idle between requests too by now).
    h.feed(b.syn_ack());
    h.feed(b.client_ack());
    h.now_ns += 2'000'000'000;
    EXPECT_EQ(h.feed(a.client(get("/limited"))).action, Action::forward);
    EXPECT_EQ(h.table->counters().requests, 2u);
}

TEST(FlowTable, FullTableBypassesWhenConfiguredSo) {
    FlowTableOptions options;
    options.max_flows = 1;
    options.on_uninspectable = xt::config::OnUninspectable::bypass;
    FlowHarness h(options);
    Conn a, b;
    b.client_port = 40001;
    handshake(h, a);
    EXPECT_EQ(h.feed(b.syn()).action, Action::bypass);
    EXPECT_EQ(h.feed(b.client(get("/limited"))).action, Action::bypass);
    EXPECT_EQ(h.table->counters().untracked_full, 2u);
}

TEST(FlowTable, FinBothWaysAndRstRemoveTheFlow) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free")));
    h.feed(c.server(ok_response()));
    h.feed(c.client("", 0x11));
    EXPECT_TRUE(h.table->info(c.key()));
    h.feed(c.server("", 0x11));
    EXPECT_FALSE(h.table->info(c.key()));
    EXPECT_EQ(h.feed(c.client_ack()).action, Action::forward);  // the last ACK passes, no state
    EXPECT_EQ(h.table->size(), 0u);

    Conn r;
    r.client_port = 40001;
    handshake(h, r);
    h.feed(r.client(get("/free")));
    EXPECT_EQ(h.table->size(), 1u);
    EXPECT_EQ(h.feed(r.server("", 0x14)).action, Action::forward);  // RST
    EXPECT_EQ(h.table->size(), 0u);
    EXPECT_EQ(h.table->counters().flows_closed, 2u);
}

TEST(FlowTable, IdleFlowsExpireOnTheInjectedClock) {
    Connected connected;
    auto& [h, c] = connected;
    h.now_ns += 59'000'000'000;
    EXPECT_EQ(h.table->expire_idle(), 0u);
    h.now_ns += 2'000'000'000;
    EXPECT_EQ(h.table->expire_idle(), 1u);
    EXPECT_EQ(h.table->size(), 0u);
}

// Bytes that are not HTTP at a message boundary: nginx would answer 400 and close; so do we.
TEST(FlowTable, NotHttpIsAnswered400) {
    Connected connected;
    auto& [h, c] = connected;
    const uint32_t start = c.cseq;
    auto tls = h.feed(c.client(std::string("\x16\x03\x01\x02\x00", 5)));
    EXPECT_EQ(tls.action, Action::drop);
    EXPECT_FALSE(tls.bypass_flow);
    auto answer = reassemble(tls.back);
    EXPECT_EQ(answer.bytes.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer.bytes;
    EXPECT_NE(answer.bytes.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(answer.bytes.find("Retry-After"), std::string::npos);
    EXPECT_EQ(answer.first.ack, start + 5);
    ASSERT_EQ(tls.onward.size(), 1u);
    EXPECT_TRUE(parse(tls.onward[0]).has(tcp_flag::rst));
    EXPECT_EQ(parse(tls.onward[0]).seq, start);
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::drop);
    EXPECT_EQ(h.table->counters().uninspectable_parse_error, 1u);
    EXPECT_EQ(h.table->counters().closed_uninspectable, 1u);
    EXPECT_EQ(h.table->counters().rejected, 0u);  // a close, not a limit
}

TEST(FlowTable, NotHttpIsBypassedWhenConfiguredSo) {
    FlowTableOptions options;
    options.on_uninspectable = xt::config::OnUninspectable::bypass;
    FlowHarness h(options);
    Conn c;
    handshake(h, c);
    auto tls = h.feed(c.client(std::string("\x16\x03\x01\x02\x00", 5)));
    EXPECT_EQ(tls.action, Action::bypass);
    EXPECT_TRUE(tls.bypass_flow);
    auto next = h.feed(c.client(get("/limited")));
    EXPECT_EQ(next.action, Action::bypass);
    EXPECT_FALSE(next.bypass_flow);  // reported once
    EXPECT_EQ(h.table->counters().uninspectable_parse_error, 1u);
}

// The attack of issue 7: an Upgrade header the backend ignores must not end inspection.
TEST(FlowTable, UpgradeHeaderAloneIsNoBypass) {
    Connected connected;
    auto& [h, c] = connected;
    const std::string upgrade =
        "GET /limited HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    EXPECT_EQ(h.feed(c.client(upgrade)).action, Action::forward);  // takes the one token
    EXPECT_EQ(h.feed(c.server(ok_response())).action, Action::forward);  // the backend ignored it
    auto v = h.feed(c.client(get("/limited")));
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_EQ(reassemble(v.back).bytes.rfind("HTTP/1.1 503", 0), 0u);
    EXPECT_EQ(h.table->counters().bypassed_flows, 0u);
}

// Pipelined behind an Upgrade request, before any answer: judged as HTTP.
TEST(FlowTable, BytesBehindAnUpgradeRequestAreJudged) {
    Connected connected;
    auto& [h, c] = connected;
    const std::string upgrade = "GET /free HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    auto v = h.feed(c.client(upgrade + get("/limited") + get("/limited")));
    EXPECT_EQ(v.action, Action::drop);  // the second /limited is rejected: a trimmed copy goes on
    ASSERT_EQ(v.onward.size(), 1u);
    EXPECT_EQ(parse(v.onward[0]).payload_len, upgrade.size() + get("/limited").size());
    EXPECT_EQ(h.table->counters().requests, 3u);
    EXPECT_EQ(h.table->counters().deferred_rejections, 1u);
}

// A real switch: bypassed once the backend's 101 is seen, not before.
TEST(FlowTable, WebSocketIsBypassedAfterThe101) {
    Connected connected;
    auto& [h, c] = connected;
    EXPECT_EQ(h.feed(c.client("GET /free HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")).action,
              Action::forward);
    auto v = h.feed(c.server("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
    EXPECT_EQ(v.action, Action::bypass);
    ASSERT_TRUE(v.bypass_flow);
    EXPECT_EQ(h.feed(c.client(std::string("\x81\x85\x01\x02\x03\x04hello", 11))).action, Action::bypass);
    EXPECT_EQ(h.table->counters().bypass_tunnel, 1u);
    EXPECT_EQ(h.table->counters().closed_uninspectable, 0u);
}

// h2c: the backend goes on reading requests, as HTTP/2 frames we do not decode.
TEST(FlowTable, H2cUpgradeAcceptedByTheBackendIsClosed) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client("GET /free HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"));
    const uint32_t sseq = c.sseq;
    auto v = h.feed(c.server("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"));
    EXPECT_EQ(v.action, Action::drop);  // the 101 never reaches the client
    EXPECT_FALSE(v.bypass_flow);
    ASSERT_EQ(v.onward.size(), 1u);
    ASSERT_EQ(v.back.size(), 1u);
    EXPECT_TRUE(parse(v.onward[0]).has(tcp_flag::rst));  // to the client
    EXPECT_EQ(parse(v.onward[0]).seq, sseq);
    EXPECT_TRUE(parse(v.back[0]).has(tcp_flag::rst));    // to the backend
    EXPECT_EQ(parse(v.back[0]).seq, c.cseq);
    EXPECT_EQ(h.table->counters().uninspectable_h2c, 1u);
    EXPECT_EQ(h.table->counters().bypass_tunnel, 0u);
}

TEST(FlowTable, H2cPriorKnowledgeIsRefused) {
    Connected connected;
    auto& [h, c] = connected;
    auto v = h.feed(c.client("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_EQ(reassemble(v.back).bytes.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
    EXPECT_EQ(h.table->counters().closed_uninspectable, 1u);
    EXPECT_EQ(h.table->counters().requests, 0u);
}

TEST(FlowTable, HeadOverTheLimitIsAnswered431) {
    FlowTableOptions options;
    options.stream_limits.max_head_bytes = 2048;
    FlowHarness h(options);
    Conn c;
    handshake(h, c);
    EXPECT_EQ(h.feed(c.client("GET /free HTTP/1.1\r\nCookie: " + std::string(1500, 'c'))).action, Action::forward);
    EXPECT_GT(h.table->buffered_bytes(), 1500u);  // a head being read counts toward the total
    auto v = h.feed(c.client(std::string(1000, 'c') + "\r\n\r\n"));
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_EQ(reassemble(v.back).bytes.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u);
    EXPECT_EQ(h.table->counters().uninspectable_head_too_large, 1u);
    EXPECT_EQ(h.table->buffered_bytes(), 0u);
}

// A broken request behind an allowed one: the allowed one goes on, the answer waits for its
// response (the backend's bytes come first), exactly like a rejection.
TEST(FlowTable, ParseErrorBehindAPipelinedRequestWaitsForItsResponse) {
    Connected connected;
    auto& [h, c] = connected;
    const std::string good = get("/free");
    auto v = h.feed(c.client(good + "GET /free HTTP/1.1\r\nBad Header: x\r\n\r\n"));
    EXPECT_EQ(v.action, Action::drop);
    ASSERT_EQ(v.onward.size(), 1u);
    EXPECT_EQ(parse(v.onward[0]).payload_len, good.size());
    EXPECT_TRUE(v.back.empty());
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::reject_pending);
    auto r = h.feed(c.server(ok_response()));
    EXPECT_EQ(r.action, Action::forward);
    EXPECT_EQ(reassemble(r.onward).bytes.rfind("HTTP/1.1 400", 0), 0u);
}

// Inside the body of a request already forwarded there is nothing to answer: reset.
TEST(FlowTable, BadChunkResetsBothEnds) {
    Connected connected;
    auto& [h, c] = connected;
    EXPECT_EQ(h.feed(c.client("POST /free HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")).action,
              Action::forward);
    auto v = h.feed(c.client("zz\r\n"));
    expect_reset_both(v);
    EXPECT_EQ(h.table->counters().uninspectable_parse_error, 1u);
}

// Picked up mid-stream (no SYN seen) inside a body: not a message start, no place for an answer.
TEST(FlowTable, MidStreamGarbageResetsBothEnds) {
    FlowHarness h;
    Conn c;
    auto v = h.feed(c.client("tail of some body\r\n"));
    expect_reset_both(v);
    EXPECT_EQ(h.table->counters().closed_uninspectable, 1u);
}

// Responses we cannot follow do not hide requests: they are still judged; a rejection on such a
// connection resets (the answer's place in the server's stream is unknown).
TEST(FlowTable, LostResponsesKeepRequestsJudged) {
    Connected connected;
    auto& [h, c] = connected;
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::forward);
    EXPECT_EQ(h.feed(c.server("NOT HTTP AT ALL\r\n\r\n")).action, Action::forward);
    EXPECT_EQ(h.table->counters().responses_unfollowed, 1u);
    EXPECT_EQ(h.feed(c.server("more")).action, Action::forward);
    auto v = h.feed(c.client(get("/limited")));
    expect_reset_both(v);
    EXPECT_EQ(h.table->counters().requests, 2u);
    EXPECT_EQ(h.table->counters().uninspectable_parse_error, 0u);
    EXPECT_EQ(h.table->counters().rejected, 1u);
    EXPECT_EQ(h.table->counters().bypassed_flows, 0u);
}

TEST(FlowTable, InterimResponsesAreNotCounted) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client("POST /free HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
    h.feed(c.server("HTTP/1.1 100 Continue\r\n\r\n"));
    EXPECT_EQ(h.table->info(c.key())->responses, 0u);
    h.feed(c.client("hi"));
    h.feed(c.server("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_EQ(h.table->info(c.key())->responses, 1u);
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].status, 201u);
}

TEST(FlowTable, Ipv6RejectionMidStreamWithoutHandshake) {
    FlowHarness h;
    Conn c;
    c.ipv6 = true;
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::forward);
    h.feed(c.server(ok_response()));
    auto v = h.feed(c.client(get("/limited")));
    EXPECT_EQ(v.action, Action::drop);
    auto answer = reassemble(v.back);
    EXPECT_TRUE(answer.first.ipv6);
    EXPECT_EQ(answer.first.seq, c.sseq);
    EXPECT_EQ(answer.bytes.rfind("HTTP/1.1 503", 0), 0u);
    ASSERT_EQ(v.onward.size(), 1u);
    EXPECT_TRUE(checksums_valid(v.onward[0], 14));
}

TEST(FlowTable, OtherTrafficPasses) {
    FlowHarness h;
    SegmentSpec s;
    s.dport = 22;
    s.payload = "SSH-2.0";
    EXPECT_EQ(h.feed(build_frame(s)).action, Action::forward);
    std::vector<uint8_t> runt(10, 0);
    EXPECT_EQ(h.feed(runt).action, Action::forward);
    EXPECT_EQ(h.table->counters().not_tcp, 1u);
    EXPECT_EQ(h.table->counters().malformed, 1u);
    EXPECT_EQ(h.table->size(), 0u);
}

TEST(FlowTable, MutatedFramesNeverCrashAndStateStaysBounded) {
    FlowTableOptions options;
    options.max_flows = 64;
    options.max_buffered_bytes_per_flow = 4096;
    options.max_buffered_bytes_total = 64 * 1024;
    FlowHarness h(options);
    std::vector<std::vector<uint8_t>> seeds;
    for (bool v6 : {false, true}) {
        Conn c;
        c.ipv6 = v6;
        seeds.push_back(c.syn());
        seeds.push_back(c.client(get("/limited")));
        seeds.push_back(c.server(ok_response()));
        seeds.push_back(c.client("POST /free HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
        seeds.push_back(c.client("", 0x11));
    }
    uint64_t state = 0x9e3779b97f4a7c15ull;  // xorshift: deterministic, no <random> distribution drift
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int i = 0; i < 50000; ++i) {
        auto frame = seeds[next() % seeds.size()];
        const int flips = 1 + static_cast<int>(next() % 4);
        for (int k = 0; k < flips; ++k) frame[next() % frame.size()] = static_cast<uint8_t>(next());
        if (next() % 8 == 0) frame.resize(next() % frame.size());
        auto v = h.feed(frame);
        for (const auto& f : v.back) EXPECT_EQ(xt::packet::parse_frame(f).kind, xt::packet::FrameKind::tcp);
        if (i % 1000 == 0) h.now_ns += 1'000'000'000;
    }
    EXPECT_LE(h.table->size(), 64u);
    EXPECT_LE(h.table->buffered_bytes(), 64u * 1024);
}

TEST(FlowTable, NewConnectionReusingTheTupleOfARejectedOneStartsAfresh) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/limited")));
    h.feed(c.server(ok_response()));
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::drop);
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::rejected);
    Conn again;  // same ports, a new ISN, no FIN seen for the old one
    again.cseq = 777777;
    handshake(h, again);
    EXPECT_EQ(h.table->info(again.key())->state, FlowInfo::State::inspecting);
    EXPECT_EQ(h.feed(again.client(get("/free"))).action, Action::forward);
}

TEST(FlowTable, OptionsComeFromTheOwnNamespace) {
    auto config = xt::config::parse_config(R"({"version": 3, "extra_config": {"xdp-throttle": {
        "http_ports": [80, 8080], "on_uninspectable": "bypass",
        "flows": {"max_flows": 1000, "max_buffered_bytes_per_flow": 8192, "idle_timeout": "30s",
                  "max_head_bytes": 100000}}},
        "endpoints": []})");
    ASSERT_TRUE(config) << config.error().message;
    auto o = FlowTableOptions::from(config->gateway);
    EXPECT_EQ(o.http_ports, (std::vector<uint16_t>{80, 8080}));
    EXPECT_EQ(o.max_flows, 1000u);
    EXPECT_EQ(o.max_buffered_bytes_per_flow, 8192u);
    EXPECT_EQ(o.idle_timeout_ns, 30'000'000'000u);
    EXPECT_EQ(o.stream_limits.max_head_bytes, 100000u);
    EXPECT_EQ(o.on_uninspectable, xt::config::OnUninspectable::bypass);
}

TEST(FlowTable, BackendResetWithRequestsOutstandingIsReported) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free")));
    h.feed(c.server("", 0x14));
    ASSERT_EQ(h.responses.size(), 1u);
    EXPECT_EQ(h.responses[0].status, 0u);
    EXPECT_EQ(h.responses[0].endpoint, 1u);
    // A reset after every request was answered is no error.
    Conn d;
    d.client_port = 40001;
    handshake(h, d);
    h.feed(d.client(get("/free")));
    h.feed(d.server(ok_response()));
    h.feed(d.server("", 0x14));
    EXPECT_EQ(h.responses.size(), 2u);
}

// ---- response bodies that skip the controller (flow_table.hpp, "Response bodies skip") ---------

namespace {

std::string body_head(uint64_t length) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

// What the kernel bridges while a skip is installed: the server sends `n` bytes we never see.
void bridged_by_kernel(Conn& c, uint32_t n) { c.sseq += n; }

}  // namespace

TEST(FlowTableBodySkip, LongContentLengthBodyAsksForASkipShortOneDoesNot) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free") + get("/free")));
    auto v = h.feed(c.server(ok_response(std::string(1000, 'a'))));
    EXPECT_FALSE(v.body_skip) << "the whole body came with the head";
    v = h.feed(c.server(body_head(kMinBodySkipBytes + 1000) + std::string(1000, 'b')));
    ASSERT_TRUE(v.body_skip);
    EXPECT_TRUE(v.body_skip->flow == c.key());
    EXPECT_EQ(v.body_skip->start_seq, c.sseq);
    EXPECT_EQ(v.body_skip->end_seq, c.sseq + kMinBodySkipBytes);
    EXPECT_FALSE(v.body_skip_done);
    EXPECT_EQ(h.table->counters().body_skips, 1u);
    ASSERT_TRUE(h.table->info(c.key())->body_skip);
    EXPECT_EQ(h.table->body_skips(), std::vector<FlowKey>{c.key()});

    // A body segment that reached us anyway (sent before the entry existed) is parsed as usual
    // and asks for nothing more.
    v = h.feed(c.server(std::string(1000, 'c')));
    EXPECT_EQ(v.action, Action::forward);
    EXPECT_FALSE(v.body_skip);
    EXPECT_EQ(h.table->counters().body_skips, 1u);

    // Below the threshold: parsed here.
    Conn d;
    d.client_port = 40001;
    handshake(h, d);
    h.feed(d.client(get("/free")));
    EXPECT_FALSE(h.feed(d.server(body_head(kMinBodySkipBytes) + "x")).body_skip) << "one byte short";
}

TEST(FlowTableBodySkip, SegmentAfterTheSkippedGapIsParsedInOrder) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free") + get("/limited")));
    const uint64_t length = 100'000;
    auto v = h.feed(c.server(body_head(length) + std::string(448, 'a')));
    ASSERT_TRUE(v.body_skip);
    const uint32_t end = v.body_skip->end_seq;
    bridged_by_kernel(c, static_cast<uint32_t>(length - 448 - 1000));
    // The kernel sends us the segment with the body's last byte; the next response follows in it.
    v = h.feed(c.server(std::string(1000, 'z') + "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_EQ(v.action, Action::forward);
    ASSERT_TRUE(v.body_skip_done);
    EXPECT_TRUE(*v.body_skip_done == c.key());
    EXPECT_FALSE(v.body_skip);
    EXPECT_EQ(c.sseq - end, std::string("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n").size());
    ASSERT_EQ(h.responses.size(), 2u);
    EXPECT_EQ(h.responses[0].status, 200u);
    EXPECT_EQ(h.responses[1].status, 201u);
    EXPECT_EQ(h.responses[1].endpoint, 0u) << "the second response answers /limited";
    EXPECT_EQ(h.table->info(c.key())->responses, 2u);
    EXPECT_FALSE(h.table->info(c.key())->body_skip);
    EXPECT_EQ(h.table->counters().body_bytes_skipped, length - 448 - 1000);

    // A retransmission of skipped bytes is old: forwarded, never parsed.
    v = h.feed(c.segment(false, end - 5000, std::string(1448, 'r'), kPsh | kAck));
    EXPECT_EQ(v.action, Action::forward);
    EXPECT_EQ(h.table->counters().retransmissions, 1u);
    EXPECT_EQ(h.table->info(c.key())->responses, 2u);
}

TEST(FlowTableBodySkip, NextHeadBeforeTheLastByteWaitsForIt) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free") + get("/free")));
    auto v = h.feed(c.server(body_head(50'000)));
    ASSERT_TRUE(v.body_skip);
    const uint32_t end = v.body_skip->end_seq;
    c.sseq = end;
    // The next head overtakes the segment with the last byte: not a gap the kernel filled (it
    // never bridges the last byte), so it waits like any out-of-order server segment.
    v = h.feed(c.server(ok_response()));
    EXPECT_EQ(v.action, Action::forward);
    EXPECT_EQ(h.table->counters().out_of_order, 1u);
    EXPECT_EQ(h.responses.size(), 1u);
    v = h.feed(c.segment(false, end - 100, std::string(100, 'z'), kPsh | kAck));
    EXPECT_EQ(v.action, Action::forward);
    EXPECT_TRUE(v.body_skip_done);
    ASSERT_EQ(h.responses.size(), 2u);
    EXPECT_EQ(h.table->info(c.key())->responses, 2u);
    EXPECT_EQ(h.table->buffered_bytes(), 0u);
}

TEST(FlowTableBodySkip, DeferredRejectionIsAnsweredAfterASkippedBody) {
    Connected connected;
    auto& [h, c] = connected;
    const std::string allowed = get("/limited");
    const uint32_t start = c.cseq;
    auto v = h.feed(c.client(allowed + get("/limited")));
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::reject_pending);
    const uint64_t length = 200'000;
    v = h.feed(c.server(body_head(length)));
    ASSERT_TRUE(v.body_skip) << "the response the rejection waits for may skip us too";
    bridged_by_kernel(c, static_cast<uint32_t>(length - 1));
    v = h.feed(c.server("z"));
    EXPECT_TRUE(v.body_skip_done);
    auto answer = reassemble(v.onward);
    EXPECT_EQ(answer.bytes.rfind("HTTP/1.1 503", 0), 0u);
    EXPECT_EQ(answer.first.seq, c.sseq) << "the answer follows the skipped body's last byte";
    EXPECT_EQ(answer.first.ack, c.cseq);
    ASSERT_EQ(v.back.size(), 1u);
    EXPECT_EQ(parse(v.back[0]).seq, start + allowed.size());
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::rejected);
    EXPECT_FALSE(h.table->info(c.key())->body_skip);
}

TEST(FlowTableBodySkip, ResetFinAndReusedTupleRemoveTheSkip) {
    FlowHarness h;
    // A connection on `port` in the middle of a skipped 100 kB body.
    auto downloading = [&h](uint16_t port) {
        Conn c;
        c.client_port = port;
        handshake(h, c);
        h.feed(c.client(get("/free")));
        EXPECT_TRUE(h.feed(c.server(body_head(100'000))).body_skip);
        bridged_by_kernel(c, 30'000);
        return c;
    };
    Conn c = downloading(40000);
    auto v = h.feed(c.server("", kRst | kAck));
    ASSERT_TRUE(v.body_skip_done) << "a reset mid-body";
    EXPECT_TRUE(*v.body_skip_done == c.key());
    EXPECT_FALSE(h.table->info(c.key()));

    Conn f = downloading(40001);
    EXPECT_FALSE(h.feed(f.client("", kFin | kAck)).body_skip_done);
    v = h.feed(f.server("", kFin | kAck));  // the backend closes mid-body (inside the range)
    ASSERT_TRUE(v.body_skip_done) << "FIN both ways";
    EXPECT_FALSE(h.table->info(f.key()));

    Conn again = downloading(40002);  // then a new connection on the same 4-tuple
    again.cseq = 777777;
    EXPECT_FALSE(h.feed(again.syn()).body_skip_done);  // the backend has not taken it yet
    EXPECT_TRUE(h.table->info(again.key())->body_skip);
    v = h.feed(again.syn_ack());
    ASSERT_TRUE(v.body_skip_done) << "a new connection reusing the tuple";
    EXPECT_FALSE(h.table->info(again.key())->body_skip);
}

TEST(FlowTableBodySkip, LongBodiesAreSkippedInParts) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free")));
    const uint64_t length = 3 * kMaxBodySkipBytes;
    auto v = h.feed(c.server(body_head(length)));
    ASSERT_TRUE(v.body_skip);
    EXPECT_EQ(v.body_skip->end_seq - v.body_skip->start_seq, kMaxBodySkipBytes);
    const uint32_t first_end = v.body_skip->end_seq;
    bridged_by_kernel(c, static_cast<uint32_t>(kMaxBodySkipBytes - 10));
    v = h.feed(c.server(std::string(10, 'z')));
    ASSERT_TRUE(v.body_skip_done) << "the first part ended";
    ASSERT_TRUE(v.body_skip) << "the next part begins";
    EXPECT_EQ(v.body_skip->start_seq, first_end);
    EXPECT_EQ(v.body_skip->end_seq, first_end + static_cast<uint32_t>(kMaxBodySkipBytes));
    EXPECT_EQ(h.table->counters().body_skips, 2u);
}

TEST(FlowTableBodySkip, WhatTheKernelBridgesKeepsTheFlowFromExpiring) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free")));
    ASSERT_TRUE(h.feed(c.server(body_head(100'000'000))).body_skip);
    const uint64_t idle = FlowTableOptions{}.idle_timeout_ns;
    h.now_ns += idle - 1'000'000'000;
    h.table->kernel_activity(c.key(), h.now_ns);
    h.now_ns += idle - 1'000'000'000;
    EXPECT_EQ(h.table->expire_idle(), 0u) << "the download moved a second ago";
    h.table->kernel_activity(c.key(), h.now_ns + 5 * idle);  // never ahead of the table's clock
    h.now_ns += idle + 1;
    EXPECT_EQ(h.table->expire_idle(), 1u) << "stalled as long as any idle flow";
}

// Findings of fuzz.flow (tests/fuzz/repro-flow): ways to make the table forget a connection the
// backend still reads.
TEST(FlowTable, SynOnAnOpenConnectionChangesNothingUntilTheBackendTakesIt) {
    Connected connected;
    auto& [h, c] = connected;
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::forward);
    h.feed(c.server(ok_response()));
    Conn trick = c;
    trick.cseq = 5;
    h.feed(trick.syn());  // the backend answers it with a challenge ACK, not a SYN-ACK
    EXPECT_EQ(h.table->counters().ignored_syns, 1u);
    auto v = h.feed(c.client(get("/limited")));  // the old connection goes on: still judged
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_EQ(h.table->counters().rejected, 1u);
}

TEST(FlowTable, RstOutsideTheBackendsWindowKeepsTheFlow) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client("GET /limited HTTP/1.1\r\n"));
    EXPECT_EQ(h.feed(c.client_at(c.cseq + 1000, "", kRst | kAck)).action, Action::forward);
    EXPECT_EQ(h.table->counters().ignored_rsts, 1u);
    ASSERT_TRUE(h.table->info(c.key()));
    h.feed(c.client("Host: a\r\n\r\n"));
    EXPECT_EQ(h.table->counters().requests, 1u);  // the head was followed to its end
    EXPECT_EQ(h.feed(c.client_at(c.cseq, "", kRst | kAck)).action, Action::forward);
    EXPECT_FALSE(h.table->info(c.key()));  // at rcv_nxt: the backend takes it, so do we
}

TEST(FlowTable, MidStreamBytesBeforeTheFirstSeenAreNotRetransmissions) {
    FlowHarness h;
    Conn c;
    const uint32_t start = c.cseq;
    const std::string req = get("/limited");
    h.feed(c.client_at(start + 10, req.substr(10)));  // picked up here, mid-request
    auto v = h.feed(c.client_at(start, req.substr(0, 10)));
    EXPECT_EQ(v.action, Action::drop);
    EXPECT_EQ(h.table->counters().uninspectable_gap + h.table->counters().uninspectable_parse_error, 1u);
}

TEST(FlowTable, ExpiredInsideARequestIsResetWhenItComesBack) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client("GET /limited HTTP/1.1\r\nX: "));
    h.now_ns += 61'000'000'000;
    EXPECT_EQ(h.table->expire_idle(), 1u);
    auto v = h.feed(c.client("GET /free HTTP/1.1\r\n\r\n"));  // would look like a request start
    expect_reset_both(v);
    EXPECT_EQ(h.table->counters().uninspectable_gap, 1u);
    EXPECT_EQ(h.table->counters().requests, 0u);
}

TEST(FlowTable, BackendFinWhileARejectionWaitsResetsTheBackend) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/limited")));
    h.feed(c.server(ok_response()));
    // Two pipelined: /free allowed, /limited rejected and waiting for /free's response.
    EXPECT_EQ(h.feed(c.client(get("/free") + get("/limited"))).action, Action::drop);
    auto v = h.feed(c.server("HTTP/1.1 200 OK\r\n\r\nclose-delimited", kFin | kPsh | kAck));
    EXPECT_EQ(v.action, Action::forward);  // its last bytes and FIN reach the client
    ASSERT_EQ(v.back.size(), 1u);
    EXPECT_TRUE(parse(v.back[0]).has(tcp_flag::rst));  // and the backend is reset
    EXPECT_EQ(h.table->counters().rejections_abandoned, 1u);
    EXPECT_EQ(h.table->info(c.key())->state, FlowInfo::State::rejected);
}

// A 101 that no judged request asked for is no reason to stop judging requests.
TEST(FlowTable, AnUnasked101IsNoBypass) {
    Connected connected;
    auto& [h, c] = connected;
    h.feed(c.client(get("/free")));
    auto v = h.feed(c.server("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
    EXPECT_EQ(v.action, Action::forward);
    EXPECT_FALSE(v.bypass_flow);
    EXPECT_EQ(h.table->counters().responses_unfollowed, 1u);
    EXPECT_EQ(h.feed(c.client(get("/limited"))).action, Action::forward);
    EXPECT_EQ(h.table->counters().requests, 2u);
}

// Tombstones are bounded like the table; a flow forgotten inside a request past that bound is counted.
TEST(FlowTable, TombstonesFullIsCounted) {
    FlowTableOptions options;
    options.max_flows = 1;
    FlowHarness h(options);
    Conn a, b;
    b.client_port = 40001;
    handshake(h, a);
    h.feed(a.client("GET /free HTTP/1.1\r\n"));
    h.now_ns += 61'000'000'000;
    EXPECT_EQ(h.table->expire_idle(), 1u);
    handshake(h, b);
    h.feed(b.client("GET /free HTTP/1.1\r\n"));
    h.now_ns += 61'000'000'000;
    EXPECT_EQ(h.table->expire_idle(), 1u);
    EXPECT_EQ(h.table->counters().tombstones_full, 1u);
    expect_reset_both(h.feed(a.client("Host: a\r\n\r\n")));  // the first one still has its tombstone
}
