// Private to userspace/flow/: the state of one flow and the table's implementation, shared by
// flow_table.cpp (dispatch, limits, expiry), client_side.cpp (requests, rejections) and
// server_side.cpp (responses, deferred rejections).
#pragma once

#include <deque>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "flow/flow_table.hpp"
#include "packet/synthesize.hpp"

namespace xt::flow {

// A segment waiting beyond a sequence gap.
struct HeldSegment {
    uint32_t seq = 0;
    packet::Frame frame;
};

// One direction of the connection: sequence state, parser, out-of-order queue.
struct Direction {
    explicit Direction(http::StreamKind k, http::StreamLimits limits) : kind(k), parser(k, limits) {}

    http::StreamKind kind;

    bool seq_known = false;
    bool opened = false;       // its SYN was seen: stream offset 0 is a message start for sure
    uint32_t next_seq = 0;     // the next in-order byte this direction will send
    uint32_t stream_base = 0;  // sequence number of the parser's stream offset 0
    bool stream_started = false;
    bool fin_seen = false;
    uint32_t fin_seq = 0;      // once fin_seen: the sequence number the FIN took
    std::optional<uint16_t> mss;  // from this end's SYN: the largest segment it accepts
    uint16_t window = 0;          // last advertised (raw) window
    http::StreamParser parser;
    std::vector<HeldSegment> held;
    uint64_t held_bytes = 0;
    uint64_t head_bytes = 0;   // of a head the parser is reading, counted in the table's total

    // This end's SYN: its byte stream starts right after it, and it announces the MSS and window.
    void take_syn(const packet::TcpFrame& syn) {
        seq_known = stream_started = opened = true;
        next_seq = stream_base = syn.seq + 1;
        mss = syn.mss;
        window = syn.window;
    }

    // The first segment with data or FIN seen in this direction fixes where its byte stream starts
    // (unless its SYN already did): parser offset 0 is that segment's sequence number.
    void start_stream_at(uint32_t seq) {
        if (!seq_known) {
            seq_known = true;
            next_seq = seq;
        }
        if (!stream_started) {
            stream_started = true;
            stream_base = next_seq;
        }
    }

    uint32_t seq_of(uint64_t stream_offset) const {
        return stream_base + static_cast<uint32_t>(stream_offset);
    }
};

// How a segment's payload relates to what this direction has delivered so far.
struct SequenceSplit {
    enum class Kind { in_order, old, future } kind = Kind::in_order;
    std::size_t skip = 0;  // leading payload bytes already seen (in_order only)
};

SequenceSplit split_sequence(const Direction& dir, const packet::TcpFrame& seg);

using State = FlowInfo::State;

enum class Uninspectable { parse_error, head_too_large, buffer_limit, h2c, gap };

struct Flow {
    Flow(const FlowKey& k, const http::StreamLimits& limits)
        : key(k), client(http::StreamKind::requests, limits), server(http::StreamKind::responses, limits) {}

    FlowKey key;
    State state = State::inspecting;
    uint64_t last_seen_ns = 0;
    Direction client;
    Direction server;
    uint32_t forwarded_end = 0;  // client bytes before this were forwarded to the backend
    bool forwarded_known = false;
    uint64_t requests_allowed = 0;
    uint64_t responses_done = 0;
    // Per allowed request, FIFO: its endpoint, whether it asked for a protocol switch, and the
    // breaker ticket its outcome is owed to (cleared once reported: a timeout, then the response).
    struct Pending {
        std::optional<std::size_t> endpoint;
        bool upgrade = false;
        std::optional<policy::BreakerTicket> breaker;
        uint64_t id = 0;  // the table's request number (response deadlines find it by this)
    };
    std::deque<Pending> pending_endpoints;
    bool interim_response = false;  // the response in progress is a 1xx: its end is not counted
    bool responses_lost = false;    // the response stream broke: requests are still judged
    // A client SYN with another sequence number while this flow lives: a new connection only if
    // the backend answers it with a SYN-ACK (it ignores such a SYN on an open connection).
    std::optional<packet::Frame> pending_syn;
    std::list<FlowKey>::iterator lru_pos;  // in FlowTable::Impl::lru
    std::optional<BodySkip> body_skip;  // a server body the kernel may bridge (flow_table.hpp)

    // A decided rejection (reject_pending waits for outstanding responses; rejected: answered).
    std::string answer;               // the HTTP bytes
    uint32_t answer_client_ack = 0;   // client bytes the answer acknowledges
    uint32_t answer_backend_seq = 0;  // seq of the RST to the backend

    uint64_t outstanding() const { return requests_allowed - responses_done; }
    uint64_t buffered() const {
        return client.held_bytes + server.held_bytes + client.head_bytes + server.head_bytes;
    }
};

// When a request with a breaker ticket is owed a response head.
struct ResponseDeadline {
    uint64_t at_ns = 0;
    FlowKey flow;
    uint64_t request = 0;  // Flow::Pending::id
};

// The deadlines of one response timeout: pushed in time order, so they fall due in FIFO order (no
// heap: an endpoint's timeout is fixed, and a config has few distinct ones).
struct DeadlineQueue {
    uint64_t timeout_ns = 0;
    std::deque<ResponseDeadline> due;
};

struct FlowTable::Impl {
    FlowTableOptions options;
    policy::PolicyEngine* policy;
    policy::Clock clock;
    std::function<void(const ResponseRecord&)> observer;
    std::unordered_map<FlowKey, Flow, FlowKeyHash> flows;
    std::list<FlowKey> lru;  // every flow, most recently seen first (so oldest-first scans are cheap)
    // Connections forgotten while inside a request (idle expiry): their next segment is reset, never
    // picked up as if a request started there. Value: when the tombstone itself is dropped.
    std::unordered_map<FlowKey, uint64_t, FlowKeyHash> tombstones;
    uint64_t last_tombstone_sweep_ns = 0;
    uint64_t buffered_total = 0;
    FlowCounters counters;
    uint64_t next_request_id = 1;
    // Only requests with a breaker ticket; entries of answered requests are skipped when due, or
    // dropped earlier by compact_deadlines, so the queues hold about what is outstanding even with
    // long timeouts at high request rates.
    std::vector<DeadlineQueue> deadlines;
    std::size_t deadline_entries = 0;    // in all queues
    std::size_t tickets_outstanding = 0; // requests holding a breaker ticket, not yet reported
    void add_deadline(uint64_t timeout_ns, const FlowKey& flow, uint64_t request);
    void compact_deadlines();
    // Whether a deadline's request still waits for its outcome.
    bool deadline_live(const ResponseDeadline& due) const;

    bool is_http_port(uint16_t port) const;
    // Tells the observer how `pending` ended and clears its ticket (reported once).
    void report(const Flow& flow, Flow::Pending& pending, policy::BackendOutcome outcome, unsigned status);
    // Every request of the flow still owed an outcome ends with `outcome` (reset or released).
    void settle_unanswered(Flow& flow, policy::BackendOutcome outcome);
    // How the requests of a flow the backend closes or resets end: reset, or released when the
    // client had closed its side first.
    policy::BackendOutcome backend_gave_up(const Flow& flow) const;
    void remove(std::unordered_map<FlowKey, Flow, FlowKeyHash>::iterator it);
    std::unordered_map<FlowKey, Flow, FlowKeyHash>::iterator create(const FlowKey& key);
    // The table is full: forgets the least recently seen flow that is idle between requests (or no
    // longer inspected); false when none is.
    bool evict_idle(uint64_t now);
    // Moves held frames (in sequence order) to `to`, or discards them when `to` is null.
    void release_held(Flow& flow, Direction& dir, std::vector<packet::Frame>* to);
    // Ends inspection of the flow; held client frames go toward the backend.
    void to_bypass(Flow& flow, Verdict& out, bool from_client);
    // The client stream cannot be followed (see flow_table.hpp). `answer_at`: the client sequence
    // number of the request head that broke, when the client may be answered 400/431 there; else
    // both ends are reset. Returns false when the connection is being closed.
    bool cannot_follow(Flow& flow, const packet::TcpFrame& seg, Uninspectable why,
                       std::optional<uint32_t> answer_at, Verdict& out);
    // Resets both ends now (client: as the server; backend: as the client).
    void reset_both(Flow& flow, const packet::TcpFrame& seg, bool from_client, Verdict& out);
    // The same for a connection no longer in the table: rcv_nxt of each end read off `seg`.
    Verdict reset_unknown(const packet::TcpFrame& seg, bool from_client);
    // Stops parsing responses on this flow (requests are still judged).
    void lose_responses(Flow& flow, const packet::TcpFrame& seg, Verdict& out);
    // Copies a segment beyond a gap; false at a buffer limit.
    bool hold(Flow& flow, Direction& dir, const packet::TcpFrame& seg);
    // A held segment that the gap no longer separates, taken out of the queue.
    std::optional<HeldSegment> next_ready(Direction& dir);
    // Feeds the in-order payload of `seg` (from `skip` on) and its FIN to `dir`'s parser: the
    // events completed in them, or nothing when they are not HTTP we can follow (the flow is
    // bypassed then).
    // Events completed before a parse error are returned too; the error is in
    // dir.parser.failure() (and the memory of a head being read is accounted here).
    std::vector<http::StreamEvent> parse_in_order(Direction& dir, const packet::TcpFrame& seg,
                                                  std::size_t skip);

    // client_side.cpp
    Verdict client_segment(Flow& flow, const packet::TcpFrame& seg);
    // Returns whether the segment itself may be forwarded.
    bool client_in_order(Flow& flow, const packet::TcpFrame& seg, std::size_t skip, Verdict& out);
    // Answers `response` (rendered HTTP) in the backend's place to the request starting at
    // client sequence number `message_seq`, now or once earlier responses are through.
    void reject(Flow& flow, const packet::TcpFrame& seg, std::string response, uint32_t message_seq,
                Verdict& out);
    Verdict rejected_client(Flow& flow, const packet::TcpFrame& seg);
    // Forgets the flow's body skip, asking the controller to remove it from the kernel.
    void end_body_skip(Flow& flow, Verdict& out);

    // server_side.cpp
    Verdict server_segment(Flow& flow, const packet::TcpFrame& seg);
    // A server segment beyond a gap that lies in the skipped body: the kernel delivered the gap,
    // the parser skips it. False (nothing changed) for any other gap.
    bool skip_gap(Flow& flow, const packet::TcpFrame& seg);
    // Ends the body skip whose last byte came through; asks for one when the parser is inside a
    // Content-Length body long enough.
    void update_body_skip(Flow& flow, Verdict& out);
    void server_in_order(Flow& flow, const packet::TcpFrame& seg, std::size_t skip, Verdict& out);
    void answer_now(Flow& flow, const packet::TcpFrame& tmpl, packet::Sender sender,
                    uint32_t server_seq, Verdict& out);
};

}  // namespace xt::flow
