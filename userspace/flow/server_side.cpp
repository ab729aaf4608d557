// Server segments: status lines for the circuit breaker, and the moment a deferred rejection may
// be answered (the backend has finished every response before it).
#include <string_view>

#include "flow_state.hpp"

namespace xt::flow {

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
    const SequenceSplit split = split_sequence(s, seg);
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
    if (flow.state == State::bypass) {
        out.action = Action::bypass;
    } else if (flow.state == State::rejected) {
        out.action = Action::drop;  // reset in its place (h2c, or a pending answer we cannot place)
    } else if (flow.state == State::reject_pending) {
        if (s.fin_seen) {
            // The backend closes first (a close-delimited response): the connection ends without
            // the pipelined request ever being answered, as it would without us.
            flow.state = State::bypass;
            ++counters.rejections_abandoned;
            out.action = Action::bypass;
        } else if (flow.outstanding() == 0) {
            answer_now(flow, seg, packet::Sender::server, s.next_seq, out);
        }
    }
    return out;
}

void FlowTable::Impl::server_in_order(Flow& flow, const packet::TcpFrame& seg, std::size_t skip,
                                      Verdict& out) {
    auto events = parse_in_order(flow.server, seg, skip);
    for (auto& e : events) {
        if (e.type == http::StreamEvent::Type::message_end) {
            if (flow.interim_response) flow.interim_response = false;
            else ++flow.responses_done;
            continue;
        }
        const unsigned status = e.head.status;
        if (status / 100 == 1 && status != 101) {
            flow.interim_response = true;  // 100 Continue: the real response follows
            continue;
        }
        ++counters.responses;
        ResponseRecord record;
        record.flow = flow.key;
        record.status = status;
        if (!flow.pending_endpoints.empty()) {
            record.endpoint = flow.pending_endpoints.front();
            flow.pending_endpoints.pop_front();
        }
        record.at_ns = flow.last_seen_ns;
        if (observer) observer(record);
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
