#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/stream_parser.hpp"

using namespace xt::http;

namespace {

using Events = std::vector<StreamEvent>;

// Feeds `wire` in pieces cut at `cuts` (offsets), collecting every event.
Events feed_in_pieces(StreamParser& p, const std::string& wire, std::vector<std::size_t> cuts) {
    Events all;
    std::size_t at = 0;
    cuts.push_back(wire.size());
    for (std::size_t cut : cuts) {
        auto events = p.feed(std::string_view(wire).substr(at, cut - at));
        EXPECT_TRUE(events) << (events ? "" : events.error().message);
        if (!events) return all;
        for (auto& e : *events) all.push_back(std::move(e));
        at = cut;
    }
    return all;
}

std::vector<const StreamEvent*> heads(const Events& events) {
    std::vector<const StreamEvent*> out;
    for (const auto& e : events)
        if (e.type == StreamEvent::Type::head) out.push_back(&e);
    return out;
}

std::vector<uint64_t> ends(const Events& events) {
    std::vector<uint64_t> out;
    for (const auto& e : events)
        if (e.type == StreamEvent::Type::message_end) out.push_back(e.offset);
    return out;
}

const std::string kGet = "GET /api/users/7?x=1 HTTP/1.1\r\nHost: example.test\r\nX-Api-Key:  k1 \r\n\r\n";

}  // namespace

TEST(StreamParser, OneRequestHead) {
    StreamParser p(StreamKind::requests);
    auto events = feed_in_pieces(p, kGet, {});
    ASSERT_EQ(events.size(), 2u);
    const auto& h = events[0].head;
    EXPECT_EQ(h.method, "GET");
    EXPECT_EQ(h.target, "/api/users/7?x=1");
    EXPECT_EQ(h.version_major, 1u);
    EXPECT_EQ(h.version_minor, 1u);
    EXPECT_EQ(*h.header("host"), "example.test");
    EXPECT_EQ(*h.header("X-API-KEY"), "k1");
    EXPECT_TRUE(h.keep_alive);
    EXPECT_EQ(h.framing, BodyFraming::none);
    EXPECT_EQ(events[0].offset, kGet.size());
    EXPECT_EQ(events[1].offset, kGet.size());
    EXPECT_FALSE(p.in_message());
}

// A head split at every possible byte, and into single bytes, parses the same.
TEST(StreamParser, HeadSplitAcrossSegmentsAtEveryOffset) {
    for (std::size_t cut = 1; cut < kGet.size(); ++cut) {
        StreamParser p(StreamKind::requests);
        auto events = feed_in_pieces(p, kGet, {cut});
        auto hs = heads(events);
        ASSERT_EQ(hs.size(), 1u) << cut;
        EXPECT_EQ(hs[0]->head.target, "/api/users/7?x=1") << cut;
        EXPECT_EQ(*hs[0]->head.header("x-api-key"), "k1") << cut;
        EXPECT_EQ(hs[0]->offset, kGet.size()) << cut;
    }
    StreamParser p(StreamKind::requests);
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < kGet.size(); ++i) every.push_back(i);
    auto events = feed_in_pieces(p, kGet, every);
    ASSERT_EQ(heads(events).size(), 1u);
    EXPECT_EQ(heads(events)[0]->head.headers.size(), 2u);
}

TEST(StreamParser, PipelinedRequestsWithBodies) {
    const std::string a = "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    const std::string b = "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n";
    const std::string c = "GET /c HTTP/1.1\r\n\r\n";
    const std::string wire = a + b + c;
    for (std::size_t cut : {std::size_t{0}, a.size() - 2, a.size() + 10, a.size() + b.size() - 1}) {
        StreamParser p(StreamKind::requests);
        auto events = cut ? feed_in_pieces(p, wire, {cut}) : feed_in_pieces(p, wire, {});
        auto hs = heads(events);
        ASSERT_EQ(hs.size(), 3u) << cut;
        EXPECT_EQ(hs[0]->head.target, "/a");
        EXPECT_EQ(hs[0]->head.framing, BodyFraming::content_length);
        EXPECT_EQ(hs[0]->head.content_length, 5u);
        EXPECT_EQ(hs[1]->head.framing, BodyFraming::chunked);
        EXPECT_EQ(hs[2]->head.target, "/c");
        EXPECT_EQ(hs[0]->message_start, 0u);
        EXPECT_EQ(hs[1]->message_start, a.size());
        EXPECT_EQ(hs[2]->message_start, a.size() + b.size());
        EXPECT_EQ(ends(events), (std::vector<uint64_t>{a.size(), a.size() + b.size(), wire.size()})) << cut;
    }
}

TEST(StreamParser, KeepAliveRules) {
    struct Case {
        const char* wire;
        bool keep_alive;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
    };
    for (const auto& c : cases) {
        StreamParser p(StreamKind::requests);
        auto events = p.feed(c.wire);
        ASSERT_TRUE(events) << c.wire;
        EXPECT_EQ((*events)[0].head.keep_alive, c.keep_alive) << c.wire;
    }
}

TEST(StreamParser, ResponsesCloseDelimitedHeadAnd100Continue) {
    StreamParser p(StreamKind::responses);
    p.expect_response_to("GET");
    p.expect_response_to("HEAD");
    p.expect_response_to("GET");
    const std::string r1 = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const std::string r2 = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";  // HEAD: no body
    const std::string r3 = "HTTP/1.0 503 Service Unavailable\r\nServer: x\r\n\r\nbody until close";
    auto events = feed_in_pieces(p, r1 + r2 + r3, {5, r1.size() + 3});
    auto hs = heads(events);
    ASSERT_EQ(hs.size(), 4u);
    EXPECT_EQ(hs[0]->head.status, 100u);
    EXPECT_EQ(hs[1]->head.status, 200u);
    EXPECT_EQ(hs[1]->head.framing, BodyFraming::content_length);
    EXPECT_EQ(hs[2]->head.framing, BodyFraming::none);
    EXPECT_EQ(hs[3]->head.status, 503u);
    EXPECT_EQ(hs[3]->head.reason, "Service Unavailable");
    EXPECT_EQ(hs[3]->head.framing, BodyFraming::until_close);
    EXPECT_FALSE(hs[3]->head.keep_alive);
    EXPECT_TRUE(p.in_message());
    auto last = p.finish();
    ASSERT_TRUE(last) << last.error().message;
    ASSERT_EQ(last->size(), 1u);
    EXPECT_EQ((*last)[0].offset, (r1 + r2 + r3).size());
}

// A client's Upgrade or CONNECT switches nothing: the backend may ignore it (nginx on a plain
// location does) and go on reading HTTP, so the parser does too. Only a response switches.
TEST(StreamParser, OnlyResponsesSwitchProtocols) {
    StreamParser p(StreamKind::requests);
    auto events = p.feed("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                         "GET /next HTTP/1.1\r\n\r\nCONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(events) << events.error().message;
    auto hs = heads(*events);
    ASSERT_EQ(hs.size(), 4u);
    EXPECT_TRUE(hs[0]->head.upgrade);
    EXPECT_EQ(hs[0]->head.framing, BodyFraming::none);
    EXPECT_FALSE(hs[1]->head.upgrade);
    EXPECT_EQ(hs[1]->head.target, "/next");
    EXPECT_TRUE(hs[2]->head.upgrade);
    EXPECT_EQ(hs[2]->head.method, "CONNECT");
    EXPECT_EQ(hs[3]->head.target, "/after");
    EXPECT_FALSE(p.tunnel());
    // WebSocket frames sent before the 101 are not HTTP: an error, never a silent tunnel.
    EXPECT_FALSE(p.feed("\x81\x05hello"));

    StreamParser r(StreamKind::responses);
    r.expect_response_to("GET");
    auto switched = r.feed("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    ASSERT_TRUE(switched) << switched.error().message;
    EXPECT_EQ(heads(*switched)[0]->head.framing, BodyFraming::tunnel);
    EXPECT_TRUE(r.tunnel());

    StreamParser c(StreamKind::responses);
    c.expect_response_to("CONNECT");
    auto re = c.feed("HTTP/1.1 200 Connection established\r\n\r\n");
    ASSERT_TRUE(re) << re.error().message;
    EXPECT_EQ(heads(*re)[0]->head.framing, BodyFraming::tunnel);

    // A refused upgrade keeps the response stream HTTP.
    StreamParser refused(StreamKind::responses);
    refused.expect_response_to("GET");
    auto plain = refused.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n");
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(heads(*plain).size(), 2u);
    EXPECT_FALSE(refused.tunnel());
}

// nginx accepts ~32 KB of head by default (large_client_header_buffers 4 8k): so must we.
TEST(StreamParser, DefaultLimitsTakeWhatNginxTakes) {
    StreamParser p(StreamKind::requests);
    std::string wire = "GET /limited HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 4; ++i) wire += "Cookie: c" + std::to_string(i) + "=" + std::string(7000, 'v') + "\r\n";
    wire += "\r\nGET /limited HTTP/1.1\r\n\r\n";
    auto events = p.feed(wire);
    ASSERT_TRUE(events) << events.error().message;
    EXPECT_EQ(heads(*events).size(), 2u);
}

// Requests completed before an error are returned (they reach the backend and must be judged);
// the error and where it happened come with the next call and from failure().
TEST(StreamParser, EventsBeforeAnErrorAreKept) {
    StreamParser p(StreamKind::requests);
    const std::string good = "GET /a HTTP/1.1\r\n\r\n";
    auto events = p.feed(good + "GET /b HTTP/1.1\r\nBad Header: x\r\n\r\n");
    ASSERT_TRUE(events);
    EXPECT_EQ(heads(*events).size(), 1u);
    ASSERT_TRUE(p.failure());
    EXPECT_EQ(p.failure()->message_start, good.size());
    EXPECT_TRUE(p.failure()->in_head);
    EXPECT_FALSE(p.failure()->head_too_large);
    EXPECT_FALSE(p.feed("GET / HTTP/1.1\r\n\r\n"));

    StreamParser body(StreamKind::requests);
    ASSERT_TRUE(body.feed("POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    EXPECT_FALSE(body.feed("zz\r\n"));
    ASSERT_TRUE(body.failure());
    EXPECT_FALSE(body.failure()->in_head);
    EXPECT_EQ(body.failure()->message_start, 0u);

    StreamParser big(StreamKind::requests, StreamLimits{64, 10});
    EXPECT_FALSE(big.feed("GET /" + std::string(100, 'a')));
    ASSERT_TRUE(big.failure());
    EXPECT_TRUE(big.failure()->head_too_large);
}

struct Hostile {
    const char* name;
    std::string wire;
    const char* expected;
};

class StreamParserHostile : public ::testing::TestWithParam<Hostile> {};

TEST_P(StreamParserHostile, ClearErrorNeverCrash) {
    const auto& c = GetParam();
    StreamParser p(StreamKind::requests, StreamLimits{1024, 10});
    auto events = p.feed(c.wire);
    // A head that completed before the error is returned first (see EventsBeforeAnErrorAreKept).
    EXPECT_TRUE(!events || !events->empty()) << c.name;
    ASSERT_TRUE(p.failure()) << c.name;
    EXPECT_NE(p.failure()->error.message.find(c.expected), std::string::npos)
        << c.name << ": " << p.failure()->error.message;
    // The stream stays dead.
    EXPECT_FALSE(p.feed("GET / HTTP/1.1\r\n\r\n"));
}

INSTANTIATE_TEST_SUITE_P(
    Table, StreamParserHostile,
    ::testing::Values(
        Hostile{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "invalid HTTP request at stream byte 0"},
        Hostile{"bad method", "FETCH / HTTP/1.1\r\n\r\n", "invalid HTTP method"},
        Hostile{"bad version", "GET / HTTP/9.x\r\n\r\n", "invalid HTTP version"},
        Hostile{"smuggling CL+TE", "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "unexpected content-length header"},
        Hostile{"two content lengths", "POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
                "unexpected content-length header"},
        Hostile{"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"},
        Hostile{"huge content length", "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
                "content-length"},
        Hostile{"head too large", "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n", "head larger than 1024 bytes"},
        Hostile{"too many headers", [] {
                    std::string w = "GET / HTTP/1.1\r\n";
                    for (int i = 0; i < 20; ++i) w += "X-H" + std::to_string(i) + ": v\r\n";
                    return w + "\r\n";
                }(), "more than 10 header fields"},
        Hostile{"nul in header", std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29), "invalid"},
        Hostile{"space in header name", "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", "invalid character in header field name"},
        Hostile{"obs-fold", "GET / HTTP/1.1\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\n", "obs-fold"},
        Hostile{"obs-fold with a tab", "GET / HTTP/1.1\r\nX-A: a\n\tb\n\n", "obs-fold"},
        Hostile{"HTTP/0.9", "GET /limited\r\n", "HTTP/0.9"},
        Hostile{"space before colon", "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n", "invalid character in header field name"}));

TEST(StreamParser, HeadLimitCountsAcrossSegments) {
    StreamParser p(StreamKind::requests, StreamLimits{64, 10});
    ASSERT_TRUE(p.feed("GET /" + std::string(40, 'a')));
    auto second = p.feed(std::string(40, 'b') + " HTTP/1.1\r\n\r\n");
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("head larger than 64 bytes"), std::string::npos);
}

TEST(StreamParser, ConnectionClosedMidMessageIsAnError) {
    StreamParser p(StreamKind::requests);
    ASSERT_TRUE(p.feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));
    EXPECT_FALSE(p.finish());
    StreamParser idle(StreamKind::requests);
    ASSERT_TRUE(idle.feed(kGet + "\r\n"));  // stray CRLF between messages is tolerated
    auto done = idle.finish();
    ASSERT_TRUE(done) << done.error().message;
}

TEST(StreamParser, BytesAfterAClosingRequestAreRefused) {
    StreamParser p(StreamKind::requests);
    auto events = p.feed("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    // The first request completes; what follows a "Connection: close" request is not HTTP we accept.
    ASSERT_TRUE(events);
    EXPECT_EQ(heads(*events).size(), 1u);
    auto next = p.feed("x");
    ASSERT_FALSE(next);
    EXPECT_NE(next.error().message.find("at stream byte 38 after a message that closes the connection"),
              std::string::npos)
        << next.error().message;
    StreamParser q(StreamKind::requests);
    auto first = q.feed("GET /a HTTP/1.1\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 2u);
    EXPECT_FALSE(q.feed("x"));
}

// skip_body: the bytes of a Content-Length body the flow layer let pass unread (a response body
// the kernel bridged) are counted, never fed; the body's last byte is fed as usual.
TEST(StreamParser, SkipBodyAdvancesAContentLengthBodyWithoutItsBytes) {
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
    const std::string next = "HTTP/1.1 204 No Content\r\n\r\n";
    StreamParser p(StreamKind::responses);
    auto events = p.feed(head + std::string(1000, 'x'));
    ASSERT_TRUE(events) << events.error().message;
    ASSERT_EQ(p.body_left(), 99000u);
    ASSERT_TRUE(p.skip_body(98000));
    EXPECT_EQ(p.body_left(), 1000u);
    EXPECT_EQ(p.offset(), head.size() + 99000);
    ASSERT_TRUE(p.feed(std::string(999, 'y')));
    // Skipping the last byte, or beyond it, is refused and changes nothing.
    EXPECT_FALSE(p.skip_body(1));
    EXPECT_FALSE(p.skip_body(2));
    EXPECT_EQ(p.body_left(), 1u);
    events = p.feed("z" + next);
    ASSERT_TRUE(events) << events.error().message;
    EXPECT_EQ(ends(*events), (std::vector<uint64_t>{head.size() + 100000, head.size() + 100000 + next.size()}));
    ASSERT_EQ(heads(*events).size(), 1u);
    EXPECT_EQ(heads(*events)[0]->head.status, 204u);
    EXPECT_EQ(heads(*events)[0]->message_start, head.size() + 100000);
    EXPECT_FALSE(p.body_left());
}

TEST(StreamParser, SkipBodyOnlyInsideAContentLengthBody) {
    StreamParser idle(StreamKind::responses);
    EXPECT_FALSE(idle.body_left());
    auto refused = idle.skip_body(1);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("not inside a Content-Length body"), std::string::npos)
        << refused.error().message;

    StreamParser in_head(StreamKind::responses);
    ASSERT_TRUE(in_head.feed("HTTP/1.1 200 OK\r\nContent-Len"));
    EXPECT_FALSE(in_head.skip_body(1));

    StreamParser chunked(StreamKind::responses);
    ASSERT_TRUE(chunked.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\nab"));
    EXPECT_FALSE(chunked.body_left());
    EXPECT_FALSE(chunked.skip_body(10));

    StreamParser until_close(StreamKind::responses);
    ASSERT_TRUE(until_close.feed("HTTP/1.0 200 OK\r\n\r\nbody until close"));
    EXPECT_FALSE(until_close.body_left());
    EXPECT_FALSE(until_close.skip_body(10));

    StreamParser head_response(StreamKind::responses);
    head_response.expect_response_to("HEAD");
    ASSERT_TRUE(head_response.feed("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
    EXPECT_FALSE(head_response.body_left()) << "a response to HEAD has no body";

    // A request body too: the parser does not care which direction it reads.
    StreamParser upload(StreamKind::requests);
    ASSERT_TRUE(upload.feed("POST /u HTTP/1.1\r\nContent-Length: 10\r\n\r\nab"));
    EXPECT_EQ(upload.body_left(), 8u);
    ASSERT_TRUE(upload.skip_body(7));
    auto done = upload.feed("j");
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(ends(*done), std::vector<uint64_t>{upload.offset()});

    StreamParser dead(StreamKind::responses);
    auto broken = dead.feed("SSH-2.0-OpenSSH\r\n");
    ASSERT_FALSE(broken);
    auto after = dead.skip_body(1);
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().message, broken.error().message) << "a dead stream stays dead";
}
