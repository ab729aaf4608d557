#include "policy/engine.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "client_identity.hpp"
#include "input/address.hpp"
#include "policy/client_buckets.hpp"
#include "http/endpoint_matcher.hpp"
#include "policy/token_bucket.hpp"

namespace xt::policy {

Clock monotonic_clock() {
    return [] {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
    };
}

const char* to_string(LimitKind kind) {
    switch (kind) {
    case LimitKind::service: return "service";
    case LimitKind::service_client: return "service-client";
    case LimitKind::endpoint: return "endpoint";
    case LimitKind::endpoint_client: return "client";
    case LimitKind::proxy: return "proxy";
    case LimitKind::bot: return "bot";
    case LimitKind::circuit: return "circuit";
    }
    return "?";
}

BreakerResult classify(BackendOutcome outcome, unsigned status, config::BreakerFailures mode) {
    switch (outcome) {
    case BackendOutcome::response:
        if (mode == config::BreakerFailures::strict)
            return status == 200 || status == 201 ? BreakerResult::success : BreakerResult::failure;
        return status >= 500 ? BreakerResult::failure : BreakerResult::success;
    case BackendOutcome::reset:
    case BackendOutcome::timeout:
        return BreakerResult::failure;
    case BackendOutcome::released:
        return BreakerResult::released;
    }
    return BreakerResult::released;
}

http::Rejection to_rejection(const Reject& reject) {
    http::Rejection r;
    r.status = reject.status;
    r.retry_after_s = reject.retry_after_s;
    // A bot is refused for what it is and an open circuit is no bucket: neither sends RateLimit
    // fields (a bot gets no Retry-After either: retry_after_s is 0).
    if (reject.limit != LimitKind::bot && reject.limit != LimitKind::circuit)
        r.rate_limit = reject.rate_limit;
    r.limit_name = to_string(reject.limit);
    return r;
}

namespace {

struct SharedLimit {
    BucketParams params;
    TokenBucket bucket;
};

struct ClientLimit {
    config::ClientRateLimit config;
    BucketParams params;
    ClientBuckets buckets;
    config::ClientPrefixes prefixes;  // `ip` strategy: addresses grouped by these prefixes
};

struct LimitSet {
    std::optional<SharedLimit> shared;
    std::optional<ClientLimit> client;
};

// A backend definition the engine acts on (one with a proxy limit or a circuit breaker); its
// addresses are the directory's (discovery/directory.hpp), kept fresh while the engine runs.
struct BackendTarget {
    std::size_t slot = 0;  // its address set in the directory's snapshots
    std::optional<SharedLimit> proxy;
    std::optional<uint32_t> breaker;  // index into Impl::breakers
};

struct EndpointState {
    std::optional<BotDetector> bots;
    LimitSet limits;
    std::vector<BackendTarget> backends;  // only backends with a proxy limit or a breaker
    uint64_t timeout_ns = config::kDefaultTimeoutNs;
};

// "Which backend does this request go to": the endpoint's backends one of whose addresses (in the
// directory's current snapshot) is the flow's destination address and port. The one place that
// answers it.
template <typename Visit>
void for_each_target(EndpointState& state, const discovery::Snapshot& addresses,
                     const RequestInfo& request, Visit&& visit) {
    for (auto& backend : state.backends)
        if (addresses.serves(backend.slot, request.backend, request.backend_port)) visit(backend);
}

struct BreakerSlot {
    CircuitBreaker breaker;
    std::string name;     // as configured (KrakenD logs it as it is, even empty)
    std::string backend;  // JSON path
    bool log_status_change = false;
};

LimitSet make_limits(const config::RateLimit& rl, const ClientTableOptions& table,
                     const config::ClientPrefixes& prefixes) {
    LimitSet set;
    if (rl.shared) set.shared = SharedLimit{bucket_params(*rl.shared), {}};
    if (rl.client) {
        const BucketParams params = bucket_params(rl.client->rate);
        set.client.emplace(ClientLimit{*rl.client, params, ClientBuckets(table, params), prefixes});
    }
    return set;
}

http::RateLimitFields fields_for(LimitKind kind, const BucketParams& p, uint64_t remaining,
                                 uint64_t wait_ns) {
    http::RateLimitFields f;
    f.policy = to_string(kind);
    f.quota = p.capacity;
    f.window_s = whole_seconds_at_least_one(p.capacity * p.interval_ns);
    f.remaining = remaining;
    f.reset_s = remaining > 0 ? 0 : whole_seconds_at_least_one(wait_ns);
    return f;
}

Reject make_reject(unsigned status, LimitKind kind, const BucketParams& p, uint64_t wait_ns,
                   std::optional<std::size_t> endpoint) {
    Reject r;
    r.status = status;
    r.limit = kind;
    r.endpoint = endpoint;
    r.retry_after_s = whole_seconds_at_least_one(wait_ns);
    r.rate_limit = fields_for(kind, p, 0, wait_ns);
    return r;
}

Result<std::optional<BotDetector>> make_bot_detector(const std::optional<config::BotDetector>& cfg) {
    if (!cfg) return std::optional<BotDetector>{};
    return std::optional<BotDetector>(XT_TRY(BotDetector::create(*cfg)));
}

}  // namespace

struct PolicyEngine::Impl {
    Clock clock;
    http::EndpointMatcher matcher;
    std::vector<EndpointState> endpoints;
    std::optional<BotDetector> service_bots;
    LimitSet service;
    std::vector<Cidr> trusted_proxies;
    bool service_all_paths = true;
    Counters counters;
    std::shared_ptr<const discovery::BackendDirectory> directory;
    std::optional<discovery::BackendDirectory::Reader> backends;  // reads `directory`

    // Judges the request's first User-Agent; a bot gets a 403 and spends no token.
    std::optional<Reject> judge(BotDetector& detector, const RequestInfo& request,
                                std::optional<std::size_t> endpoint) {
        const BotVerdict verdict = detector.judge(first_user_agent(request.headers));
        counters.bots.add(verdict);
        if (!verdict.bot) return std::nullopt;
        Reject r;
        r.status = config::kBotStatus;
        r.retry_after_s = 0;
        r.limit = LimitKind::bot;
        r.endpoint = endpoint;
        r.bot = verdict;
        return r;
    }

    std::vector<BreakerSlot> breakers;
    config::BreakerFailures breaker_failures = config::BreakerFailures::server_errors;
    std::function<void(const std::string&)> log;

    // Logs the breaker's changes of state as KrakenD does (log_status_change).
    void note_changes(BreakerSlot& slot) {
        CircuitBreaker::Change change;
        while (slot.breaker.take_change(change))
            if (slot.log_status_change && log)
                log(fmt::format("[CB] Circuit breaker named '{}' went from '{}' to '{}'", slot.name,
                                to_string(change.from), to_string(change.to)));
    }
    RejectionObserver observer;

    // Runs one LimitSet; returns a rejection or nothing.
    std::optional<Reject> apply(LimitSet& set, LimitKind shared_kind, LimitKind client_kind,
                                const RequestInfo& request, const http::EndpointMatch* match,
                                std::optional<std::size_t> endpoint, uint64_t now) {
        if (set.shared) {
            auto outcome = set.shared->bucket.take(set.shared->params, now);
            if (!outcome.admitted)
                return make_reject(config::kSharedLimitStatus, shared_kind, set.shared->params, outcome.wait_ns, endpoint);
        }
        if (set.client) {
            ClientLimit& cl = *set.client;
            auto who = client_identity(cl.config, request, match, trusted_proxies, cl.prefixes);
            if (!who) {
                Reject r = make_reject(config::kClientLimitStatus, client_kind, cl.params, cl.params.interval_ns, endpoint);
                r.missing_client_key = true;
                return r;
            }
            const uint64_t forgotten_before = cl.buckets.forgotten();
            const uint64_t episodes_before = cl.buckets.overflow_episodes();
            const ClientBuckets::Take taken = cl.buckets.take(*who, now);
            counters.clients_forgotten += cl.buckets.forgotten() - forgotten_before;
            counters.client_overflow_episodes += cl.buckets.overflow_episodes() - episodes_before;
            if (taken.overflow) ++counters.client_overflow_requests;
            if (!taken.outcome.admitted)
                return make_reject(config::kClientLimitStatus, client_kind, cl.params, taken.outcome.wait_ns, endpoint);
        }
        return std::nullopt;
    }
};

PolicyEngine::PolicyEngine() : impl_(std::make_unique<Impl>()) {}
PolicyEngine::~PolicyEngine() = default;
PolicyEngine::PolicyEngine(PolicyEngine&&) noexcept = default;
PolicyEngine& PolicyEngine::operator=(PolicyEngine&&) noexcept = default;

Result<PolicyEngine> PolicyEngine::create(const config::Config& config, Clock clock,
                                          HostResolver resolver) {
    if (!clock) clock = monotonic_clock();
    auto directory = XT_TRY(discovery::BackendDirectory::create(
        config, discovery::from_host_resolver(std::move(resolver)), clock,
        discovery::DirectoryOptions::from(config.gateway)));
    return create(config, std::move(clock), std::move(directory));
}

Result<PolicyEngine> PolicyEngine::create(const config::Config& config, Clock clock,
                                          std::shared_ptr<const discovery::BackendDirectory> directory) {
    PolicyEngine engine;
    Impl& impl = *engine.impl_;
    impl.clock = clock ? std::move(clock) : monotonic_clock();
    impl.trusted_proxies = config.gateway.trusted_proxies;
    impl.service_all_paths = config.gateway.service_limit_all_paths;
    impl.breaker_failures = config.gateway.breaker_failures;
    const uint64_t start = impl.clock();
    const ClientTableOptions table = ClientTableOptions::from(config.gateway.flows);
    impl.service_bots = XT_TRY(make_bot_detector(config.bot_detector)
                                   .map_error(reword("$.extra_config[\"security/bot-detector\"]: {}")));
    if (config.service_limit)
        impl.service = make_limits(*config.service_limit, table, config.gateway.client_prefixes);
    for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
        const auto& ep = config.endpoints[i];
        const auto at_endpoint = reword("{}: {}", ep.json_path);
        // The gin route the loader derived (it alone knows the root's disable_rest); parsing a
        // route again yields the same route.
        const auto pattern = XT_TRY(http::parse_endpoint_pattern(ep.route).map_error(at_endpoint));
        XT_TRY(impl.matcher.add(ep.method, pattern, i).map_error(at_endpoint));
        EndpointState state;
        state.bots = XT_TRY(make_bot_detector(ep.bot_detector).map_error(at_endpoint));
        if (ep.router_limit)
            state.limits = make_limits(*ep.router_limit, table,
                                       ep.client_prefixes.value_or(config.gateway.client_prefixes));
        state.timeout_ns = ep.timeout_ns;
        for (std::size_t b = 0; b < ep.backends.size(); ++b) {
            const auto& backend = ep.backends[b];
            if (!backend.proxy_limit && !backend.circuit_breaker) continue;
            const auto slot = directory->slot({i, b});
            if (!slot)
                return failf(ErrorKind::invalid_input, "{}: not in the backend directory (built from "
                             "another config?)", backend.json_path);
            BackendTarget target;
            target.slot = *slot;
            if (backend.proxy_limit) target.proxy = SharedLimit{bucket_params(*backend.proxy_limit), {}};
            if (const auto& cb = backend.circuit_breaker) {
                // One breaker per backend definition, as KrakenD builds one per backend.
                target.breaker = static_cast<uint32_t>(impl.breakers.size());
                impl.breakers.push_back(BreakerSlot{CircuitBreaker(BreakerSettings::from(*cb), start),
                                                    cb->name, backend.json_path, cb->log_status_change});
            }
            state.backends.push_back(std::move(target));
        }
        impl.endpoints.push_back(std::move(state));
    }
    impl.directory = std::move(directory);
    impl.backends.emplace(*impl.directory);
    return engine;
}

Decision PolicyEngine::decide(const RequestInfo& request) {
    Impl& impl = *impl_;
    const uint64_t now = impl.clock();
    std::optional<http::EndpointMatch> match;
    if (auto path = http::normalize_request_path(request.target)) {
        match = impl.matcher.match(request.method, *path);
        // A backend answers HEAD as the GET of the same path without the body (RFC 9110 9.3.2;
        // nginx does), so HEAD spends the GET endpoint's tokens unless it has an endpoint of its own.
        if (!match && request.method == "HEAD") match = impl.matcher.match("GET", *path);
    }
    const std::optional<std::size_t> endpoint =
        match ? std::optional<std::size_t>(match->endpoint) : std::nullopt;

    auto rejected = [&](Reject r) -> Decision {
        ++impl.counters.rejected[static_cast<int>(r.limit)];
        if (impl.observer) impl.observer(request, r);
        return r;
    };

    if (impl.service_bots)
        if (auto r = impl.judge(*impl.service_bots, request, endpoint)) return rejected(*r);
    if (impl.service_all_paths || match) {
        if (auto r = impl.apply(impl.service, LimitKind::service, LimitKind::service_client, request,
                                match ? &*match : nullptr, endpoint, now))
            return rejected(*r);
    }
    if (!match) {
        ++impl.counters.unmatched;
        return Allow{};
    }
    EndpointState& state = impl.endpoints[match->endpoint];
    if (state.bots)
        if (auto r = impl.judge(*state.bots, request, endpoint)) return rejected(*r);
    if (auto r = impl.apply(state.limits, LimitKind::endpoint, LimitKind::endpoint_client, request,
                            &*match, endpoint, now))
        return rejected(*r);

    // The backends this request goes to: the first with a breaker judges it (several backend
    // definitions of one endpoint on the same host:port cannot be told apart on the wire).
    std::vector<SharedLimit*> hit;  // allocates only when a proxy limit applies
    std::optional<uint32_t> judging;  // index into impl.breakers
    for_each_target(state, impl.backends->current(), request, [&](BackendTarget& backend) {
        if (backend.proxy) hit.push_back(&*backend.proxy);
        if (backend.breaker && !judging) judging = backend.breaker;
    });
    BreakerSlot* breaker = judging ? &impl.breakers[*judging] : nullptr;
    if (breaker && !breaker->breaker.would_admit(now)) {
        const auto refused = breaker->breaker.before_request(now);
        impl.note_changes(*breaker);
        Reject r;
        r.status = config::kOpenBreakerStatus;
        r.limit = LimitKind::circuit;
        r.endpoint = endpoint;
        r.retry_after_s = whole_seconds_at_least_one(refused.retry_after_ns);
        return rejected(r);
    }

    // Proxy limits: look at every matching backend first, so a refusal takes no token anywhere.
    SharedLimit* refusing = nullptr;
    uint64_t longest_wait = 0;
    for (SharedLimit* limit : hit) {
        if (limit->bucket.available(limit->params, now) == 0) {
            const uint64_t wait = limit->bucket.wait_ns(limit->params, now);
            if (!refusing || wait > longest_wait) {
                refusing = limit;
                longest_wait = wait;
            }
        }
    }
    if (refusing) return rejected(make_reject(config::kSharedLimitStatus, LimitKind::proxy, refusing->params, longest_wait, endpoint));
    for (SharedLimit* limit : hit) limit->bucket.take(limit->params, now);

    Allow allowed;
    allowed.endpoint = endpoint;
    if (breaker) {
        const auto admitted = breaker->breaker.before_request(now);
        impl.note_changes(*breaker);
        allowed.breaker = BreakerTicket{*judging, admitted.generation};
        allowed.response_timeout_ns = state.timeout_ns;
    }
    ++impl.counters.allowed;
    return allowed;
}

void PolicyEngine::backend_result(const BreakerTicket& ticket, BackendOutcome outcome, unsigned status) {
    Impl& impl = *impl_;
    if (ticket.breaker >= impl.breakers.size()) return;
    BreakerSlot& slot = impl.breakers[ticket.breaker];
    slot.breaker.after_request(ticket.generation, classify(outcome, status, impl.breaker_failures),
                               impl.clock());
    impl.note_changes(slot);
}

void PolicyEngine::set_log(std::function<void(const std::string&)> log) { impl_->log = std::move(log); }

std::vector<PolicyEngine::BreakerView> PolicyEngine::breakers() {
    Impl& impl = *impl_;
    const uint64_t now = impl.clock();
    std::vector<BreakerView> out;
    out.reserve(impl.breakers.size());
    for (auto& slot : impl.breakers) {
        BreakerView v;
        v.name = slot.name.empty() ? slot.backend : slot.name;
        v.backend = slot.backend;
        v.state = slot.breaker.state(now);
        impl.note_changes(slot);
        v.consecutive_failures = slot.breaker.consecutive_failures();
        v.failures = slot.breaker.failures();
        v.opens = slot.breaker.opens();
        out.push_back(std::move(v));
    }
    return out;
}

std::vector<PolicyEngine::ClientTableView> PolicyEngine::client_tables() const {
    const Impl& impl = *impl_;
    std::vector<ClientTableView> out;
    auto add = [&](const LimitSet& set, std::string path) {
        if (set.client)
            out.push_back({std::move(path), set.client->buckets.size(), set.client->buckets.max_clients()});
    };
    add(impl.service, "$.extra_config[\"qos/ratelimit/service\"]");
    // impl.endpoints is in the order of config.endpoints.
    for (std::size_t i = 0; i < impl.endpoints.size(); ++i)
        add(impl.endpoints[i].limits, fmt::format("$.endpoints[{}].extra_config[\"qos/ratelimit/router\"]", i));
    return out;
}

void PolicyEngine::set_rejection_observer(RejectionObserver observer) {
    impl_->observer = std::move(observer);
}

PolicyEngine::Counters PolicyEngine::counters() const { return impl_->counters; }

}  // namespace xt::policy
