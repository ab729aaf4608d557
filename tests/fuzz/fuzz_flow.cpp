// libFuzzer target for the gateway's flow table (issue 7): one to three TCP connections through
// xt::flow::FlowTable with a real PolicyEngine, driven by a script of segments in any order and any
// split (duplicates, overlaps, gaps, retransmissions with other bytes, SYN/FIN/RST anywhere, an
// injected clock with idle expiry). Beside the table runs a model of the backend's TCP receiver
// (Linux's rules: in-order bytes are delivered, out-of-order ones wait, the first copy of a byte
// wins, a RST counts only at exactly rcv_nxt, a SYN on an open connection is ignored), fed with
// exactly the frames the table lets through toward the backend. Invariants, checked after every
// frame (a violation prints what happened and aborts, so libFuzzer keeps the input):
//   - no crash, no sanitizer report (ASan, UBSan);
//   - no request forwarded uncounted: the request heads the backend received, read by a second
//     http::StreamParser fed byte by byte (so an error later in a segment does not hide the heads
//     before it), never outnumber the heads the table allowed on that connection — until the frame
//     with which the table gave up on the connection (bypass), whose own bytes still count;
//   - bounded memory: buffered_bytes() <= max_buffered_bytes_total, size() <= max_flows;
//   - every frame the table writes parses, has valid checksums and goes the right way.
// The second parser has the table's limits: where HTTP parsers and real backends disagree is the
// e2e differential harness's job (tests/e2e/differential/), not this one's.
//
// Input (a byte script, read front to back, zeros once exhausted; tests/fuzz/make_flow_seeds.py
// writes the seeds in corpus-flow/):
//   u8 shape   bit 0 IPv6, bit 1 mid-stream (no handshake: the backend already has the
//              connection), bits 2-3 connections - 1 (mod 3)
//   u8 limits  bits 0-1 per-flow buffer {64K, 4K, 512, 64}, bits 2-3 total {1M, 8K, 1K, 256},
//              bits 4-5 max head bytes {16K, 1K, 128, 48}, bit 6 max 8 header fields, bit 7
//              max_flows 1
//   per connection: u32 client ISN, u32 server ISN, then three streams (client bytes, other
//              client bytes for conflicting retransmissions, server bytes), each: u8 pieces (mod 9),
//              per piece u8 selector: < 0xE0 a canned message (kClientPieces/kServerPieces), else a
//              raw piece: u8 length, bytes
//   ops until the end (at most 400): u8 op (low nibble: kind, high nibble: connection) + arguments,
//              see the switch in run_op
// XT_FUZZ_FLOW_SKIP=syn,rst,expire,midstream,bypassframe (a comma list) turns script features off,
// so a run can look past a finding that is already known: client SYNs on an open connection, client
// RSTs off their sequence number, idle expiry (time then moves by 1 s at most), mid-stream
// connections; bypassframe: the frame with which the table gives up is not checked either.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load_config.hpp"
#include "flow/flow_table.hpp"
#include "http/stream_parser.hpp"
#include "packet/tcp_frame.hpp"
#include "policy/engine.hpp"
#include "support/packet_builder.hpp"

namespace {

using namespace xt;
namespace tcp_flag = packet::tcp_flag;

// /limited: 2 per client address, then 429; /shared: 1 for everybody, then 503; /free: no limit;
// everywhere, a bot detector's 403.
constexpr const char* kConfig = R"({"version": 3,
  "extra_config": {"security/bot-detector": {"deny": ["evilbot"], "patterns": ["crawl.r"], "cache_size": 2}},
  "endpoints": [
  {"endpoint": "/limited", "timeout": "1s", "extra_config": {"qos/ratelimit/router":
      {"client_max_rate": 1, "client_capacity": 2, "every": "1h", "strategy": "ip"}},
   "backend": [{"host": ["http://10.0.0.2:80", "http://[2001:db8::2]:80"],
                "extra_config": {"qos/circuit-breaker": {"max_errors": 1, "timeout": 1, "interval": 0}}}]},
  {"backend": [{"url_pattern": "/"}], "endpoint": "/shared", "extra_config": {"qos/ratelimit/router": {"max_rate": 1, "capacity": 1, "every": "1m"}}},
  {"backend": [{"url_pattern": "/"}], "endpoint": "/free"}]})";

constexpr const char* kClientPieces[] = {
    "GET /limited HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /free HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /shared HTTP/1.1\r\n\r\n",
    "POST /limited HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    "POST /free HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "GET /limited HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "CONNECT a:80 HTTP/1.1\r\n\r\n",
    "GET /limited HTTP/1.0\r\n\r\n",
    "GET /limited HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "HEAD /limited HTTP/1.1\r\n\r\n",
    "GET /limited HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    "GET /free HTTP/1.1\r\nContent-Length: 26\r\n\r\nGET /limited HTTP/1.1\r\n\r\n",
    "GET /%6cimited?x HTTP/1.1\r\nCookie: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
    "\r\n",
    "GET /free HTTP/1.1\r\nUser-Agent: evilbot\r\n\r\n",
    "GET /shared HTTP/1.1\r\nUser-Agent: crawl\xffr\r\nUser-Agent: x\r\n\r\n",
};
constexpr const char* kServerPieces[] = {
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "HTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 Connection established\r\n\r\n",
    "HTTP/1.1 200 OK\r\n\r\nclose-delimited",
};

struct Skip {
    bool syn = false, rst = false, expire = false, midstream = false, bypass_frame = false;
};

const Skip& skip() {
    static const Skip s = [] {
        Skip out;
        const char* env = std::getenv("XT_FUZZ_FLOW_SKIP");
        const std::string_view list = env ? env : "";
        out.syn = list.find("syn") != std::string_view::npos;
        out.rst = list.find("rst") != std::string_view::npos;
        out.expire = list.find("expire") != std::string_view::npos;
        out.midstream = list.find("midstream") != std::string_view::npos;
        out.bypass_frame = list.find("bypassframe") != std::string_view::npos;
        return out;
    }();
    return s;
}

const config::Config& fuzz_config() {
    static const config::Config c = [] {
        auto loaded = config::parse_config(kConfig);
        if (!loaded) {
            std::fprintf(stderr, "fuzz_flow: config: %s\n", loaded.error().message.c_str());
            std::abort();
        }
        return *loaded;
    }();
    return c;
}

// The script, read front to back; past the end every read is zero.
class Script {
public:
    Script(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const { return pos_ >= size_; }
    uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
    uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
    uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
    std::string bytes(std::size_t n) {
        n = std::min(n, size_ - std::min(pos_, size_));
        std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
        pos_ += n;
        return out;
    }

private:
    const uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

template <std::size_t N>
std::string read_stream(Script& in, const char* const (&canned)[N]) {
    std::string out;
    const unsigned pieces = in.u8() % 9;
    for (unsigned i = 0; i < pieces; ++i) {
        const uint8_t sel = in.u8();
        if (sel < 0xE0) out += canned[sel % N];
        else out += in.bytes(in.u8());
    }
    return out;
}

[[noreturn]] void violation(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_flow: INVARIANT VIOLATED: %s: %s\n", what, detail.c_str());
    std::abort();
}

// The backend's TCP receiver for one connection, and what it read as HTTP.
struct Backend {
    bool open = false;
    uint32_t base = 0;          // sequence number of stream offset 0
    uint64_t delivered = 0;     // in-order bytes handed to the application
    std::optional<int64_t> fin_at;
    std::map<int64_t, char> out_of_order;  // first copy of each byte wins
    std::optional<http::StreamParser> reader;
    bool reader_done = false;   // the reader met an error or a tunnel: the rest is not HTTP to it
    uint64_t heads = 0;
    std::string stream;         // what was delivered (for the report)
    uint64_t last_byte_ns = 0;  // when the last byte was delivered
};

// nginx closes a connection that sits inside a request head or body without a byte for this long
// (client_header_timeout, client_body_timeout: 60 s by default). The table relies on it: a flow it
// forgets while idle inside a request is reset if it comes back within an hour, and a backend
// without such a timeout would read a request whose start the table never judged after that.
constexpr uint64_t kBackendRequestTimeoutNs = 60'000'000'000;

struct Conn {
    uint16_t port = 0;
    uint32_t cisn = 0, sisn = 0;
    std::string client, alt, server;
    std::size_t csent = 0, ssent = 0;  // bytes sent in order so far (the cursors)
    flow::FlowKey key;         // as the table names the connection
    Backend backend;
    bool checked = true;       // false once the table gave up on the connection (bypass)
    uint64_t allowed = 0;      // heads the table judged and allowed on this connection
    std::string trace;         // the frames so far, for the report
};

struct Run {
    bool ipv6 = false;
    flow::FlowTableOptions options;
    std::vector<Conn> conns;
    uint64_t now_ns = 1'000'000'000;
    std::optional<policy::PolicyEngine> policy;
    std::optional<flow::FlowTable> table;
    uint64_t breaker_records = 0;  // ResponseRecords carrying a breaker ticket

    std::string client_ip() const { return ipv6 ? "2001:db8::10" : "192.0.2.10"; }
    std::string server_ip() const { return ipv6 ? "2001:db8::2" : "10.0.0.2"; }

    packet::Frame frame(const Conn& c, bool from_client, uint32_t seq, std::string_view payload,
                        uint8_t flags) const {
        test::PacketBuilder b;
        b.eth(from_client ? test::kClientMac : test::kServerMac, from_client ? test::kServerMac : test::kClientMac);
        const std::string src = from_client ? client_ip() : server_ip();
        const std::string dst = from_client ? server_ip() : client_ip();
        if (ipv6) b.ipv6(src, dst);
        else b.ipv4(src, dst, {.dont_fragment = true});
        test::TcpFields tcp{};
        tcp.seq = seq;
        tcp.ack = (flags & test::kAck) ? (from_client ? c.sisn + 1 + static_cast<uint32_t>(c.ssent)
                                                      : c.cisn + 1 + static_cast<uint32_t>(c.csent))
                                       : 0;
        tcp.window = 502;
        if (flags & test::kSyn) tcp.options = test::mss_option(1460);
        b.tcp(from_client ? c.port : 80, from_client ? 80 : c.port, flags, tcp);
        if (!payload.empty()) b.payload(payload);
        return b.build();
    }
};

std::string printable(std::string_view s, std::size_t max = 600) {
    std::string out;
    for (char ch : s.substr(0, max)) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '\r') out += "\\r";
        else if (ch == '\n') out += "\\n";
        else if (u < 0x20 || u >= 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        } else out += ch;
    }
    if (s.size() > max) out += "...";
    return out;
}

void deliver_byte(Conn& c, char ch) {
    Backend& b = c.backend;
    b.stream += ch;
    ++b.delivered;
    if (!c.checked || b.reader_done) return;
    auto events = b.reader->feed(std::string_view(&ch, 1));
    if (!events) {
        b.reader_done = true;
        return;
    }
    for (const auto& e : *events)
        if (e.type == http::StreamEvent::Type::head) ++b.heads;
    if (b.reader->tunnel()) b.reader_done = true;
}

// A frame the table sent toward the backend (the client's own, a trimmed copy, a released held
// one, or a synthesized RST).
void to_backend(Run& run, Conn& c, const packet::Frame& bytes) {
    const auto parsed = packet::parse_frame(bytes);
    if (parsed.kind != packet::FrameKind::tcp) violation("toward the backend", "a frame that is not TCP");
    const packet::TcpFrame& seg = parsed.tcp;
    if (seg.ends.src_port != c.port || seg.ends.dst_port != 80)
        violation("toward the backend", "a frame of the wrong direction or connection");
    Backend& b = c.backend;
    if (seg.has(tcp_flag::syn) && !seg.has(tcp_flag::ack)) {
        if (b.open) return;  // a SYN on an open connection: a challenge ACK, nothing else
        b = Backend{};
        b.open = true;
        b.base = seg.seq + 1;
        b.reader.emplace(http::StreamKind::requests, run.options.stream_limits);
        return;
    }
    if (!b.open) return;
    if (seg.has(tcp_flag::rst)) {
        if (seg.seq == b.base + static_cast<uint32_t>(b.delivered)) b.open = false;  // RFC 5961
        return;
    }
    if (seg.payload_len > 0) b.last_byte_ns = run.now_ns;
    const auto rel = static_cast<int64_t>(static_cast<int32_t>(seg.seq - b.base));
    const auto payload = seg.payload();
    for (std::size_t i = 0; i < payload.size(); ++i) {
        const int64_t pos = rel + static_cast<int64_t>(i);
        if (pos < static_cast<int64_t>(b.delivered) || (b.fin_at && pos >= *b.fin_at)) continue;
        if (pos == static_cast<int64_t>(b.delivered)) deliver_byte(c, static_cast<char>(payload[i]));
        else b.out_of_order.emplace(pos, static_cast<char>(payload[i]));
    }
    if (seg.has(tcp_flag::fin) && !b.fin_at) b.fin_at = rel + static_cast<int64_t>(payload.size());
    for (auto it = b.out_of_order.begin(); it != b.out_of_order.end();) {
        if (it->first < static_cast<int64_t>(b.delivered)) {
            it = b.out_of_order.erase(it);
        } else if (it->first == static_cast<int64_t>(b.delivered) && !(b.fin_at && it->first >= *b.fin_at)) {
            deliver_byte(c, it->second);
            it = b.out_of_order.erase(it);
        } else {
            break;
        }
    }
}

// A frame the table wrote itself: it must parse, carry valid checksums and go the stated way.
void check_written(const Conn& c, const packet::Frame& bytes, bool toward_backend) {
    const auto parsed = packet::parse_frame(bytes);
    if (parsed.kind != packet::FrameKind::tcp) violation("written frame", "does not parse as TCP");
    if (!test::checksums_valid(bytes, parsed.tcp.l3_offset)) violation("written frame", "bad checksum");
    const bool client_to_server = parsed.tcp.ends.src_port == c.port && parsed.tcp.ends.dst_port == 80;
    const bool server_to_client = parsed.tcp.ends.src_port == 80 && parsed.tcp.ends.dst_port == c.port;
    if (toward_backend ? !client_to_server : !server_to_client)
        violation("written frame", toward_backend ? "toward the backend, not client->server"
                                                  : "toward the client, not server->client");
}

void send(Run& run, Conn& c, bool from_client, uint32_t seq, std::string_view payload, uint8_t flags) {
    const packet::Frame f = run.frame(c, from_client, seq, payload, flags);
    const flow::FlowCounters before = run.table->counters();
    flow::Verdict v = run.table->on_frame(f);
    const flow::FlowCounters& after = run.table->counters();
    const uint64_t judged = after.requests - before.requests, rejected = after.rejected - before.rejected;
    c.allowed += judged - rejected;

    // The trace names sequence numbers relative to the sender's first byte.
    const auto describe = [&c](const packet::Frame& bytes) {
        const auto p = packet::parse_frame(bytes);
        const bool client_side = p.tcp.ends.dst_port == 80;
        char out[96];
        std::snprintf(out, sizeof out, "%s seq%+d len %zu flags %02x", client_side ? "C>" : "<S",
                      static_cast<int32_t>(p.tcp.seq - ((client_side ? c.cisn : c.sisn) + 1)),
                      p.tcp.payload_len, p.tcp.flags);
        return std::string(out);
    };
    static constexpr const char* kActions[] = {"forward", "bypass", "drop"};
    static constexpr const char* kStates[] = {"inspecting", "bypass", "reject_pending", "rejected"};
    const auto info = run.table->info(c.key);
    c.trace += describe(f) + " -> " + kActions[static_cast<int>(v.action)] +
               (v.bypass_flow ? " (gives up)" : "") + ", judged " + std::to_string(judged) + ", rejected " +
               std::to_string(rejected) + ", flow " + (info ? kStates[static_cast<int>(info->state)] : "unknown") +
               "\n";
    for (const auto& o : v.back) c.trace += "    back:   " + describe(o) + "\n";
    for (const auto& o : v.onward) c.trace += "    onward: " + describe(o) + "\n";
    const bool gives_up = v.action == flow::Action::bypass || v.bypass_flow;
    if (gives_up && skip().bypass_frame) c.checked = false;

    // What goes toward the backend, in the order it leaves: from the client, the frame itself and
    // then `onward`; from the server, `back`.
    if (from_client) {
        if (v.forwards()) to_backend(run, c, f);
        for (const auto& o : v.onward) {
            check_written(c, o, true);
            to_backend(run, c, o);
        }
        for (const auto& o : v.back) check_written(c, o, false);
    } else {
        for (const auto& o : v.back) {
            check_written(c, o, true);
            to_backend(run, c, o);
        }
        for (const auto& o : v.onward) check_written(c, o, false);
    }

    if (c.checked && c.backend.heads > c.allowed) {
        violation("a request forwarded uncounted",
                  "connection " + std::to_string(c.port) + ": the backend read " +
                      std::to_string(c.backend.heads) + " request heads, the table allowed " +
                      std::to_string(c.allowed) + "\nbackend stream: " + printable(c.backend.stream) +
                      "\nclient stream:  " + printable(c.client) + "\nother bytes:    " + printable(c.alt) +
                      "\nserver stream:  " + printable(c.server) + "\nframes:\n" + c.trace);
    }
    if (gives_up) c.checked = false;
    if (run.table->buffered_bytes() > run.options.max_buffered_bytes_total)
        violation("bounded memory", "buffered_bytes " + std::to_string(run.table->buffered_bytes()) + " > " +
                                        std::to_string(run.options.max_buffered_bytes_total));
    if (run.table->size() > run.options.max_flows)
        violation("bounded memory", "size " + std::to_string(run.table->size()) + " > max_flows");
}

std::string_view piece(const std::string& s, std::size_t off, std::size_t len) {
    if (off >= s.size()) return {};
    return std::string_view(s).substr(off, len);
}

// The next bytes (at most `len`) of one side's stream at its cursor, which advances; nothing when
// none are left, unless the segment carries a FIN.
void send_next(Run& run, Conn& c, bool from_client, std::size_t len, uint8_t flags) {
    std::size_t& sent = from_client ? c.csent : c.ssent;
    const auto data = piece(from_client ? c.client : c.server, sent, len);
    if (data.empty() && !(flags & test::kFin)) return;
    send(run, c, from_client, (from_client ? c.cisn : c.sisn) + 1 + static_cast<uint32_t>(sent), data, flags);
    sent += data.size();
}

void run_op(Run& run, Script& in) {
    const uint8_t op = in.u8();
    Conn& c = run.conns[(op >> 4) % run.conns.size()];
    constexpr uint8_t kData = test::kPsh | test::kAck;
    switch (op & 0x0f) {
        case 0:
        case 1:
        case 2:  // the client's next bytes, 1-256 of them (1-4096 for kind 2)
            send_next(run, c, true, (op & 0x0f) == 2 ? 1 + in.u16() % 4096 : 1 + std::size_t{in.u8()}, kData);
            break;
        case 3: {  // a client segment anywhere (duplicate, overlap, gap), maybe other bytes, maybe FIN
            const std::size_t off = in.u16() % (c.client.size() + 64);
            const std::size_t len = 1 + std::size_t{in.u8()};
            const uint8_t how = in.u8();
            const auto data = piece((how & 1) ? c.alt : c.client, off, len);
            if (data.empty() && !(how & 2)) break;
            send(run, c, true, c.cisn + 1 + static_cast<uint32_t>(off), data,
                 kData | ((how & 2) ? test::kFin : 0));
            break;
        }
        case 4:
        case 5:  // the server's next bytes
            send_next(run, c, false, (op & 0x0f) == 5 ? 1 + in.u16() % 4096 : 1 + std::size_t{in.u8()}, kData);
            break;
        case 6: {  // a server segment anywhere
            const std::size_t off = in.u16() % (c.server.size() + 64);
            const auto data = piece(c.server, off, 1 + std::size_t{in.u8()});
            if (data.empty()) break;
            send(run, c, false, c.sisn + 1 + static_cast<uint32_t>(off), data, kData);
            break;
        }
        case 7:  // client FIN after what it sent
            send(run, c, true, c.cisn + 1 + static_cast<uint32_t>(c.csent), {}, test::kFin | test::kAck);
            break;
        case 8:  // server FIN after what it sent
            send(run, c, false, c.sisn + 1 + static_cast<uint32_t>(c.ssent), {}, test::kFin | test::kAck);
            break;
        case 9: {  // client RST: at its next sequence number, or off by a script-chosen amount
            const auto delta = static_cast<int16_t>(in.u16());
            if (skip().rst && delta) break;
            send(run, c, true, c.cisn + 1 + static_cast<uint32_t>(c.csent) + static_cast<uint32_t>(delta), {},
                 test::kRst | test::kAck);
            break;
        }
        case 10:  // the backend aborts: its RST, and its socket is gone (only it sends from B)
            send(run, c, false, c.sisn + 1 + static_cast<uint32_t>(c.ssent), {}, test::kRst | test::kAck);
            c.backend.open = false;
            break;
        case 11: {  // client SYN again: a retransmission (same ISN) or another ISN on the same ports
            const uint32_t delta = in.u32();
            if (skip().syn) break;
            send(run, c, true, c.cisn + delta, {}, test::kSyn);
            break;
        }
        case 12: {  // time passes; the controller's sweep expires idle flows
            static constexpr uint64_t kSteps[] = {1'000'000, 1'000'000'000, 30'000'000'000, 61'000'000'000,
                                                  3'601'000'000'000};
            // Skipping expiry keeps every flow well inside the idle timeout: the table also
            // expires idle flows itself when it is full.
            const uint64_t step = std::min(kSteps[in.u8() % 5], skip().expire ? 1'000'000'000 : UINT64_MAX);
            run.now_ns += step;
            for (auto& other : run.conns) {
                Backend& b = other.backend;
                if (b.open && b.reader && !b.reader_done && b.reader->in_message() &&
                    run.now_ns - b.last_byte_ns > kBackendRequestTimeoutNs) {
                    b.open = false;  // nginx's 408: the connection is closed
                    other.trace += "backend: idle inside a request for over 60 s, closed\n";
                }
            }
            run.table->expire_responses();
            const std::size_t expired = skip().expire ? 0 : run.table->expire_idle();
            // Each request a breaker admitted gets at most one record (flow_table.hpp).
            if (run.breaker_records > run.table->counters().requests)
                violation("breaker records", std::to_string(run.breaker_records) + " records for " +
                                                 std::to_string(run.table->counters().requests) + " requests");
            for (auto& other : run.conns)
                other.trace += "time +" + std::to_string(step / 1'000'000) + " ms, " + std::to_string(expired) +
                               " flows expired\n";
            break;
        }
        case 13:  // a pure ACK from the client
            send(run, c, true, c.cisn + 1 + static_cast<uint32_t>(c.csent), {}, test::kAck);
            break;
        case 14:  // the client's next bytes with FIN
            send_next(run, c, true, 1 + std::size_t{in.u8()}, kData | test::kFin);
            break;
        default:  // 15: everything the client has left, in one segment
            send_next(run, c, true, std::string::npos, kData);
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    Script in(bytes, size);
    Run run;
    const uint8_t shape = in.u8();
    const uint8_t limits = in.u8();
    run.ipv6 = shape & 1;
    const bool midstream = (shape & 2) && !skip().midstream;
    const std::size_t n = 1 + ((shape >> 2) & 3) % 3;
    static constexpr uint64_t kPerFlow[] = {65536, 4096, 512, 64};
    static constexpr uint64_t kTotal[] = {1 << 20, 8192, 1024, 256};
    static constexpr std::size_t kHead[] = {16384, 1024, 128, 48};
    run.options.http_ports = {80};
    run.options.max_buffered_bytes_per_flow = kPerFlow[limits & 3];
    run.options.max_buffered_bytes_total = kTotal[(limits >> 2) & 3];
    run.options.stream_limits.max_head_bytes = kHead[(limits >> 4) & 3];
    run.options.stream_limits.max_headers = (limits & 0x40) ? 8 : 100;
    run.options.max_flows = (limits & 0x80) ? 1 : 65536;

    auto made = policy::PolicyEngine::create(fuzz_config(), [&run] { return run.now_ns; });
    if (!made) violation("setup", made.error().message);
    run.policy.emplace(std::move(*made));
    run.table.emplace(run.options, *run.policy, [&run] { return run.now_ns; });
    // As the controller wires it: every outcome of a request the breaker admitted goes back to it.
    run.table->set_response_observer([&run](const flow::ResponseRecord& r) {
        if (!r.breaker) return;
        ++run.breaker_records;
        run.policy->backend_result(*r.breaker, r.outcome, r.status);
    });

    run.conns.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        Conn& c = run.conns[i];
        c.port = static_cast<uint16_t>(40000 + i);
        c.cisn = in.u32();
        c.sisn = in.u32();
        c.client = read_stream(in, kClientPieces);
        c.alt = read_stream(in, kClientPieces);
        c.server = read_stream(in, kServerPieces);
    }
    for (auto& c : run.conns) {
        const packet::Frame probe = run.frame(c, true, c.cisn, {}, test::kSyn);
        const packet::Endpoints ends = packet::parse_frame(probe).tcp.ends;
        c.key = flow::FlowKey{ends.src, ends.dst, ends.src_port, ends.dst_port};
        if (midstream) {
            // Established before the table saw it (a controller restart): the backend has it open.
            c.backend.open = true;
            c.backend.base = c.cisn + 1;
            c.backend.reader.emplace(http::StreamKind::requests, run.options.stream_limits);
        } else {
            send(run, c, true, c.cisn, {}, test::kSyn);
            send(run, c, false, c.sisn, {}, test::kSyn | test::kAck);
            send(run, c, true, c.cisn + 1, {}, test::kAck);
        }
    }
    for (int ops = 0; ops < 400 && !in.done(); ++ops) run_op(run, in);
    return 0;
}
