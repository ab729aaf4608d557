// Dispatch of frames to flows, the table's limits, out-of-order queues and expiry.
#include <algorithm>
#include <cstring>

#include "flow_state.hpp"
#include "http/rejection.hpp"

namespace xt::flow {

namespace {
constexpr uint64_t kTombstoneLifetimeNs = 3600ull * 1'000'000'000;
}  // namespace

using packet::seq_after;
using packet::seq_before;
namespace tcp_flag = packet::tcp_flag;

bool FlowKey::operator==(const FlowKey& o) const {
    return std::memcmp(client.w, o.client.w, 16) == 0 && std::memcmp(server.w, o.server.w, 16) == 0 &&
           client_port == o.client_port && server_port == o.server_port;
}

std::size_t FlowKeyHash::operator()(const FlowKey& k) const {
    // FNV-1a over the key's bytes: cheap, and good enough for addresses an attacker cannot
    // choose freely on a TCP flow that passed the SYN limits.
    uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&h](const void* p, std::size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
    };
    mix(k.client.w, 16);
    mix(k.server.w, 16);
    mix(&k.client_port, 2);
    mix(&k.server_port, 2);
    return static_cast<std::size_t>(h);
}

FlowTableOptions FlowTableOptions::from(const config::GatewaySettings& settings) {
    FlowTableOptions o;
    o.http_ports = settings.http_ports.value_or(HttpPorts{}).values();
    o.max_flows = settings.flows.max_flows;
    o.max_buffered_bytes_per_flow = settings.flows.max_buffered_bytes_per_flow;
    o.idle_timeout_ns = settings.flows.idle_timeout_ns;
    o.stream_limits.max_head_bytes = settings.flows.max_head_bytes;
    o.on_uninspectable = settings.on_uninspectable;
    return o;
}

SequenceSplit split_sequence(const Direction& dir, const packet::TcpFrame& seg) {
    SequenceSplit s;
    // The FIN counts: a FIN-only segment at next_seq is new, its retransmission is old.
    const uint32_t end = seg.seq + static_cast<uint32_t>(seg.payload_len) + (seg.has(tcp_flag::fin) ? 1 : 0);
    if (seq_after(seg.seq, dir.next_seq)) {
        s.kind = SequenceSplit::Kind::future;
    } else if (!seq_after(end, dir.next_seq)) {
        s.kind = SequenceSplit::Kind::old;
    } else {
        s.skip = std::min<std::size_t>(dir.next_seq - seg.seq, seg.payload_len);
    }
    return s;
}

bool FlowTable::Impl::is_http_port(uint16_t port) const {
    return std::find(options.http_ports.begin(), options.http_ports.end(), port) != options.http_ports.end();
}

void FlowTable::Impl::report(const Flow& flow, Flow::Pending& pending, policy::BackendOutcome outcome,
                             unsigned status) {
    if (observer) {
        ResponseRecord record;
        record.flow = flow.key;
        record.status = status;
        record.endpoint = pending.endpoint;
        record.at_ns = flow.last_seen_ns;
        record.outcome = outcome;
        record.breaker = pending.breaker;
        observer(record);
    }
    if (pending.breaker) --tickets_outstanding;
    pending.breaker.reset();
}

void FlowTable::Impl::settle_unanswered(Flow& flow, policy::BackendOutcome outcome) {
    // A release concerns only requests a breaker waits for; a reset is reported for every request
    // (the status-0 record tells what the backend did, breaker or not).
    for (auto& pending : flow.pending_endpoints)
        if (outcome != policy::BackendOutcome::released || pending.breaker) report(flow, pending, outcome, 0);
    flow.pending_endpoints.clear();
}

policy::BackendOutcome FlowTable::Impl::backend_gave_up(const Flow& flow) const {
    // A client that closed its side first hung up: a proxy behind us (nginx) aborts the request
    // and closes too. Not the backend's failure.
    return flow.client.fin_seen ? policy::BackendOutcome::released : policy::BackendOutcome::reset;
}

void FlowTable::Impl::remove(std::unordered_map<FlowKey, Flow, FlowKeyHash>::iterator it) {
    settle_unanswered(it->second, policy::BackendOutcome::released);
    // Forgotten inside a request (a head or body half sent, the backend still reading it): its next
    // bytes must not be picked up as if a request started there. They are reset if they come back
    // within kTombstoneLifetimeNs; a backend closes such a connection itself long before (nginx's
    // client_header_timeout and client_body_timeout, 60 s). Bounded like the table.
    const Flow& f = it->second;
    if (options.on_uninspectable == config::OnUninspectable::close && f.state == State::inspecting &&
        f.client.parser.in_message()) {
        if (tombstones.size() < options.max_flows)
            tombstones[it->first] = clock() + std::max(options.idle_timeout_ns, kTombstoneLifetimeNs);
        else
            ++counters.tombstones_full;  // counted: only the backend's own timeout protects it now
    }
    buffered_total -= it->second.buffered();
    lru.erase(it->second.lru_pos);
    flows.erase(it);
}

std::unordered_map<FlowKey, Flow, FlowKeyHash>::iterator FlowTable::Impl::create(const FlowKey& key) {
    auto it = flows.emplace(key, Flow(key, options.stream_limits)).first;
    lru.push_front(key);
    it->second.lru_pos = lru.begin();
    ++counters.flows_created;
    return it;
}

bool FlowTable::Impl::evict_idle(uint64_t now) {
    // Only a flow that forgetting cannot hurt: between requests (its next bytes start a request,
    // picked up again like after a restart), or one we no longer inspect. Never one inside a
    // request: it would be picked up mid-request. Idle for a second at least, so no retransmission
    // of its last bytes is still on its way. The oldest 64 are looked at, no more.
    constexpr uint64_t kMinIdleNs = 1'000'000'000;
    int looked = 0;
    for (auto k = lru.rbegin(); k != lru.rend() && looked < 64; ++k, ++looked) {
        auto it = flows.find(*k);
        const Flow& f = it->second;
        if (now - f.last_seen_ns < kMinIdleNs) return false;  // the rest are more recent still
        const bool idle_between_requests =
            f.state == State::inspecting && !f.client.parser.in_message() && !f.server.parser.in_message() &&
            f.outstanding() == 0 && f.buffered() == 0 && !f.body_skip && !f.pending_syn;
        if (f.state == State::bypass || f.state == State::rejected || idle_between_requests) {
            remove(it);
            ++counters.flows_evicted;
            return true;
        }
    }
    return false;
}

bool FlowTable::Impl::hold(Flow& flow, Direction& dir, const packet::TcpFrame& seg) {
    for (const auto& h : dir.held)
        if (h.seq == seg.seq && h.frame.size() >= seg.bytes.size()) return true;  // a duplicate
    const uint64_t size = seg.bytes.size();
    const uint64_t flow_bytes = flow.client.held_bytes + flow.server.held_bytes;
    if (flow_bytes + size > options.max_buffered_bytes_per_flow ||
        buffered_total + size > options.max_buffered_bytes_total)
        return false;
    dir.held.push_back({seg.seq, packet::Frame(seg.bytes.begin(), seg.bytes.end())});
    dir.held_bytes += size;
    buffered_total += size;
    return true;
}

void FlowTable::Impl::release_held(Flow&, Direction& dir, std::vector<packet::Frame>* to) {
    // In sequence order from next_seq, so the receiver sees them as the sender sent them.
    const uint32_t base = dir.next_seq;
    std::sort(dir.held.begin(), dir.held.end(), [base](const HeldSegment& a, const HeldSegment& b) {
        return a.seq - base < b.seq - base;  // distance from next_seq, modulo 2^32
    });
    if (to)
        for (auto& h : dir.held) to->push_back(std::move(h.frame));
    buffered_total -= dir.held_bytes;
    dir.held.clear();
    dir.held_bytes = 0;
}

void FlowTable::Impl::to_bypass(Flow& flow, Verdict& out, bool from_client) {
    if (flow.state == State::bypass) return;
    flow.state = State::bypass;
    out.bypass_flow = flow.key;
    ++counters.bypassed_flows;
    settle_unanswered(flow, policy::BackendOutcome::released);  // responses are not read any more
    // The whole-flow entry the controller writes replaces a body skip of the same key in the
    // kernel (bridging everything the skip bridged): nothing to remove there.
    flow.body_skip.reset();
    // Held client frames were never forwarded: they go to the backend now. Server copies were.
    release_held(flow, flow.client, from_client ? &out.onward : &out.back);
    release_held(flow, flow.server, nullptr);
}

void FlowTable::Impl::end_body_skip(Flow& flow, Verdict& out) {
    if (!flow.body_skip) return;
    flow.body_skip.reset();
    // Asked for in this verdict too (one body ended, the next began): never to be written now.
    out.body_skip.reset();
    out.body_skip_done = flow.key;
}

std::optional<HeldSegment> FlowTable::Impl::next_ready(Direction& dir) {
    for (std::size_t i = 0; i < dir.held.size(); ++i) {
        if (seq_after(dir.held[i].seq, dir.next_seq)) continue;
        HeldSegment h = std::move(dir.held[i]);
        dir.held.erase(dir.held.begin() + static_cast<std::ptrdiff_t>(i));
        dir.held_bytes -= h.frame.size();
        buffered_total -= h.frame.size();
        return h;
    }
    return std::nullopt;
}

std::vector<http::StreamEvent> FlowTable::Impl::parse_in_order(Direction& dir,
                                                              const packet::TcpFrame& seg,
                                                              std::size_t skip) {
    const auto payload = seg.payload().subspan(skip);
    dir.next_seq = seg.seq_end();
    std::vector<http::StreamEvent> events;
    if (!payload.empty() && !dir.parser.failure()) {
        auto fed = dir.parser.feed({reinterpret_cast<const char*>(payload.data()), payload.size()});
        if (fed) events = std::move(*fed);
        // A head being read lives in the parser: an attacker's many half-sent heads count toward
        // max_buffered_bytes_total like held segments do.
        const uint64_t head = dir.parser.head_bytes_buffered();
        buffered_total = buffered_total - dir.head_bytes + head;
        dir.head_bytes = head;
    }
    if (seg.has(tcp_flag::fin)) {
        dir.fin_seen = true;
        dir.fin_seq = seg.seq + static_cast<uint32_t>(seg.payload_len);
        // Ends a close-delimited response. A message cut short by the FIN is not ours to judge: the
        // other end sees it as it would without us (a request head cut short is no request).
        if (dir.kind == http::StreamKind::responses && !dir.parser.failure())
            if (auto finished = dir.parser.finish())
                for (auto& e : *finished) events.push_back(std::move(e));
    }
    return events;
}

bool FlowTable::Impl::cannot_follow(Flow& flow, const packet::TcpFrame& seg, Uninspectable why,
                                    std::optional<uint32_t> answer_at, Verdict& out) {
    switch (why) {
    case Uninspectable::parse_error: ++counters.uninspectable_parse_error; break;
    case Uninspectable::head_too_large: ++counters.uninspectable_head_too_large; break;
    case Uninspectable::buffer_limit: ++counters.uninspectable_buffer_limit; break;
    case Uninspectable::h2c: ++counters.uninspectable_h2c; break;
    case Uninspectable::gap: ++counters.uninspectable_gap; break;
    }
    if (options.on_uninspectable == config::OnUninspectable::bypass) {
        to_bypass(flow, out, true);
        return true;
    }
    ++counters.closed_uninspectable;
    // An answer needs the server's byte stream at a response boundary (known only while responses
    // are followed) and a request head to answer; otherwise nobody can place it: reset.
    if (answer_at && !flow.responses_lost) {
        http::Rejection r;
        r.status = why == Uninspectable::head_too_large ? 431 : 400;
        r.retry_after_s = 0;
        r.limit_name = why == Uninspectable::h2c ? "h2c" : "";
        reject(flow, seg, http::render_rejection(r), *answer_at, out);
    } else {
        reset_both(flow, seg, true, out);
    }
    return false;
}

namespace {

// RST to the client (as the server, seq = its rcv_nxt) and to the backend (as the client).
void reset_frames(const packet::TcpFrame& seg, bool from_client, uint32_t client_rcv,
                  uint32_t backend_rcv, Verdict& out) {
    packet::SegmentFields to_client;
    to_client.seq = client_rcv;
    to_client.flags = tcp_flag::rst;
    packet::SegmentFields to_backend;
    to_backend.seq = backend_rcv;
    to_backend.flags = tcp_flag::rst;
    auto& toward_client = from_client ? out.back : out.onward;
    auto& toward_backend = from_client ? out.onward : out.back;
    toward_client.push_back(packet::build_segment(
        seg, from_client ? packet::Orientation::reversed : packet::Orientation::as_template, to_client));
    toward_backend.push_back(packet::build_segment(
        seg, from_client ? packet::Orientation::as_template : packet::Orientation::reversed, to_backend));
}

}  // namespace

Verdict FlowTable::Impl::reset_unknown(const packet::TcpFrame& seg, bool from_client) {
    Verdict out;
    out.action = Action::drop;
    reset_frames(seg, from_client, from_client ? seg.ack : seg.seq, from_client ? seg.seq : seg.ack, out);
    return out;
}

void FlowTable::Impl::reset_both(Flow& flow, const packet::TcpFrame& seg, bool from_client, Verdict& out) {
    // To the client as the server: its rcv_nxt is the ACK field of its own segment, or the
    // sequence number of the server segment we are dropping. To the backend as the client: the
    // first client byte it never received.
    const uint32_t client_rcv = from_client ? seg.ack : seg.seq;
    const uint32_t backend_rcv = flow.forwarded_known ? flow.forwarded_end : (from_client ? seg.seq : seg.ack);
    reset_frames(seg, from_client, client_rcv, backend_rcv, out);
    flow.state = State::rejected;
    flow.answer.clear();
    settle_unanswered(flow, policy::BackendOutcome::released);  // we reset the backend: no answer
    end_body_skip(flow, out);  // none of the backend's bytes may reach the client now
    release_held(flow, flow.client, nullptr);
    release_held(flow, flow.server, nullptr);
}

void FlowTable::Impl::lose_responses(Flow& flow, const packet::TcpFrame& seg, Verdict& out) {
    if (flow.responses_lost) return;
    flow.responses_lost = true;
    ++counters.responses_unfollowed;
    settle_unanswered(flow, policy::BackendOutcome::released);  // their outcomes will not be seen
    end_body_skip(flow, out);  // its end would never be seen
    buffered_total -= flow.server.head_bytes;
    flow.server.head_bytes = 0;
    release_held(flow, flow.server, nullptr);  // copies only: the frames were forwarded
    // A rejection waiting for response boundaries would wait forever now.
    if (flow.state == State::reject_pending) {
        ++counters.rejections_abandoned;
        reset_both(flow, seg, false, out);
    }
}

FlowTable::FlowTable(FlowTableOptions options, policy::PolicyEngine& policy, policy::Clock clock)
    : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->policy = &policy;
    impl_->clock = std::move(clock);
}
FlowTable::~FlowTable() = default;
FlowTable::FlowTable(FlowTable&&) noexcept = default;
FlowTable& FlowTable::operator=(FlowTable&&) noexcept = default;

Verdict FlowTable::on_frame(std::span<const uint8_t> frame) {
    Impl& m = *impl_;
    ++m.counters.frames;
    const packet::ParsedFrame parsed = packet::parse_frame(frame);
    if (parsed.kind == packet::FrameKind::malformed) {
        ++m.counters.malformed;
        return {};
    }
    if (parsed.kind == packet::FrameKind::other) {
        ++m.counters.not_tcp;
        return {};
    }
    const packet::TcpFrame& seg = parsed.tcp;
    bool from_client;
    if (m.is_http_port(seg.ends.dst_port)) {
        from_client = true;
    } else if (m.is_http_port(seg.ends.src_port)) {
        from_client = false;
    } else {
        ++m.counters.not_tcp;
        return {};
    }
    const FlowKey key = from_client
                            ? FlowKey{seg.ends.src, seg.ends.dst, seg.ends.src_port, seg.ends.dst_port}
                            : FlowKey{seg.ends.dst, seg.ends.src, seg.ends.dst_port, seg.ends.src_port};
    auto it = m.flows.find(key);
    const bool client_syn = from_client && seg.has(tcp_flag::syn) && !seg.has(tcp_flag::ack);
    std::optional<FlowKey> reused_skip;
    if (it != m.flows.end() && client_syn &&
        !(it->second.state == State::inspecting && it->second.client.opened &&
          it->second.client.next_seq == seg.seq + 1 && !it->second.forwarded_known)) {
        // A SYN other than a retransmission of this flow's own: a new connection reusing the
        // 4-tuple (the old one closed out of our sight), or a client's trick — a backend ignores a
        // SYN on an open connection, and a table that started afresh would take the old
        // connection's next bytes for retransmissions. Only the backend's SYN-ACK to it decides.
        it->second.pending_syn = packet::Frame(seg.bytes.begin(), seg.bytes.end());
        ++m.counters.ignored_syns;
        return {};
    }
    if (it != m.flows.end() && !from_client && seg.has(tcp_flag::syn) && it->second.pending_syn) {
        const packet::ParsedFrame syn = packet::parse_frame(*it->second.pending_syn);
        if (seg.ack == syn.tcp.seq + 1) {
            // The backend took it: a new connection. (The program deleted the kernel's entry at
            // the SYN; a body skip still on its way there is removed after it.)
            --m.counters.ignored_syns;
            if (it->second.body_skip) reused_skip = key;
            m.remove(it);
            ++m.counters.flows_closed;
            it = m.create(key);
            m.tombstones.erase(key);  // the old connection is gone: the backend took a new one
            it->second.client.take_syn(syn.tcp);
        }
    }
    if (it == m.flows.end()) {
        // Tracking starts at a client SYN or at the first payload; bare ACKs, FINs and RSTs of
        // connections we do not know (closed, expired, untracked) just pass.
        if (client_syn) m.tombstones.erase(key);
        if (seg.has(tcp_flag::rst) || (seg.payload_len == 0 && !client_syn)) return {};
        if (auto tomb = m.tombstones.find(key); tomb != m.tombstones.end()) {
            // Forgotten inside a request: its bytes from here on belong to a head or body we lost.
            m.tombstones.erase(tomb);
            ++m.counters.uninspectable_gap;
            ++m.counters.closed_uninspectable;
            return m.reset_unknown(seg, from_client);
        }
        if (m.flows.size() >= m.options.max_flows) expire_idle();
        if (m.flows.size() >= m.options.max_flows) m.evict_idle(m.clock());
        if (m.flows.size() >= m.options.max_flows) {
            // No room and nothing that can be forgotten: this connection would go uninspected.
            if (m.options.on_uninspectable == config::OnUninspectable::bypass) {
                ++m.counters.untracked_full;
                return Verdict{Action::bypass, {}, {}, key};
            }
            ++m.counters.refused_full;
            if (!client_syn) return m.reset_unknown(seg, from_client);
            // Refused like a closed port: RST|ACK acknowledging the SYN.
            Verdict refused;
            refused.action = Action::drop;
            packet::SegmentFields rst;
            rst.seq = 0;
            rst.ack = seg.seq + 1;
            rst.flags = tcp_flag::rst | tcp_flag::ack;
            refused.back.push_back(packet::build_segment(seg, packet::Orientation::reversed, rst));
            return refused;
        }
        it = m.create(key);
    }
    Flow& flow = it->second;
    flow.last_seen_ns = m.clock();
    m.lru.splice(m.lru.begin(), m.lru, flow.lru_pos);
    if (seg.has(tcp_flag::rst) && from_client && flow.client.seq_known &&
        seg.seq != flow.client.next_seq && !(flow.forwarded_known && seg.seq == flow.forwarded_end)) {
        // Not at the backend's rcv_nxt: it answers with a challenge ACK and keeps the connection
        // (RFC 5961), so we keep the flow too. Forgetting it would pick up the next bytes mid-request.
        ++m.counters.ignored_rsts;
        return {};
    }
    if (seg.has(tcp_flag::rst)) {
        if (!from_client && (flow.state == State::inspecting || flow.state == State::reject_pending) &&
            !flow.responses_lost && flow.outstanding() > 0)
            m.settle_unanswered(flow, m.backend_gave_up(flow));
        Verdict closed;
        m.end_body_skip(flow, closed);
        m.remove(it);
        ++m.counters.flows_closed;
        return closed;
    }
    Verdict v = from_client ? m.client_segment(flow, seg) : m.server_segment(flow, seg);
    if (reused_skip && !v.body_skip_done) v.body_skip_done = reused_skip;
    if (flow.client.fin_seen && (flow.server.fin_seen || flow.state == State::rejected)) {
        m.end_body_skip(flow, v);
        m.remove(it);
        ++m.counters.flows_closed;
    }
    return v;
}

std::size_t FlowTable::expire_idle() {
    Impl& m = *impl_;
    const uint64_t now = m.clock();
    std::size_t removed = 0;
    // Oldest first, and only as far as flows are idle: the sweep costs what it removes.
    while (!m.lru.empty()) {
        auto it = m.flows.find(m.lru.back());
        if (now - it->second.last_seen_ns <= m.options.idle_timeout_ns) break;
        m.remove(it);  // leaves a tombstone when inside a request
        ++removed;
    }
    if (now - m.last_tombstone_sweep_ns >= 1'000'000'000) {  // not on every call of a full table
        m.last_tombstone_sweep_ns = now;
        for (auto it = m.tombstones.begin(); it != m.tombstones.end();)
            it = now > it->second ? m.tombstones.erase(it) : std::next(it);
    }
    m.counters.flows_expired += removed;
    return removed;
}

void FlowTable::Impl::add_deadline(uint64_t timeout_ns, const FlowKey& flow, uint64_t request) {
    auto queue = std::find_if(deadlines.begin(), deadlines.end(),
                              [&](const DeadlineQueue& q) { return q.timeout_ns == timeout_ns; });
    if (queue == deadlines.end()) queue = deadlines.insert(deadlines.end(), DeadlineQueue{timeout_ns, {}});
    queue->due.push_back({clock() + timeout_ns, flow, request});
    ++deadline_entries;
    ++tickets_outstanding;
    // Answered requests' entries would pile up for a whole timeout; dropped once they are more
    // than half of the queues (amortized O(1) per request).
    if (deadline_entries > 2 * tickets_outstanding + 1024) compact_deadlines();
}

bool FlowTable::Impl::deadline_live(const ResponseDeadline& due) const {
    auto it = flows.find(due.flow);
    if (it == flows.end()) return false;
    for (const auto& pending : it->second.pending_endpoints)
        if (pending.id == due.request) return pending.breaker.has_value();
    return false;
}

void FlowTable::Impl::compact_deadlines() {
    deadline_entries = 0;
    for (auto& queue : deadlines) {
        std::erase_if(queue.due, [this](const ResponseDeadline& due) { return !deadline_live(due); });
        deadline_entries += queue.due.size();
    }
}

std::size_t FlowTable::expire_responses() {
    Impl& m = *impl_;
    if (m.deadlines.empty()) return 0;
    const uint64_t now = m.clock();
    std::size_t expired = 0;
    for (auto& queue : m.deadlines) {
        while (!queue.due.empty() && queue.due.front().at_ns <= now) {
            const ResponseDeadline due = queue.due.front();
            queue.due.pop_front();
            --m.deadline_entries;
            auto it = m.flows.find(due.flow);
            if (it == m.flows.end()) continue;  // settled when the flow went
            for (auto& pending : it->second.pending_endpoints) {
                if (pending.id != due.request) continue;
                if (pending.breaker) {
                    m.report(it->second, pending, policy::BackendOutcome::timeout, 0);
                    ++m.counters.response_timeouts;
                    ++expired;
                }
                break;
            }
        }
    }
    return expired;
}

std::vector<FlowKey> FlowTable::body_skips() const {
    std::vector<FlowKey> keys;
    for (const auto& [key, flow] : impl_->flows)
        if (flow.body_skip) keys.push_back(key);
    return keys;
}

void FlowTable::kernel_activity(const FlowKey& key, uint64_t at_ns) {
    auto it = impl_->flows.find(key);
    if (it == impl_->flows.end() || !it->second.body_skip) return;
    // Never ahead of our own clock: expire_idle measures idle time as now - last_seen_ns.
    Flow& flow = it->second;
    flow.last_seen_ns = std::max(flow.last_seen_ns, std::min(at_ns, impl_->clock()));
}

void FlowTable::set_response_observer(std::function<void(const ResponseRecord&)> observer) {
    impl_->observer = std::move(observer);
}

std::size_t FlowTable::size() const { return impl_->flows.size(); }
std::size_t FlowTable::response_deadlines() const { return impl_->deadline_entries; }
uint64_t FlowTable::buffered_bytes() const { return impl_->buffered_total; }
const FlowCounters& FlowTable::counters() const { return impl_->counters; }

std::optional<FlowInfo> FlowTable::info(const FlowKey& key) const {
    auto it = impl_->flows.find(key);
    if (it == impl_->flows.end()) return std::nullopt;
    const Flow& f = it->second;
    return FlowInfo{f.state, f.requests_allowed, f.responses_done, f.buffered(), f.body_skip};
}

}  // namespace xt::flow
