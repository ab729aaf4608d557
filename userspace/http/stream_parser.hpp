// One direction of an HTTP/1.x connection, parsed incrementally with libhttp-parser (Node's
// http_parser, Debian libhttp-parser-dev): bytes go in as they arrive (a head may be split across
// any number of segments, several pipelined messages may share one segment), events come out with
// exact stream offsets, so the flow layer knows which bytes belong to which message.
//
// Hostile input ends in an error (never a crash, never unbounded memory): malformed syntax,
// a head larger than Limits::max_head_bytes, more than Limits::max_headers fields, both
// Content-Length and chunked (request smuggling), whitespace in field names, bad chunk sizes, bytes
// after a message that closes the connection (HTTP/1.0 without keep-alive, "Connection: close").
// After an error the stream is dead: every further feed() returns the same error, and failure()
// says where and why. Events completed before the error in the same feed() are still returned
// (an earlier pipelined request is a request the backend will serve: it must be judged).
//
// Protocol switches are the backend's decision, never the client's: a request with Upgrade or
// CONNECT is an ordinary request here (MessageHead::upgrade says it asked), and the bytes after
// it are parsed as HTTP until a response stream confirms the switch (101, or 2xx to CONNECT).
// Only a response stream ever becomes a tunnel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "common/result.hpp"

namespace xt::http {

enum class StreamKind { requests, responses };

// Defaults above nginx's (large_client_header_buffers 4 x 8k: ~32 KB of head, no count limit), so
// that every head the backend accepts is inspected, not given up on.
struct StreamLimits {
    std::size_t max_head_bytes = 64 * 1024;  // request line/status line + fields + CRLFs
    std::size_t max_headers = 1000;
};

// Where and why a stream broke.
struct StreamFailure {
    Error error;
    uint64_t message_start = 0;  // stream offset of the message the error is in
    bool in_head = true;         // false: inside a body whose head was already reported
    bool head_too_large = false; // the head outgrew StreamLimits (431 rather than 400)
};

struct StreamEvent {
    enum class Type {
        head,         // a head is complete: `head` is set; `offset` = first byte after the head
        message_end,  // the message (head and body) ends just before `offset`
    };
    Type type = Type::head;
    uint64_t message_start = 0;  // stream offset of the message's first byte (stray CRLFs included)
    uint64_t offset = 0;
    MessageHead head;            // for Type::head
};

class StreamParser {
public:
    explicit StreamParser(StreamKind kind, StreamLimits limits = {});
    ~StreamParser();
    StreamParser(StreamParser&&) noexcept;
    StreamParser& operator=(StreamParser&&) noexcept;

    // Parses `bytes` (the next bytes of the stream, in order) and returns what completed in them.
    Result<std::vector<StreamEvent>> feed(std::string_view bytes);
    // The peer closed its side: ends a close-delimited response; an unfinished message is an error.
    Result<std::vector<StreamEvent>> finish();

    // Response streams: the method of the request this stream's next response answers (FIFO), so a
    // response to HEAD is known to have no body and a 2xx to CONNECT to start a tunnel.
    void expect_response_to(std::string_view method);

    // Inside a Content-Length body: how many of its bytes are still to come (> 0); else nullopt.
    std::optional<uint64_t> body_left() const;
    // Advances through a Content-Length body by `n` bytes without being given them, as if they had
    // been fed: for bytes the flow layer let pass without reading (a response body the kernel
    // bridged). Refused, with the stream left as it was, outside such a body or when `n` would
    // reach the body's end (n >= body_left()): the last byte is always fed, so message_end comes
    // from feed() as usual.
    Status skip_body(uint64_t n);

    uint64_t offset() const;       // bytes consumed so far
    bool in_message() const;       // some bytes of an unfinished message were seen
    bool tunnel() const;           // a response switched protocols: the rest is not HTTP
    const std::optional<StreamFailure>& failure() const;  // set once the stream broke
    // Bytes of the head being read (they live in the parser until the head completes).
    uint64_t head_bytes_buffered() const;

    struct State;  // opaque: http_parser and its callbacks' scratch space

private:
    std::unique_ptr<State> state_;
};

}  // namespace xt::http
