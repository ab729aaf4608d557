// Client segments: request heads to the policy engine, rejections answered on the wire.
#include <algorithm>
#include <string_view>

#include "flow_state.hpp"
#include "http/rejection.hpp"

namespace xt::flow {

using packet::seq_after;
namespace tcp_flag = packet::tcp_flag;

Verdict FlowTable::Impl::client_segment(Flow& flow, const packet::TcpFrame& seg) {
    Direction& c = flow.client;
    if (flow.state == State::bypass) {
        if (seg.has(tcp_flag::fin)) c.fin_seen = true;
        return Verdict{Action::bypass, {}, {}, std::nullopt};
    }
    if (flow.state == State::rejected) return rejected_client(flow, seg);
    if (seg.has(tcp_flag::syn)) {
        c.take_syn(seg);
        return {};
    }
    c.window = seg.window;
    if (seg.payload_len == 0 && !seg.has(tcp_flag::fin)) return {};  // ACKs always pass
    // Waiting to answer a pipelined request: the client's later bytes are dropped (it retransmits
    // them into a connection that is about to close).
    if (flow.state == State::reject_pending) return Verdict{Action::drop, {}, {}, std::nullopt};
    c.start_stream_at(seg.seq);
    if (!flow.forwarded_known) {
        flow.forwarded_known = true;
        flow.forwarded_end = c.next_seq;
    }

    Verdict out;
    if (c.fin_seen && packet::seq_after(seg.seq + static_cast<uint32_t>(seg.payload_len), c.fin_seq)) {
        // Bytes at or past the client's own FIN: a receiver ignores them (RFC 9293, CLOSE-WAIT), we
        // never parsed them, and they must not pass as retransmissions.
        out.action = Action::drop;
        return out;
    }
    if (packet::seq_before(seg.seq, c.stream_base)) {
        // Bytes before the first we saw (of a connection picked up mid-stream, or before the SYN
        // we took for this connection's: the backend may still be on an older one): never parsed,
        // so they cannot pass as "already seen" retransmissions.
        out.action = cannot_follow(flow, seg, Uninspectable::gap, std::nullopt, out) ? Action::bypass
                                                                                      : Action::drop;
        return out;
    }
    const SequenceSplit split = split_sequence(c, seg);
    if (split.kind == SequenceSplit::Kind::future) {
        ++counters.out_of_order;
        if (hold(flow, c, seg)) {
            out.action = Action::drop;  // the copy waits for the gap
            return out;
        }
        // A gap we cannot wait for: what fills it is never seen, so no answer has a place.
        out.action = cannot_follow(flow, seg, Uninspectable::buffer_limit, std::nullopt, out)
                         ? Action::bypass
                         : Action::drop;
        return out;
    }
    if (split.kind == SequenceSplit::Kind::old) {
        ++counters.retransmissions;
        return out;  // forwarded again, never parsed again
    }
    const bool forward = client_in_order(flow, seg, split.skip, out);
    out.action = forward ? Action::forward : Action::drop;

    // The gap may be filled now: process held segments in order, as if they arrived now.
    while (flow.state == State::inspecting) {
        auto held = next_ready(c);
        if (!held) break;
        const packet::ParsedFrame again = packet::parse_frame(held->frame);
        const SequenceSplit s = split_sequence(c, again.tcp);
        if (s.kind == SequenceSplit::Kind::old) {
            ++counters.retransmissions;
            out.onward.push_back(std::move(held->frame));
        } else if (client_in_order(flow, again.tcp, s.skip, out)) {
            out.onward.push_back(std::move(held->frame));
        }
    }
    if (flow.state == State::bypass) {
        if (out.action == Action::forward) out.action = Action::bypass;
    } else if (flow.state != State::inspecting) {
        release_held(flow, c, nullptr);  // behind a rejection: never for the backend
    }
    return out;
}

bool FlowTable::Impl::client_in_order(Flow& flow, const packet::TcpFrame& seg, std::size_t skip,
                                      Verdict& out) {
    Direction& c = flow.client;
    auto events = parse_in_order(c, seg, skip);
    for (auto& e : events) {
        if (e.type != http::StreamEvent::Type::head) continue;
        // HTTP/2 with prior knowledge ("PRI * HTTP/2.0"): requests we would not see.
        if (e.head.version_major >= 2)
            return cannot_follow(flow, seg, Uninspectable::h2c, c.seq_of(e.message_start), out);
        ++counters.requests;
        policy::RequestInfo request;
        request.method = e.head.method;
        request.target = e.head.target;
        request.headers = &e.head.headers;
        request.client = flow.key.client;
        request.backend = flow.key.server;
        request.backend_port = flow.key.server_port;
        const policy::Decision decision = policy->decide(request);
        if (const auto* rejected = std::get_if<policy::Reject>(&decision)) {
            ++counters.rejected;
            reject(flow, seg, http::render_rejection(policy::to_rejection(*rejected)),
                   c.seq_of(e.message_start), out);
            return false;
        }
        ++flow.requests_allowed;
        const auto& allowed = std::get<policy::Allow>(decision);
        Flow::Pending pending{allowed.endpoint, e.head.upgrade, allowed.breaker, next_request_id++};
        if (allowed.breaker) add_deadline(allowed.response_timeout_ns, flow.key, pending.id);
        flow.pending_endpoints.push_back(pending);
        flow.server.parser.expect_response_to(e.head.method);
    }
    if (const auto& failure = c.parser.failure()) {
        // A broken head at a message boundary gets nginx's answer; a broken body (its head was
        // allowed and forwarded), or bytes of a connection picked up mid-stream, only resets.
        const bool boundary = failure->in_head && (c.opened || failure->message_start > 0);
        return cannot_follow(flow, seg,
                             failure->head_too_large ? Uninspectable::head_too_large : Uninspectable::parse_error,
                             boundary ? std::optional(c.seq_of(failure->message_start)) : std::nullopt, out);
    }
    if (buffered_total > options.max_buffered_bytes_total)
        return cannot_follow(flow, seg, Uninspectable::buffer_limit, std::nullopt, out);
    const uint32_t payload_end = seg.seq + static_cast<uint32_t>(seg.payload_len);
    if (seq_after(payload_end, flow.forwarded_end)) flow.forwarded_end = payload_end;
    return true;
}

void FlowTable::Impl::reject(Flow& flow, const packet::TcpFrame& seg, std::string response,
                             uint32_t message_seq, Verdict& out) {
    flow.answer = std::move(response);
    // Allowed requests before the rejected one in this segment still go to the backend, in a copy
    // of the segment cut where the rejected request starts.
    const std::size_t prefix =
        seq_after(message_seq, seg.seq) ? std::min<std::size_t>(message_seq - seg.seq, seg.payload_len) : 0;
    const uint32_t prefix_end = seg.seq + static_cast<uint32_t>(prefix);
    if (prefix > 0 && seq_after(prefix_end, flow.forwarded_end)) {
        packet::SegmentFields cut;
        cut.seq = seg.seq;
        cut.ack = seg.ack;
        cut.flags = tcp_flag::ack | tcp_flag::psh;
        cut.window = seg.window;
        cut.timestamps = seg.timestamps;
        cut.payload = seg.payload().first(prefix);
        out.onward.push_back(packet::build_segment(seg, packet::Orientation::as_template, cut));
        flow.forwarded_end = prefix_end;
    }
    if (flow.responses_lost || flow.server.fin_seen) {
        // The server's stream is not followed, or it has ended (no byte can follow its FIN): no
        // place for an answer in it.
        reset_both(flow, seg, true, out);
        return;
    }
    flow.answer_backend_seq = flow.forwarded_end;
    flow.answer_client_ack = flow.client.next_seq;
    if (flow.outstanding() == 0) {
        // The client's ACK field is what it has received from the server; bytes the server sent
        // that are still on their way would come first.
        uint32_t server_seq = seg.ack;
        if (flow.server.seq_known && seq_after(flow.server.next_seq, server_seq))
            server_seq = flow.server.next_seq;
        answer_now(flow, seg, packet::Sender::client, server_seq, out);
    } else {
        flow.state = State::reject_pending;
        ++counters.deferred_rejections;
    }
}

Verdict FlowTable::Impl::rejected_client(Flow& flow, const packet::TcpFrame& seg) {
    // The backend is gone; we answer for it like a closed server: ACK the client's FIN, RST data.
    // seq = the client's ACK field, which is exactly what it expects from us.
    Verdict out;
    out.action = Action::drop;
    if (seg.has(tcp_flag::fin) || seg.payload_len > 0) {
        packet::SegmentFields f;
        f.seq = seg.ack;
        f.ack = seg.seq_end();
        f.flags = seg.has(tcp_flag::fin) ? tcp_flag::ack : (tcp_flag::rst | tcp_flag::ack);
        f.window = seg.has(tcp_flag::fin) ? flow.client.window : 0;
        if (seg.has(tcp_flag::fin) && seg.timestamps)
            f.timestamps = packet::TcpTimestamps{seg.timestamps->echo, seg.timestamps->value};
        out.back.push_back(packet::build_segment(seg, packet::Orientation::reversed, f));
        if (seg.has(tcp_flag::fin)) flow.client.fin_seen = true;
    }
    return out;
}

void FlowTable::Impl::answer_now(Flow& flow, const packet::TcpFrame& tmpl, packet::Sender sender,
                                 uint32_t server_seq, Verdict& out) {
    packet::AnswerPoint point;
    point.server_seq = server_seq;
    point.client_ack = flow.answer_client_ack;
    point.backend_seq = flow.answer_backend_seq;
    // Without the client's SYN we do not know its MSS: the protocol minimum of its family.
    point.client_mss = flow.client.mss.value_or(tmpl.ipv6 ? 1220 : 536);
    point.window = flow.server.window;
    packet::AnswerFrames frames = packet::build_answer(tmpl, sender, point, flow.answer);
    auto& toward_client = sender == packet::Sender::client ? out.back : out.onward;
    auto& toward_backend = sender == packet::Sender::client ? out.onward : out.back;
    for (auto& f : frames.to_client) toward_client.push_back(std::move(f));
    toward_backend.push_back(std::move(frames.to_backend));
    flow.state = State::rejected;
    flow.answer.clear();
    end_body_skip(flow, out);  // the backend is reset: none of its bytes may reach the client now
}

}  // namespace xt::flow
