// The controller's view of every inspected TCP connection (gateway mode), fed frame by frame from
// the AF_XDP engine. For each frame it answers what to do with it: forward it, hold it, bypass the
// flow, or drop it and answer the client in the backend's place.
//
// Per flow (both directions of one 5-tuple map to one flow; the client is the end whose peer port
// is an HTTP port):
// - TCP sequence tracking per direction. A segment whose bytes were all seen before is a
//   retransmission: forwarded again (the first copy may have been lost beyond us), never parsed
//   again, so it is never a new request. Partial overlaps feed only the new bytes.
// - Out-of-order segments: client segments beyond a gap are HELD (copied, not forwarded) until the
//   gap fills, so nothing reaches the backend before the request it belongs to was judged; server
//   segments beyond a gap are forwarded at once and only their copy waits for parsing.
// - Requests: a per-direction http::StreamParser finds request heads across segments, keep-alive
//   and pipelining; every head goes to the PolicyEngine. Segments carrying only part of a head are
//   forwarded (holding them would stall a Nagle-bound client); the segment that completes a
//   rejected head is not.
// - Rejections: the bytes of the rejected request and everything after it never reach the
//   backend; bytes of earlier (allowed) requests in the same segment are forwarded in a trimmed
//   copy. If earlier responses are still outstanding on the connection (pipelining), the answer
//   waits until the backend has sent them (our bytes must not overlap its sequence space); client
//   data is dropped meanwhile. Then the client gets the synthesized response with FIN and the
//   backend an RST. Afterwards the flow answers a client FIN with an ACK and client data with RST.
// - Responses: every status line is reported (ResponseRecord) with the endpoint of its request;
//   so is a backend RST that leaves requests unanswered (status 0).
// - Response bodies skip the controller: once a server segment leaves the parser inside a
//   Content-Length body with at least min_body_skip_bytes to come, the verdict asks for a BodySkip
//   (the kernel bridges the server segments inside it: bpf/abi.h, XT_BYPASS_RESPONSE_BODY). The
//   segment with the body's last byte still comes here, so every response end is seen (deferred
//   rejections, response counts) and the next head is parsed here; a later server segment beyond
//   a gap inside the skipped body means the kernel delivered the gap: the parser skips it unread
//   (StreamParser::skip_body) and the segment is parsed in order. Body segments that reach us
//   anyway (before the entry exists, after an LRU eviction) are parsed as usual; retransmissions
//   of skipped bytes are old: forwarded, never parsed. The verdict asks to remove the skip when
//   that body's last byte came through, or the flow is closed, reset or rejected (a flow switched
//   to bypass needs no removal: its whole-flow entry replaces the skip). Requests never skip.
//
// The rule: the table never stops inspecting a connection the backend still reads as HTTP.
// - Protocol switches: a request with Upgrade or CONNECT is judged like any other and the bytes
//   after it are parsed as HTTP; the flow is bypassed only when the backend confirms the switch
//   (a 101, or a 2xx to CONNECT). A switch to h2c (HTTP/2 the backend still reads as requests) and
//   the HTTP/2 prior-knowledge preface are uninspectable (below): HTTP/2 is not decoded here.
// - Uninspectable client bytes (a parse error, a head over StreamLimits::max_head_bytes, smuggling
//   attempts, a gap beyond the buffer limits, mid-stream bytes that are not a message start) close
//   the connection by default (on_uninspectable = close): when the failure is in a request head at
//   a known message boundary, the client gets 400 (431 for a head too large) in the backend's
//   place, as nginx would answer, and the backend an RST; otherwise both ends get an RST. With
//   on_uninspectable = bypass (an operator's explicit fail-open) the flow is bypassed instead.
//   Counted by reason (uninspectable_*) and by outcome (closed_uninspectable, bypassed_flows).
// - Uninspectable response bytes do not hide requests: the table stops following responses on
//   that connection (responses_unfollowed) and keeps judging requests; a later rejection on it
//   resets both ends, since the answer's place in the server's byte stream is then unknown.
// - The table forgets a connection only when the backend does, as Linux's TCP decides it (found
//   by fuzz.flow, each with a reproducer in tests/fuzz/repro-flow/): a client SYN on a known
//   connection counts only once the backend answers it with a SYN-ACK (it ignores it otherwise); a
//   client RST only at the backend's rcv_nxt; bytes before the first byte we saw, or past the
//   client's own FIN, are never "retransmissions"; a 101 counts only when a judged request asked
//   for a switch; a flow forgotten inside a request (idle expiry, FIN both ways) leaves a tombstone
//   that resets the connection if it comes back within an hour.
//
// Limits and what happens at them (never a crash, never a stalled connection; all counted):
// - max_flows: a new connection when the table is full (after evicting idle flows) is not tracked:
//   its frames get Action::bypass.
// - max_buffered_bytes_per_flow / max_buffered_bytes_total (out-of-order copies, plus request and
//   response heads still being read): uninspectable (buffer_limit), see above.
// - Mid-stream flows (seen first without SYN, e.g. after a controller restart) are parsed from
//   their first payload byte; if that is not the start of a message the parser refuses it.
// - Idle flows are removed after idle_timeout_ns (expire_idle(), driven by the injected clock);
//   flows are removed at once on RST and when both sides have sent FIN. A body the kernel bridges
//   is activity we do not see: the controller reports it (kernel_activity) before expiring flows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "config/gateway_config.hpp"
#include "http/stream_parser.hpp"
#include "packet/tcp_frame.hpp"
#include "policy/engine.hpp"

namespace xt::flow {

// A connection, oriented: the client is the end that talks to the HTTP port.
struct FlowKey {
    xt_addr client{};
    xt_addr server{};
    uint16_t client_port = 0;
    uint16_t server_port = 0;
    bool operator==(const FlowKey& o) const;
};

struct FlowKeyHash {
    std::size_t operator()(const FlowKey& k) const;
};

// Bodies shorter than this are parsed here: installing an entry in the kernel and having its end
// come back costs a map write, a delete and a few segments' round trip, worth it only for bodies of
// a dozen segments or more (a 16 KiB body is 12 segments of 1448 bytes).
inline constexpr uint64_t kMinBodySkipBytes = 16 * 1024;
// The longest range one skip covers. The program compares sequence numbers as signed 32-bit
// differences (bpf/abi.h, xt_seq_within), so a range must stay well under 2^31 bytes; a longer
// body is skipped in parts, each one installed when the previous one's last byte came through.
inline constexpr uint64_t kMaxBodySkipBytes = 1ull << 30;

struct FlowTableOptions {
    std::vector<uint16_t> http_ports = HttpPorts{}.values();  // the one default (input/http_ports)
    uint64_t max_flows = 65536;
    uint64_t max_buffered_bytes_per_flow = 65536;
    uint64_t max_buffered_bytes_total = 64ull << 20;
    uint64_t idle_timeout_ns = 60'000'000'000;
    uint64_t min_body_skip_bytes = kMinBodySkipBytes;
    http::StreamLimits stream_limits;
    config::OnUninspectable on_uninspectable = config::OnUninspectable::close;

    // http_ports and the flow limits of the "xdp-throttle" namespace.
    static FlowTableOptions from(const config::GatewaySettings& settings);
};

enum class Action {
    forward,  // transmit the frame out of the other port
    bypass,   // forward; the flow needs no more inspection (the kernel may bridge it from now on)
    drop,     // do not transmit the frame (held, rejected, or answered)
};

// A response body the kernel may bridge without us: server sequence numbers [start_seq, end_seq),
// except the segment carrying byte end_seq - 1 (bpf/abi.h, XT_BYPASS_RESPONSE_BODY).
struct BodySkip {
    FlowKey flow;
    uint32_t start_seq = 0;
    uint32_t end_seq = 0;
};

struct Verdict {
    Verdict() = default;
    // The common verdicts in one expression; the body-skip requests are set by name.
    Verdict(Action a, std::vector<packet::Frame> to_back, std::vector<packet::Frame> to_onward,
            std::optional<FlowKey> bypass)
        : action(a), back(std::move(to_back)), onward(std::move(to_onward)), bypass_flow(std::move(bypass)) {}

    Action action = Action::forward;
    std::vector<packet::Frame> back;    // transmit out of the port the frame came in on
    std::vector<packet::Frame> onward;  // transmit out of the other port, after the frame
    // Set on the frame that switches a connection to bypass (or finds the table full): the flow
    // the kernel may bridge from now on without the controller.
    std::optional<FlowKey> bypass_flow;
    // A body skip of the flow ended: its last byte came through, or the flow was closed, reset or
    // rejected. Apply before body_skip and bypass_flow, which replace the entry when also set.
    std::optional<FlowKey> body_skip_done;
    // Set on the server segment after which a response body may skip the controller.
    std::optional<BodySkip> body_skip;
    bool forwards() const { return action != Action::drop; }
};

// How a request forwarded to the backend ended, as the circuit breaker counts it:
//   response  its response's status line (1xx interim responses excepted)
//   reset     the backend reset the connection, or closed it (FIN), with the request unanswered
//             (and the client had not closed its side first): status 0. Every unanswered request
//             of the connection gets one.
//   timeout   no response head within the request's response timeout (Allow::response_timeout_ns,
//             swept by expire_responses()); its response, if it comes later, carries no breaker
//             ticket, so it is never counted twice
//   released  neither, for a request with a breaker ticket only: the client hung up (its RST, its
//             FIN before the backend gave up, the flow expired or was closed by us), or its
//             responses can no longer be followed. The breaker frees the request's slot (a
//             half-open breaker may probe again).
// Each request a breaker admitted gets exactly one record carrying its ticket.
struct ResponseRecord {
    FlowKey flow;
    unsigned status = 0;  // 0 unless outcome is response
    std::optional<std::size_t> endpoint;  // config endpoint of the request it answers
    uint64_t at_ns = 0;
    policy::BackendOutcome outcome = policy::BackendOutcome::response;
    std::optional<policy::BreakerTicket> breaker;  // the request was admitted by this breaker
};

struct FlowCounters {
    uint64_t frames = 0;
    uint64_t not_tcp = 0;           // forwarded untouched (also TCP not on an HTTP port)
    uint64_t malformed = 0;         // forwarded untouched: the kernel and the hosts judge them
    uint64_t flows_created = 0;
    uint64_t flows_closed = 0;      // FIN both ways or RST
    uint64_t flows_expired = 0;     // idle
    uint64_t untracked_full = 0;    // frames of connections bypassed because the table was full
    uint64_t refused_full = 0;      // connections reset because the table was full
    uint64_t flows_evicted = 0;     // idle flows forgotten to make room for a new connection
    uint64_t tombstones_full = 0;   // flows forgotten inside a request with no tombstone left
    uint64_t bypassed_flows = 0;
    uint64_t bypass_tunnel = 0;            // the backend confirmed a protocol switch
    // Why a connection could not be followed (each closes it, or bypasses it when so configured).
    uint64_t uninspectable_parse_error = 0;
    uint64_t uninspectable_head_too_large = 0;
    uint64_t uninspectable_buffer_limit = 0;
    uint64_t uninspectable_h2c = 0;
    uint64_t uninspectable_gap = 0;        // bytes never seen (mid-stream pickup, expired mid-request)
    uint64_t closed_uninspectable = 0;     // connections we closed for one of those reasons
    uint64_t responses_unfollowed = 0;     // response streams we stopped parsing (requests still judged)
    uint64_t requests = 0;          // heads judged
    uint64_t rejected = 0;
    uint64_t deferred_rejections = 0;
    uint64_t rejections_abandoned = 0;  // deferred, then the backend closed first
    uint64_t responses = 0;
    uint64_t retransmissions = 0;   // segments carrying no new byte
    uint64_t ignored_syns = 0;      // client SYNs on an open connection the backend did not take
    uint64_t ignored_rsts = 0;      // client RSTs the backend would not accept (not at its rcv_nxt)
    uint64_t out_of_order = 0;      // segments held or queued beyond a gap
    uint64_t body_skips = 0;        // response bodies (or parts) handed to the kernel
    uint64_t body_bytes_skipped = 0;  // of them: bytes the kernel delivered, never parsed here
    uint64_t response_timeouts = 0;   // requests with a breaker ticket unanswered in time
};

// What tests and metrics may see of one flow.
struct FlowInfo {
    enum class State { inspecting, bypass, reject_pending, rejected } state = State::inspecting;
    uint64_t requests = 0;
    uint64_t responses = 0;
    uint64_t buffered_bytes = 0;
    std::optional<BodySkip> body_skip;  // the one the kernel may be bridging now
};

// Not thread-safe: one thread (the AF_XDP engine's) owns a table and sees both directions.
class FlowTable {
public:
    // `policy` must outlive the table.
    FlowTable(FlowTableOptions options, policy::PolicyEngine& policy, policy::Clock clock);
    ~FlowTable();
    FlowTable(FlowTable&&) noexcept;
    FlowTable& operator=(FlowTable&&) noexcept;

    Verdict on_frame(std::span<const uint8_t> frame);
    // Removes flows idle longer than idle_timeout_ns; returns how many.
    std::size_t expire_idle();
    // Reports (outcome timeout) the requests with a breaker ticket whose response head has not
    // come within their response timeout; returns how many. Cheap when none is due: call it often.
    std::size_t expire_responses();
    // The flows whose body skip the kernel may be bridging now.
    std::vector<FlowKey> body_skips() const;
    // The kernel bridged a segment of `key`'s skipped body at `at_ns` (the entry's last_ns): the
    // flow was active then, though we saw nothing. Call before expire_idle() for every body_skips()
    // flow, so a download the kernel carries is not mistaken for an idle flow.
    void kernel_activity(const FlowKey& key, uint64_t at_ns);

    void set_response_observer(std::function<void(const ResponseRecord&)> observer);

    std::size_t size() const;
    // Response deadlines held (about the requests with a breaker ticket still outstanding).
    std::size_t response_deadlines() const;
    uint64_t buffered_bytes() const;
    std::optional<FlowInfo> info(const FlowKey& key) const;
    const FlowCounters& counters() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace xt::flow
