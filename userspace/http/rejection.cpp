#include "http/rejection.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace xt::http {

namespace {

// Structured-field strings (RFC 9651) allow printable ASCII with '"' and '\' escaped.
std::string sf_string(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c < 0x20 || c > 0x7e) continue;
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace

const char* reason_phrase(unsigned status) {
    switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

std::string rate_limit_policy_value(const RateLimitFields& f) {
    return fmt::format("{};q={};w={}", sf_string(f.policy), f.quota, f.window_s);
}

std::string rate_limit_value(const RateLimitFields& f) {
    return fmt::format("{};r={};t={}", sf_string(f.policy), f.remaining, f.reset_s);
}

std::string render_rejection(const Rejection& r) {
    nlohmann::json body = {{"error", reason_phrase(r.status)}, {"status", r.status}};
    if (!r.limit_name.empty()) body["limit"] = r.limit_name;
    if (r.retry_after_s > 0) body["retry_after"] = r.retry_after_s;
    // replace: a limit name is ours, but never let a stray byte turn into an exception here.
    const std::string body_text =
        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";

    std::string out = fmt::format("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
    if (r.retry_after_s > 0) out += fmt::format("Retry-After: {}\r\n", r.retry_after_s);
    if (r.rate_limit) {
        out += fmt::format("RateLimit-Policy: {}\r\n", rate_limit_policy_value(*r.rate_limit));
        out += fmt::format("RateLimit: {}\r\n", rate_limit_value(*r.rate_limit));
    }
    out += "Content-Type: application/json\r\n";
    out += fmt::format("Content-Length: {}\r\n", body_text.size());
    out += "Cache-Control: no-store\r\n";
    out += "Connection: close\r\n\r\n";
    out += body_text;
    return out;
}

}  // namespace xt::http
