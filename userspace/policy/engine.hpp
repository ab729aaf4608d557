// Decisions on one HTTP request, KrakenD's rate limits in KrakenD's order:
//   1. qos/ratelimit/service  shared bucket -> 503, per-client bucket -> 429
//      (every request by default; only matched endpoints with "service_limit_scope": "matched")
//   2. the endpoint (qos/ratelimit/router) is looked up; an unmatched request is allowed untouched
//   3. qos/ratelimit/router   shared bucket -> 503, per-client bucket -> 429
//   4. qos/ratelimit/proxy    the buckets of the endpoint's backends whose `host` is the flow's
//                             destination address and port -> 503
// As in KrakenD's middleware chain, a token taken at one step stays taken when a later step
// refuses. A client limit whose key is missing from the request (no such header) answers 429, as
// KrakenD does. Client identity:
//   ip     the L3 source; with `key` (e.g. X-Forwarded-For) and a source in trusted_proxies, the
//          header's addresses are read right to left and the first untrusted one is the client
//   header the value of the header named `key`
//   param  the value of the endpoint placeholder named `key`
// The engine reads time only through the injected clock, so tests are exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "abi.h"
#include "config/gateway_config.hpp"
#include "http/message.hpp"
#include "http/rejection.hpp"
#include "common/result.hpp"

namespace xt::policy {

// Monotonic nanoseconds.
using Clock = std::function<uint64_t()>;
Clock monotonic_clock();

// Backend host names in the config ("localhost", "api.internal") to addresses. The default
// resolver accepts address literals and asks getaddrinfo for names.
using HostResolver = std::function<std::vector<xt_addr>(const std::string& host)>;
HostResolver system_resolver();

struct RequestInfo {
    std::string_view method;  // as on the wire ("GET")
    std::string_view target;  // request-target as on the wire ("/users/7?x=1")
    const std::vector<http::HeaderField>* headers = nullptr;
    xt_addr client{};         // L3 source of the flow
    xt_addr backend{};        // L3 destination of the flow
    uint16_t backend_port = 0;
};

enum class LimitKind { service, service_client, endpoint, endpoint_client, proxy, bot };
const char* to_string(LimitKind kind);

struct Allow {
    std::optional<std::size_t> endpoint;  // index into Config::endpoints; none = unmatched
};

struct Reject {
    unsigned status = 429;
    uint64_t retry_after_s = 1;
    LimitKind limit = LimitKind::endpoint_client;
    bool missing_client_key = false;  // header/param strategy without a value
    std::optional<std::size_t> endpoint;
    http::RateLimitFields rate_limit;
};

using Decision = std::variant<Allow, Reject>;

// The response bytes' description for a rejection (http::render_rejection makes the bytes).
http::Rejection to_rejection(const Reject& reject);

class PolicyEngine {
public:
    // Builds buckets and the router from a loaded config. Fails when an endpoint pattern is
    // invalid or a backend host name does not resolve.
    static Result<PolicyEngine> create(const config::Config& config, Clock clock,
                                       HostResolver resolver = system_resolver());
    ~PolicyEngine();
    PolicyEngine(PolicyEngine&&) noexcept;
    PolicyEngine& operator=(PolicyEngine&&) noexcept;

    Decision decide(const RequestInfo& request);

    // Called with every Reject decide() returns, before it returns it (automatic bans count them).
    using RejectionObserver = std::function<void(const RequestInfo&, const Reject&)>;
    void set_rejection_observer(RejectionObserver observer);

    struct Counters {
        uint64_t allowed = 0;
        uint64_t unmatched = 0;
        uint64_t rejected[6] = {};  // by LimitKind
        uint64_t clients_forgotten = 0;          // full client buckets dropped to make room
        uint64_t client_overflow_requests = 0;   // new clients that met a full client table
        uint64_t client_overflow_episodes = 0;   // stretches of time with a full table
    };
    Counters counters() const;

private:
    PolicyEngine();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace xt::policy
