// What the HTTP layer knows about one message: its head, and how its body is delimited.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xt::http {

struct HeaderField {
    std::string name;   // as sent (case preserved)
    std::string value;  // leading/trailing whitespace removed by the parser
};

// Case-insensitive ASCII comparison, for header names.
bool iequals(std::string_view a, std::string_view b);

// The first field called `name` (case-insensitive), as Go's Header.Get does.
std::optional<std::string_view> find_header(const std::vector<HeaderField>& headers,
                                            std::string_view name);

enum class BodyFraming {
    none,            // no body (GET without length, 204, 304, response to HEAD, ...)
    content_length,  // exactly `content_length` bytes follow
    chunked,         // Transfer-Encoding: chunked
    until_close,     // a response read until the server closes (HTTP/1.0 style)
    tunnel,          // responses only: 101, or 2xx to CONNECT: what follows is not HTTP
};

const char* to_string(BodyFraming framing);

struct MessageHead {
    // requests
    std::string method;
    std::string target;
    // responses
    unsigned status = 0;
    std::string reason;

    unsigned version_major = 1;
    unsigned version_minor = 1;
    std::vector<HeaderField> headers;
    bool keep_alive = true;
    BodyFraming framing = BodyFraming::none;
    uint64_t content_length = 0;  // meaningful for BodyFraming::content_length
    // Requests: the client asked to switch protocols (CONNECT, or Upgrade with Connection: upgrade).
    // Nothing switches until the backend's response says so.
    bool upgrade = false;

    std::optional<std::string_view> header(std::string_view name) const {
        return find_header(headers, name);
    }
};

}  // namespace xt::http
