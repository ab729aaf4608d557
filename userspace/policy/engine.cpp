#include "policy/engine.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
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

HostResolver system_resolver() {
    return [](const std::string& host) {
        std::vector<xt_addr> out;
        if (auto literal = parse_address(host)) {
            out.push_back(*literal);
            return out;
        }
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* list = nullptr;
        if (getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0) return out;
        for (addrinfo* ai = list; ai; ai = ai->ai_next) {
            char text[INET6_ADDRSTRLEN] = {};
            const void* raw = ai->ai_family == AF_INET
                                  ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
                                  : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
            if (inet_ntop(ai->ai_family, raw, text, sizeof text))
                if (auto a = parse_address(text)) out.push_back(*a);
        }
        freeaddrinfo(list);
        return out;
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
    }
    return "?";
}

http::Rejection to_rejection(const Reject& reject) {
    http::Rejection r;
    r.status = reject.status;
    r.retry_after_s = reject.retry_after_s;
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

struct BackendTarget {
    std::vector<std::pair<xt_addr, uint16_t>> addresses;
    SharedLimit proxy;
};

struct EndpointState {
    LimitSet limits;
    std::vector<BackendTarget> proxied_backends;  // only backends with qos/ratelimit/proxy
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

}  // namespace

struct PolicyEngine::Impl {
    Clock clock;
    http::EndpointMatcher matcher;
    std::vector<EndpointState> endpoints;
    LimitSet service;
    std::vector<Cidr> trusted_proxies;
    bool service_all_paths = true;
    Counters counters;
    RejectionObserver observer;

    // Runs one LimitSet; returns a rejection or nothing.
    std::optional<Reject> apply(LimitSet& set, LimitKind shared_kind, LimitKind client_kind,
                                const RequestInfo& request, const http::EndpointMatch* match,
                                std::optional<std::size_t> endpoint, uint64_t now) {
        if (set.shared) {
            auto outcome = set.shared->bucket.take(set.shared->params, now);
            if (!outcome.admitted)
                return make_reject(503, shared_kind, set.shared->params, outcome.wait_ns, endpoint);
        }
        if (set.client) {
            ClientLimit& cl = *set.client;
            auto who = client_identity(cl.config, request, match, trusted_proxies, cl.prefixes);
            if (!who) {
                Reject r = make_reject(429, client_kind, cl.params, cl.params.interval_ns, endpoint);
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
                return make_reject(429, client_kind, cl.params, taken.outcome.wait_ns, endpoint);
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
    PolicyEngine engine;
    Impl& impl = *engine.impl_;
    impl.clock = clock ? std::move(clock) : monotonic_clock();
    impl.trusted_proxies = config.gateway.trusted_proxies;
    impl.service_all_paths = config.gateway.service_limit_all_paths;
    const ClientTableOptions table = ClientTableOptions::from(config.gateway.flows);
    if (config.service_limit)
        impl.service = make_limits(*config.service_limit, table, config.gateway.client_prefixes);
    for (std::size_t i = 0; i < config.endpoints.size(); ++i) {
        const auto& ep = config.endpoints[i];
        const auto at_endpoint = reword("{}: {}", ep.json_path);
        const auto pattern = XT_TRY(http::parse_endpoint_pattern(ep.pattern).map_error(at_endpoint));
        XT_TRY(impl.matcher.add(ep.method, pattern, i).map_error(at_endpoint));
        EndpointState state;
        if (ep.router_limit)
            state.limits = make_limits(*ep.router_limit, table,
                                       ep.client_prefixes.value_or(config.gateway.client_prefixes));
        for (const auto& backend : ep.backends) {
            if (!backend.proxy_limit) continue;
            BackendTarget target{{}, SharedLimit{bucket_params(*backend.proxy_limit), {}}};
            for (const auto& host : backend.hosts) {
                const auto addresses = resolver ? resolver(host.host) : std::vector<xt_addr>{};
                if (addresses.empty())
                    return failf(ErrorKind::not_found,
                                 "{}: backend host \"{}\" does not resolve to an address",
                                 backend.json_path, host.host);
                for (const auto& a : addresses) target.addresses.emplace_back(a, host.port);
            }
            state.proxied_backends.push_back(std::move(target));
        }
        impl.endpoints.push_back(std::move(state));
    }
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
    if (auto r = impl.apply(state.limits, LimitKind::endpoint, LimitKind::endpoint_client, request,
                            &*match, endpoint, now))
        return rejected(*r);

    // Proxy limits: look at every matching backend first, so a refusal takes no token anywhere.
    std::vector<SharedLimit*> hit;
    for (auto& backend : state.proxied_backends) {
        const bool to_this_backend = std::any_of(
            backend.addresses.begin(), backend.addresses.end(), [&](const auto& a) {
                return a.second == request.backend_port && a.first == request.backend;
            });
        if (to_this_backend) hit.push_back(&backend.proxy);
    }
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
    if (refusing) return rejected(make_reject(503, LimitKind::proxy, refusing->params, longest_wait, endpoint));
    for (SharedLimit* limit : hit) limit->bucket.take(limit->params, now);

    ++impl.counters.allowed;
    return Allow{endpoint};
}

void PolicyEngine::set_rejection_observer(RejectionObserver observer) {
    impl_->observer = std::move(observer);
}

PolicyEngine::Counters PolicyEngine::counters() const { return impl_->counters; }

}  // namespace xt::policy
