// The HTTP bytes of a rejection the gateway answers itself (TCP/IP framing is the flow layer's job).
//
//   HTTP/1.1 429 Too Many Requests
//   Retry-After: 3                      whole seconds until a token is available, at least 1
//   RateLimit-Policy: "client";q=10;w=2 IETF httpapi ratelimit-headers draft (-08 .. -10 syntax)
//   RateLimit: "client";r=0;t=3
//   Content-Type: application/json
//   Content-Length: 76
//   Cache-Control: no-store
//   Connection: close
//
//   {"error":"Too Many Requests","limit":"client","retry_after":3,"status":429}
//
// RateLimit-Policy describes a token bucket as q = capacity and w = the seconds it takes to refill
// a whole capacity (capacity * every / max_rate, rounded up); RateLimit's t is the time until the
// next token, the same value as Retry-After.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace xt::http {

struct RateLimitFields {
    std::string policy;    // a short name: "service", "endpoint", "client", "proxy", ...
    uint64_t quota = 0;    // q
    uint64_t window_s = 0; // w
    uint64_t remaining = 0;// r
    uint64_t reset_s = 0;  // t
};

struct Rejection {
    unsigned status = 429;         // 429, 503, 403
    uint64_t retry_after_s = 1;    // 0: no Retry-After (e.g. a 403 for a bot)
    std::optional<RateLimitFields> rate_limit;
    std::string limit_name;        // for the JSON body, e.g. "client"
};

const char* reason_phrase(unsigned status);

// The RateLimit-Policy / RateLimit field values (without the field names).
std::string rate_limit_policy_value(const RateLimitFields& f);
std::string rate_limit_value(const RateLimitFields& f);

// The complete response: status line, fields, empty line, JSON body.
std::string render_rejection(const Rejection& rejection);

}  // namespace xt::http
