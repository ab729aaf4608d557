// Decisions on one HTTP request, KrakenD's bot detectors and rate limits in KrakenD's order:
//   1. root security/bot-detector -> 403 (every request, matched to an endpoint or not: KrakenD
//      registers it as a middleware of the whole router engine)
//   2. qos/ratelimit/service  shared bucket -> 503, per-client bucket -> 429
//      (every request by default; only matched endpoints with "service_limit_scope": "matched")
//   3. the endpoint (qos/ratelimit/router) is looked up; an unmatched request is allowed untouched
//   4. the endpoint's security/bot-detector -> 403 (KrakenD's handler factory wraps the endpoint's
//      rate limit in the bot detector, so a bot spends no endpoint token)
//   5. qos/ratelimit/router   shared bucket -> 503, per-client bucket -> 429
//   6. qos/circuit-breaker    the breaker of the backend the request goes to (the endpoint's
//                             backend whose `host` is the flow's destination address and port;
//                             the addresses come from a discovery::BackendDirectory: names and SRV
//                             sets kept fresh) -> 503 while open, or half-open with its probe out
//   7. qos/ratelimit/proxy    the buckets of those backends -> 503
// (KrakenD wraps the proxy limit inside the breaker, so it is asked first; unlike KrakenD, a
// request the proxy limit refuses is not a breaker failure: it never reached the backend.)
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
#include "discovery/directory.hpp"
#include "http/message.hpp"
#include "http/rejection.hpp"
#include "policy/bot_detector.hpp"
#include "common/result.hpp"
#include "policy/circuit_breaker.hpp"

namespace xt::policy {

// Monotonic nanoseconds.
using Clock = std::function<uint64_t()>;
Clock monotonic_clock();

// Backend host names in the config ("localhost", "api.internal") to addresses, once (see
// discovery/resolver.hpp; the controller keeps them fresh with a discovery::BackendDirectory).
using discovery::HostResolver;
using discovery::system_resolver;

struct RequestInfo {
    std::string_view method;  // as on the wire ("GET")
    std::string_view target;  // request-target as on the wire ("/users/7?x=1")
    const std::vector<http::HeaderField>* headers = nullptr;
    xt_addr client{};         // L3 source of the flow
    xt_addr backend{};        // L3 destination of the flow
    uint16_t backend_port = 0;
};

enum class LimitKind { service, service_client, endpoint, endpoint_client, proxy, bot, circuit };
inline constexpr std::size_t kLimitKinds = static_cast<std::size_t>(LimitKind::circuit) + 1;
const char* to_string(LimitKind kind);

// A request admitted by a breaker: give it back with the request's outcome
// (PolicyEngine::backend_result).
struct BreakerTicket {
    uint32_t breaker = 0;     // index into PolicyEngine::breakers()
    uint64_t generation = 0;  // CircuitBreaker::Admission::generation
};

struct Allow {
    std::optional<std::size_t> endpoint;  // index into Config::endpoints; none = unmatched
    std::optional<BreakerTicket> breaker;  // the request goes to a backend with a breaker
    uint64_t response_timeout_ns = 0;      // with a breaker: the endpoint's `timeout`
};

// How a request the gateway forwarded to a backend ended, as the wire showed it.
enum class BackendOutcome {
    response,  // a status line (classified by the "breaker_failures" setting)
    reset,     // the backend reset or closed the connection with the request unanswered
    timeout,   // no response head within the endpoint's `timeout`
    released,  // neither: the client hung up, or the response could no longer be followed
};

// Whether a backend's response status is a breaker failure: 5xx by default, or anything but 200
// and 201 (KrakenD's default status handler) with "breaker_failures": "strict".
BreakerResult classify(BackendOutcome outcome, unsigned status, config::BreakerFailures mode);

struct Reject {
    unsigned status = 429;
    uint64_t retry_after_s = 1;
    LimitKind limit = LimitKind::endpoint_client;
    bool missing_client_key = false;  // header/param strategy without a value
    std::optional<std::size_t> endpoint;
    http::RateLimitFields rate_limit;  // not sent for limit == bot (a 403 is not about a rate)
    std::optional<BotVerdict> bot;     // limit == bot: what decided (empty, deny or a pattern)
};

using Decision = std::variant<Allow, Reject>;

// The response bytes' description for a rejection (http::render_rejection makes the bytes).
http::Rejection to_rejection(const Reject& reject);

class PolicyEngine {
public:
    // Builds buckets and the router from a loaded config. Fails when an endpoint pattern is
    // invalid or a backend host name does not resolve. Backend addresses are resolved once.
    static Result<PolicyEngine> create(const config::Config& config, Clock clock,
                                       HostResolver resolver = system_resolver());
    // The same, with backend addresses from `directory` (built from the same config), whose
    // refreshes the engine follows without a restart.
    static Result<PolicyEngine> create(const config::Config& config, Clock clock,
                                       std::shared_ptr<const discovery::BackendDirectory> directory);
    ~PolicyEngine();
    PolicyEngine(PolicyEngine&&) noexcept;
    PolicyEngine& operator=(PolicyEngine&&) noexcept;

    Decision decide(const RequestInfo& request);
    // The outcome of a request a breaker admitted (Allow::breaker).
    void backend_result(const BreakerTicket& ticket, BackendOutcome outcome, unsigned status);

    // KrakenD's log line on every change of a breaker whose log_status_change is set.
    void set_log(std::function<void(const std::string&)> log);

    struct BreakerView {
        std::string name;     // `name`, or the backend's JSON path when it has none
        std::string backend;  // the backend's JSON path
        BreakerState state = BreakerState::closed;
        uint64_t consecutive_failures = 0;
        uint64_t failures = 0;  // counted since start
        uint64_t opens = 0;
    };
    // Every breaker, in config order (an open one whose timeout passed shows half-open).
    std::vector<BreakerView> breakers();

    // The fill level of every client table (one per client limit), in config order.
    struct ClientTableView {
        std::string limit;  // JSON path of the limit's block
        std::size_t entries = 0;
        std::size_t max_entries = 0;
    };
    std::vector<ClientTableView> client_tables() const;

    // Called with every Reject decide() returns, before it returns it (automatic bans count them).
    using RejectionObserver = std::function<void(const RequestInfo&, const Reject&)>;
    void set_rejection_observer(RejectionObserver observer);

    struct Counters {
        uint64_t allowed = 0;
        uint64_t unmatched = 0;
        uint64_t rejected[kLimitKinds] = {};  // by LimitKind
        BotCounters bots;                     // every detector's verdicts, by cause
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
