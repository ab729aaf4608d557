// Wraps http_parser (2.9). Offsets come from pausing the parser in on_headers_complete and
// on_message_complete: http_parser_execute then returns exactly where it stopped (for
// headers_complete the final LF is not yet consumed; for message_complete the last byte is).
#include "http/stream_parser.hpp"

#include <deque>

#include <fmt/format.h>
#include <http_parser.h>

namespace xt::http {

struct StreamParser::State {
    StreamKind kind;
    StreamLimits limits;
    http_parser parser{};
    http_parser_settings settings{};

    uint64_t consumed = 0;        // stream offset of the next byte to feed
    uint64_t message_start = 0;
    bool in_head = false;         // between the first byte of a message and its head's end
    bool in_body = false;         // between head end and message end
    bool length_body = false;     // ... of a Content-Length body: http_parser counts down what is
                                  // left of it in parser.content_length (skip_body relies on it)
    bool began = false;           // the parser saw the first byte of the current message
    uint64_t head_bytes = 0;
    bool tunnel = false;
    bool close_after_message = false;  // the current message ends the connection (keep_alive false)
    bool closing = false;         // ... and it has ended
    std::optional<StreamFailure> failure;

    MessageHead head;             // being built
    bool last_was_value = false;
    bool too_many_headers = false;
    std::string bad_field_name;
    std::deque<std::string> pending_request_methods;  // response streams
    bool head_paused = false, end_paused = false;
    bool after_lf = false;        // the last head byte fed was LF (obs-fold detection)

    std::vector<StreamEvent>* out = nullptr;

    const char* messages() const { return kind == StreamKind::requests ? "request" : "response"; }
    // A stream that broke stays broken: every later call returns the same error.
    tl::unexpected<Error> die(ErrorKind why, std::string message, bool too_large = false) {
        failure = StreamFailure{Error{why, std::move(message)}, message_start, !in_body, too_large};
        return tl::unexpected(failure->error);
    }
};

namespace {

using State = StreamParser::State;

State& state_of(http_parser* p) { return *static_cast<State*>(p->data); }

int on_message_begin(http_parser* p) {
    State& s = state_of(p);
    s.head = MessageHead{};
    s.last_was_value = false;
    s.began = true;
    return 0;
}

int on_url(http_parser* p, const char* at, size_t len) {
    state_of(p).head.target.append(at, len);
    return 0;
}

int on_status(http_parser* p, const char* at, size_t len) {
    state_of(p).head.reason.append(at, len);
    return 0;
}

int on_header_field(http_parser* p, const char* at, size_t len) {
    State& s = state_of(p);
    if (s.head.headers.empty() || s.last_was_value) {
        if (s.head.headers.size() >= s.limits.max_headers) {
            s.too_many_headers = true;
            return 1;  // -> HPE_CB_header_field, reported as "too many header fields"
        }
        s.head.headers.emplace_back();
    }
    s.head.headers.back().name.append(at, len);
    s.last_was_value = false;
    return 0;
}

int on_header_value(http_parser* p, const char* at, size_t len) {
    State& s = state_of(p);
    if (s.head.headers.empty()) return 1;  // cannot happen with a conforming parser
    s.head.headers.back().value.append(at, len);
    s.last_was_value = true;
    return 0;
}

// RFC 9110 tchar. http_parser built without HTTP_PARSER_STRICT (Debian's) lets spaces into field
// names; "Transfer-Encoding : chunked" is a request-smuggling classic, so we refuse it ourselves.
bool is_token(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

int on_headers_complete(http_parser* p) {
    State& s = state_of(p);
    MessageHead& h = s.head;
    for (const auto& field : h.headers) {
        if (!is_token(field.name)) {
            s.bad_field_name = field.name;
            return -1;  // -> HPE_CB_headers_complete
        }
    }
    // http_parser drops leading whitespace of a value but keeps trailing whitespace (RFC 9110 OWS).
    for (auto& field : h.headers)
        while (!field.value.empty() && (field.value.back() == ' ' || field.value.back() == '\t'))
            field.value.pop_back();
    h.version_major = p->http_major;
    h.version_minor = p->http_minor;
    bool skip_body = false;
    if (s.kind == StreamKind::requests) {
        h.method = http_method_str(static_cast<http_method>(p->method));
        // http_parser sets `upgrade` for CONNECT and for Upgrade + Connection: upgrade. Only noted:
        // a backend that ignores the header (nginx on a plain location does) goes on reading
        // HTTP, so we must too.
        h.upgrade = p->upgrade != 0;
    } else {
        h.status = p->status_code;
        std::string request_method;
        if (h.status >= 200 && !s.pending_request_methods.empty()) {
            request_method = s.pending_request_methods.front();
            s.pending_request_methods.pop_front();
        }
        skip_body = request_method == "HEAD";
        if (request_method == "CONNECT" && h.status / 100 == 2) p->upgrade = 1;
    }
    if (s.kind == StreamKind::responses && p->upgrade && (h.status == 101 || h.status / 100 == 2)) {
        h.framing = BodyFraming::tunnel;
    } else if (skip_body || (s.kind == StreamKind::requests && p->method == HTTP_CONNECT)) {
        // A CONNECT request has no body (http_parser stops after its head whatever it says).
        h.framing = BodyFraming::none;
    } else if (p->flags & F_CHUNKED) {
        h.framing = BodyFraming::chunked;
    } else if (p->content_length != ULLONG_MAX && p->content_length > 0) {
        h.framing = BodyFraming::content_length;
        h.content_length = p->content_length;
    } else if (s.kind == StreamKind::responses && h.status / 100 != 1 && h.status != 204 &&
               h.status != 304 && p->content_length == ULLONG_MAX) {
        h.framing = BodyFraming::until_close;
    } else {
        h.framing = BodyFraming::none;
    }
    // http_should_keep_alive needs the body rules applied; compute it from the version and flags.
    if (p->http_major > 0 && p->http_minor > 0)
        h.keep_alive = !(p->flags & F_CONNECTION_CLOSE);
    else
        h.keep_alive = (p->flags & F_CONNECTION_KEEP_ALIVE) != 0;
    if (h.framing == BodyFraming::until_close) h.keep_alive = false;
    s.head_paused = true;
    http_parser_pause(p, 1);
    return skip_body ? 1 : 0;
}

int on_message_complete(http_parser* p) {
    State& s = state_of(p);
    s.end_paused = true;
    http_parser_pause(p, 1);
    return 0;
}

// Why http_parser stopped at stream byte `at`.
std::string parse_error(const State& s, const http_parser* p, uint64_t at) {
    const char* what = s.messages();
    if (s.too_many_headers)
        return fmt::format("invalid HTTP {} at stream byte {}: more than {} header fields", what, at,
                           s.limits.max_headers);
    if (!s.bad_field_name.empty()) {
        std::string shown = s.bad_field_name.substr(0, 40);
        for (auto& c : shown)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
        return fmt::format("invalid HTTP {} at stream byte {}: invalid character in header field "
                           "name \"{}\"", what, at, shown);
    }
    const auto err = static_cast<http_errno>(p->http_errno);
    return fmt::format("invalid HTTP {} at stream byte {}: {} ({})", what, at,
                       http_errno_description(err), http_errno_name(err));
}

// Request heads http_parser accepts and nginx refuses with 400:
// - obs-fold (a header line starting with SP/HT): http_parser joins it to the previous value, nginx
//   refuses the line; "X: a\r\n Transfer-Encoding: chunked" must not mean two things;
// - HTTP/0.9 ("GET /path" without a version): nginx answers it at once, without waiting for the
//   rest of a head that http_parser still expects, so the request would go unjudged.
std::optional<std::string> nginx_refuses(State& s, std::string_view head_bytes) {
    for (char c : head_bytes) {
        if (s.after_lf && (c == ' ' || c == '\t'))
            return std::string("a header line starting with whitespace (obs-fold)");
        s.after_lf = c == '\n';
    }
    if (s.parser.http_major == 0 && s.parser.http_minor == 9)
        return std::string("a request line without an HTTP version (HTTP/0.9)");
    return std::nullopt;
}

}  // namespace

StreamParser::StreamParser(StreamKind kind, StreamLimits limits) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.kind = kind;
    s.limits = limits;
    http_parser_init(&s.parser, kind == StreamKind::requests ? HTTP_REQUEST : HTTP_RESPONSE);
    s.parser.data = &s;
    http_parser_settings_init(&s.settings);
    s.settings.on_message_begin = on_message_begin;
    s.settings.on_url = on_url;
    s.settings.on_status = on_status;
    s.settings.on_header_field = on_header_field;
    s.settings.on_header_value = on_header_value;
    s.settings.on_headers_complete = on_headers_complete;
    s.settings.on_message_complete = on_message_complete;
}

StreamParser::~StreamParser() = default;
StreamParser::StreamParser(StreamParser&&) noexcept = default;
StreamParser& StreamParser::operator=(StreamParser&&) noexcept = default;

uint64_t StreamParser::offset() const { return state_->consumed; }
const std::optional<StreamFailure>& StreamParser::failure() const { return state_->failure; }
uint64_t StreamParser::head_bytes_buffered() const {
    return state_->in_head && !state_->failure ? state_->head_bytes : 0;  // a dead head never grows
}
bool StreamParser::in_message() const { return state_->began; }
bool StreamParser::tunnel() const { return state_->tunnel; }

void StreamParser::expect_response_to(std::string_view method) {
    state_->pending_request_methods.emplace_back(method);
}

Result<std::vector<StreamEvent>> StreamParser::feed(std::string_view bytes) {
    State& s = *state_;
    if (s.failure) return tl::unexpected(s.failure->error);
    if (s.tunnel && !bytes.empty())
        return fail(ErrorKind::unsupported,
                    "the connection switched protocols (101 or CONNECT 2xx): not HTTP any more");
    std::vector<StreamEvent> events;
    // Events completed before an error are returned; the error waits in `failure` for the caller
    // (and is what every later call returns).
    auto broke = [&](tl::unexpected<Error> e) -> Result<std::vector<StreamEvent>> {
        if (events.empty()) return e;
        return events;
    };
    while (!bytes.empty()) {
        if (s.closing) {
            // The server closes after that message and never reads these bytes; deciding on them
            // would only spend tokens. (http_parser 2.9 would parse them as a new request.)
            s.message_start = s.consumed;
            return broke(s.die(ErrorKind::invalid_input,
                         fmt::format("HTTP {} stream: {} bytes at stream byte {} after a message that "
                                     "closes the connection", s.messages(), bytes.size(), s.consumed)));
        }
        if (!s.in_head && !s.in_body) {
            s.in_head = true;
            s.message_start = s.consumed;
            s.head_bytes = 0;
        }
        // Never let one head grow past the limit: feed at most what is left of its allowance.
        std::size_t chunk = bytes.size();
        if (s.in_head) {
            const uint64_t allowance = s.limits.max_head_bytes - s.head_bytes;
            if (allowance == 0)
                return broke(s.die(ErrorKind::unsupported,
                             fmt::format("invalid HTTP {} at stream byte {}: head larger than {} bytes",
                                         s.messages(), s.consumed, s.limits.max_head_bytes), true));
            chunk = static_cast<std::size_t>(std::min<uint64_t>(chunk, allowance));
        }
        s.head_paused = s.end_paused = false;
        if (s.in_head && s.head_bytes == 0) s.after_lf = false;
        const bool was_in_head = s.in_head;
        const std::size_t used = http_parser_execute(&s.parser, &s.settings, bytes.data(), chunk);
        const auto err = static_cast<http_errno>(s.parser.http_errno);
        std::size_t advance = used;
        if (was_in_head && s.kind == StreamKind::requests && (err == HPE_OK || err == HPE_PAUSED)) {
            // Where http_parser is more lenient than nginx about request heads, a disagreement on
            // where a request starts or what it says is a way around the limits: refuse as nginx does.
            const std::size_t head_part = std::min(chunk, used + (s.head_paused ? 1 : 0));
            if (auto refused = nginx_refuses(s, bytes.substr(0, head_part)))
                return broke(s.die(ErrorKind::invalid_input,
                                   fmt::format("invalid HTTP request at stream byte {}: {}",
                                               s.consumed, *refused)));
        }
        if (err == HPE_PAUSED) {
            http_parser_pause(&s.parser, 0);
            if (s.head_paused) {
                // Paused in headers_complete: the head's final LF is not consumed yet.
                StreamEvent e;
                e.type = StreamEvent::Type::head;
                e.message_start = s.message_start;
                e.offset = s.consumed + used + 1;
                e.head = std::move(s.head);
                s.head = MessageHead{};
                s.in_head = false;
                s.in_body = true;
                s.length_body = e.head.framing == BodyFraming::content_length;
                if (e.head.framing == BodyFraming::tunnel) s.tunnel = true;
                s.close_after_message = !e.head.keep_alive && e.head.framing != BodyFraming::tunnel &&
                            !(s.kind == StreamKind::responses && e.head.status / 100 == 1);
                events.push_back(std::move(e));
            } else if (s.end_paused) {
                StreamEvent e;
                e.type = StreamEvent::Type::message_end;
                e.message_start = s.message_start;
                e.offset = s.consumed + used;
                s.in_head = s.in_body = s.length_body = s.began = false;
                s.closing = s.close_after_message;
                events.push_back(std::move(e));
            }
        } else if (err != HPE_OK) {
            return broke(s.die(ErrorKind::invalid_input, parse_error(s, &s.parser, s.consumed + used)));
        }
        if (s.in_head) s.head_bytes += advance;
        s.consumed += advance;
        bytes.remove_prefix(advance);
        // After a 101 or a 2xx to CONNECT whatever follows is another protocol: the tunnel's,
        // not ours. (After a request asking for one http_parser also stops; we go on parsing.)
        if (s.tunnel && !s.in_body) break;
    }
    return events;
}

std::optional<uint64_t> StreamParser::body_left() const {
    const State& s = *state_;
    if (s.failure || !s.length_body || s.parser.content_length == 0 || s.parser.content_length == ULLONG_MAX)
        return std::nullopt;
    return s.parser.content_length;
}

Status StreamParser::skip_body(uint64_t n) {
    State& s = *state_;
    if (s.failure) return tl::unexpected(s.failure->error);
    const auto left = body_left();
    if (!left)
        return failf(ErrorKind::invalid_input, "HTTP {} stream: cannot skip {} bytes at stream byte {}: "
                     "not inside a Content-Length body", s.messages(), n, s.consumed);
    // The body's last byte must be fed: that is where the message ends and its event comes from.
    if (n >= *left)
        return failf(ErrorKind::invalid_input, "HTTP {} stream: cannot skip {} bytes at stream byte {}: "
                     "only {} are left of the body, and its last byte must be parsed",
                     s.messages(), n, s.consumed, *left);
    // http_parser reads an identity body by counting content_length down and touches nothing else
    // (no callback of ours is set for body bytes): lowering it is what feeding n bytes would do.
    s.parser.content_length -= n;
    s.consumed += n;
    return {};
}

Result<std::vector<StreamEvent>> StreamParser::finish() {
    State& s = *state_;
    if (s.failure) return tl::unexpected(s.failure->error);
    std::vector<StreamEvent> events;
    if (s.tunnel) return events;
    s.end_paused = false;
    http_parser_execute(&s.parser, &s.settings, nullptr, 0);
    const auto err = static_cast<http_errno>(s.parser.http_errno);
    if (err == HPE_PAUSED && s.end_paused) {
        http_parser_pause(&s.parser, 0);
        StreamEvent e;
        e.type = StreamEvent::Type::message_end;
        e.message_start = s.message_start;
        e.offset = s.consumed;
        s.in_head = s.in_body = s.length_body = s.began = false;
        events.push_back(std::move(e));
    } else if (err != HPE_OK) {
        return s.die(ErrorKind::invalid_input, parse_error(s, &s.parser, s.consumed));
    }
    if (s.began)
        return s.die(ErrorKind::invalid_input,
                     fmt::format("HTTP {} cut short: the connection closed inside a message (at stream "
                                 "byte {})", s.messages(), s.consumed));
    return events;
}

}  // namespace xt::http
