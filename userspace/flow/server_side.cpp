// Server segments: status lines for the circuit breaker, the moment a deferred rejection may
// be answered (the backend has finished every response before it), and the response bodies the
// kernel may bridge without us (body skips, flow_table.hpp).
#include <algorithm>
#include <string_view>

#include "flow_state.hpp"

namespace xt::flow {

using packet::seq_before;
namespace tcp_flag = packet::tcp_flag;

namespace {

// A 101 whose Upgrade names h2c (RFC 7540 3.2).
bool is_h2c(const http::MessageHead& head) {
    auto upgrade = head.header("Upgrade");
    if (!upgrade) return false;
    std::string_view rest = *upgrade;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view token = rest.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
        if (http::iequals(token, "h2c")) return true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

Verdict FlowTable::Impl::server_segment(Flow& flow, const packet::TcpFrame& seg) {
    Direction& s = flow.server;
    if (flow.state == State::bypass) {
        if (seg.has(tcp_flag::fin)) s.fin_seen = true;
        return Verdict{Action::bypass, {}, {}, std::nullopt};
    }
    if (flow.state == State::rejected) return Verdict{Action::drop, {}, {}, std::nullopt};  // we RST it
    if (seg.has(tcp_flag::syn)) {
        s.take_syn(seg);
        return {};
    }
    s.window = seg.window;
    if (seg.payload_len == 0 && !seg.has(tcp_flag::fin)) return {};
    s.start_stream_at(seg.seq);
    if (flow.responses_lost) {
        // Forwarded untouched; only the end of the connection still matters.
        if (seg.has(tcp_flag::fin)) s.fin_seen = true;
        return {};
    }

    Verdict out;
    SequenceSplit split = split_sequence(s, seg);
    if (split.kind == SequenceSplit::Kind::future && skip_gap(flow, seg)) split = split_sequence(s, seg);
    if (split.kind == SequenceSplit::Kind::future) {
        // Forwarded at once (responses need no verdict); only the copy waits to be parsed.
        ++counters.out_of_order;
        if (!flow.responses_lost && !hold(flow, s, seg)) lose_responses(flow, seg, out);
        if (flow.state == State::rejected) out.action = Action::drop;
        return out;
    }
    if (split.kind == SequenceSplit::Kind::old) {
        ++counters.retransmissions;
        return out;
    }
    server_in_order(flow, seg, split.skip, out);
    while (flow.state == State::inspecting || flow.state == State::reject_pending) {
        auto held = next_ready(s);
        if (!held) break;
        const packet::ParsedFrame again = packet::parse_frame(held->frame);
        const SequenceSplit sp = split_sequence(s, again.tcp);
        if (sp.kind == SequenceSplit::Kind::in_order) server_in_order(flow, again.tcp, sp.skip, out);
    }
    // The backend closed with requests unanswered (nginx's `return 444`, a crash): nothing can
    // answer them on this connection any more.
    if (s.fin_seen && !flow.responses_lost) settle_unanswered(flow, backend_gave_up(flow));
    if (flow.state == State::bypass) {
        out.action = Action::bypass;
    } else if (flow.state == State::rejected) {
        out.action = Action::drop;  // reset in its place (h2c, or a pending answer we cannot place)
    } else if (flow.state == State::reject_pending) {
        if (s.fin_seen) {
            // The backend closes first (a close-delimited response): the connection ends without
            // the pipelined request ever being answered, as it would without us. Its last bytes
            // and FIN go on; the backend is reset so that nothing the client sends after (its
            // rejected request again) is read by a backend that only closed its sending side.
            ++counters.rejections_abandoned;
            packet::SegmentFields rst;
            rst.seq = flow.forwarded_known ? flow.forwarded_end : seg.ack;
            rst.flags = tcp_flag::rst;
            out.back.push_back(packet::build_segment(seg, packet::Orientation::reversed, rst));
            flow.state = State::rejected;
            end_body_skip(flow, out);
        } else if (flow.outstanding() == 0) {
            answer_now(flow, seg, packet::Sender::server, s.next_seq, out);
        }
    }
    update_body_skip(flow, out);
    return out;
}

bool FlowTable::Impl::skip_gap(Flow& flow, const packet::TcpFrame& seg) {
    Direction& s = flow.server;
    if (!flow.body_skip) return false;
    // The kernel bridges only segments inside [start_seq, end_seq - 1): a gap that starts there
    // and a segment that starts before end_seq (it carries the last byte, or lies inside) mean
    // the gap's bytes are body bytes the kernel passed on. They are never parsed, so whether they
    // have reached the client yet does not matter: the body's length says where it ends.
    if (seq_before(s.next_seq, flow.body_skip->start_seq) || !seq_before(seg.seq, flow.body_skip->end_seq))
        return false;
    const uint32_t gap = seg.seq - s.next_seq;
    if (!s.parser.skip_body(gap)) return false;  // cannot happen: the parser is inside that body
    s.next_seq = seg.seq;
    counters.body_bytes_skipped += gap;
    return true;
}

void FlowTable::Impl::update_body_skip(Flow& flow, Verdict& out) {
    Direction& s = flow.server;
    if (flow.body_skip && !seq_before(s.next_seq, flow.body_skip->end_seq)) end_body_skip(flow, out);
    // Only while this flow's responses are followed here (a rejected flow's backend is reset, a
    // bypassed one is bridged whole), and one skip at a time.
    if (flow.body_skip || s.fin_seen || (flow.state != State::inspecting && flow.state != State::reject_pending))
        return;
    const std::optional<uint64_t> left = s.parser.body_left();
    if (!left || *left < options.min_body_skip_bytes) return;
    const auto length = static_cast<uint32_t>(std::min(*left, kMaxBodySkipBytes));
    flow.body_skip = BodySkip{flow.key, s.next_seq, s.next_seq + length};
    out.body_skip = flow.body_skip;
    ++counters.body_skips;
}

void FlowTable::Impl::server_in_order(Flow& flow, const packet::TcpFrame& seg, std::size_t skip,
                                      Verdict& out) {
    auto events = parse_in_order(flow.server, seg, skip);
    for (auto& e : events) {
        if (e.type == http::StreamEvent::Type::message_end) {
            if (flow.interim_response) flow.interim_response = false;
            // A response no request asked for (a backend talking first, or a connection picked up
            // mid-stream) answers nothing: outstanding() never goes below zero.
            else if (flow.responses_done < flow.requests_allowed) ++flow.responses_done;
            continue;
        }
        const unsigned status = e.head.status;
        if (status / 100 == 1 && status != 101) {
            flow.interim_response = true;  // 100 Continue: the real response follows
            continue;
        }
        ++counters.responses;
        bool asked_to_switch = false;
        if (!flow.pending_endpoints.empty()) {
            asked_to_switch = flow.pending_endpoints.front().upgrade;
            report(flow, flow.pending_endpoints.front(), policy::BackendOutcome::response, status);
            flow.pending_endpoints.pop_front();
        } else {
            Flow::Pending none;
            report(flow, none, policy::BackendOutcome::response, status);
        }
        if (e.head.framing == http::BodyFraming::tunnel && !asked_to_switch) {
            // A switch no judged request asked for (or a connection picked up mid-stream): not a
            // reason to stop judging requests. Only the responses are lost to us.
            lose_responses(flow, seg, out);
            return;
        }
        if (e.head.framing == http::BodyFraming::tunnel) {
            // The backend switched protocols. To h2c it still reads requests, as HTTP/2 frames we
            // do not decode: uninspectable. The 101 itself is dropped when we close.
            if (is_h2c(e.head)) {
                ++counters.uninspectable_h2c;
                if (options.on_uninspectable == config::OnUninspectable::bypass) {
                    to_bypass(flow, out, false);
                } else {
                    ++counters.closed_uninspectable;
                    reset_both(flow, seg, false, out);
                }
                return;
            }
            ++counters.bypass_tunnel;
            to_bypass(flow, out, false);
            return;
        }
    }
    if (flow.server.parser.failure() || buffered_total > options.max_buffered_bytes_total)
        lose_responses(flow, seg, out);
}

}  // namespace xt::flow
