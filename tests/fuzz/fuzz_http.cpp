// libFuzzer target for the gateway's HTTP layer: the request and response stream parsers fed in
// fuzzer-chosen pieces, the path normalizer and router on whatever targets come out, and the
// rejection renderer parsed back. Built with clang++ -fsanitize=fuzzer,address,undefined
// (tests/fuzz/CMakeLists.txt) and run for a bounded time by ctest (label fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/rejection.hpp"
#include "http/stream_parser.hpp"
#include "http/endpoint_matcher.hpp"

namespace {

using namespace xt;

const http::EndpointMatcher& router() {
    static const http::EndpointMatcher m = [] {
        http::EndpointMatcher out;
        std::size_t i = 0;
        for (const char* p : {"/", "/api/users/{id}", "/api/users/me", "/api/users/{id}/orders",
                              "/t/{tenant}/items/{item}", "/static/", "/a/b/c"}) {
            auto pattern = http::parse_endpoint_pattern(p);
            if (!pattern || !out.add("GET", *pattern, i++)) std::abort();
        }
        return out;
    }();
    return m;
}

void check_events(const std::vector<http::StreamEvent>& events, uint64_t fed) {
    for (const auto& e : events) {
        if (e.offset > fed || e.message_start > e.offset) std::abort();  // offsets stay in range
        if (e.type != http::StreamEvent::Type::head) continue;
        if (auto path = http::normalize_request_path(e.head.target)) {
            if (path->empty() || path->front() != '/') std::abort();
            if (path->find("//") != std::string::npos) std::abort();
            (void)router().match("GET", *path);
        }
    }
}

void run_stream(http::StreamKind kind, std::string_view data, uint8_t cut_seed) {
    http::StreamParser parser(kind, http::StreamLimits{2048, 32});
    if (kind == http::StreamKind::responses) {
        parser.expect_response_to("GET");
        parser.expect_response_to("HEAD");
        parser.expect_response_to("CONNECT");
    }
    uint64_t fed = 0;
    std::size_t step = 1 + cut_seed % 17;
    while (!data.empty()) {
        const std::size_t n = std::min(step, data.size());
        auto events = parser.feed(data.substr(0, n));
        fed += n;
        if (!events) return;  // a clear error is a fine outcome
        check_events(*events, fed);
        if (parser.failure()) return;  // events before the error came first; the stream is dead
        if (parser.offset() != fed && !parser.tunnel()) std::abort();
        data.remove_prefix(n);
        step = 1 + (step * 7 + cut_seed) % 64;
    }
    (void)parser.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    if (size == 0) return 0;
    const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
    const uint8_t seed = bytes[0];
    run_stream(http::StreamKind::requests, data, seed);
    run_stream(http::StreamKind::responses, data, seed);
    (void)http::normalize_request_path(data);

    // Whatever we render must parse back as exactly one response.
    http::Rejection r;
    r.status = (seed & 1) ? 429 : 503;
    r.retry_after_s = seed;
    r.limit_name = std::string(data.substr(0, 16));
    r.rate_limit = http::RateLimitFields{std::string(data.substr(0, 8)), seed, 1u + seed, 0, seed};
    const std::string wire = http::render_rejection(r);
    http::StreamParser back(http::StreamKind::responses);
    back.expect_response_to("GET");
    auto events = back.feed(wire);
    if (!events || events->size() != 2 || (*events)[1].offset != wire.size()) std::abort();
    return 0;
}
