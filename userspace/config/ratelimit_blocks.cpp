// qos/ratelimit/router, qos/ratelimit/service and qos/ratelimit/proxy, with KrakenD's defaults
// (krakend-ratelimit's ConfigGetter and its JSON schema):
// - `every` defaults to 1s. The router and service limiters raise an `every` below 1s to 1s; we do
//   the same (with a warning), so a file means what it means in KrakenD. The proxy limiter does not.
// - `max_rate` 0 or absent means "no limit". A negative rate is refused (KrakenD would silently
//   disable the limit; a typo should not switch protection off).
// - `capacity` 0 or absent defaults to the rate expressed per second, rounded down, at least 1
//   (KrakenD's documented default; its code has the same rule).
#include <cmath>

#include <fmt/format.h>

#include "ratelimit_blocks.hpp"
#include "input/duration.hpp"

namespace xt::config {

namespace {

constexpr uint64_t kSecondNs = 1'000'000'000;
// Bounds that keep GCRA arithmetic (capacity * interval in ns) far from 64-bit overflow.
constexpr uint64_t kMaxCapacity = 1'000'000'000;

uint64_t default_capacity(double max_rate, uint64_t every_ns) {
    const double per_second = max_rate * static_cast<double>(kSecondNs) / static_cast<double>(every_ns);
    if (per_second < 1) return 1;
    return static_cast<uint64_t>(per_second);
}

// A rate: absent -> nullopt without a problem; negative -> problem; 0 -> nullopt (limit off).
std::optional<double> read_rate(Fields& fields, std::string_view key, uint64_t every_ns,
                                Problems& problems) {
    auto rate = fields.number(key);
    if (!rate) return std::nullopt;
    if (*rate < 0 || !std::isfinite(*rate)) {
        problems.error(fields.path() / key,
                       fmt::format("expected a number of 0 or more (0 disables the limit), got "
                                   "number {}", *rate));
        return std::nullopt;
    }
    if (*rate == 0) return std::nullopt;
    // One token per nanosecond is already far beyond what any packet path can count.
    if (static_cast<double>(every_ns) / *rate < 1.0) {
        problems.error(fields.path() / key,
                       fmt::format("{} per {} is too fast: at most one token per nanosecond",
                                   *rate, format_duration(every_ns)));
        return std::nullopt;
    }
    return rate;
}

std::optional<uint64_t> read_capacity(Fields& fields, std::string_view key) {
    return fields.whole(key, false, kMaxCapacity);
}

uint64_t read_every(Fields& fields, bool raise_to_one_second, Problems& problems) {
    auto every = fields.duration_ns("every");
    if (!every) return kSecondNs;
    if (raise_to_one_second && *every < kSecondNs) {
        problems.warn(fields.path() / "every",
                      fmt::format("{} is below 1s; KrakenD raises it to 1s and so do we",
                                  format_duration(*every)));
        return kSecondNs;
    }
    return *every;
}

std::optional<ClientStrategy> read_strategy(Fields& fields, bool allow_param) {
    auto text = fields.string("strategy");
    if (!text) return std::nullopt;
    std::string lower;
    for (char c : *text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "ip") return ClientStrategy::ip;
    if (lower == "header") return ClientStrategy::header;
    if (lower == "param" && allow_param) return ClientStrategy::param;
    (void)fields;
    return std::nullopt;
}

std::optional<RateLimit> parse_limit(const json& block, const JsonPath& at, Problems& problems,
                                     const std::vector<std::string>* placeholders) {
    const bool service = placeholders == nullptr;
    Fields fields(block, at, problems);
    if (!fields.valid()) return std::nullopt;
    // KrakenD's tuning knobs of its in-memory store: accepted, meaningless here.
    fields.warn_unknown({"max_rate", "capacity", "every", "client_max_rate", "client_capacity",
                         "strategy", "key", "num_shards", "cleanup_period", "cleanup_threads"});
    if (!fields.has("max_rate") && !fields.has("client_max_rate")) {
        problems.error(at, "expected max_rate or client_max_rate (or both)");
        return std::nullopt;
    }
    const std::size_t errors_before = problems.errors.size();
    const uint64_t every = read_every(fields, /*raise_to_one_second=*/true, problems);

    RateLimit limit;
    const auto capacity = read_capacity(fields, "capacity");
    if (auto rate = read_rate(fields, "max_rate", every, problems)) {
        TokenRate shared{*rate, 0, every};
        shared.capacity = (capacity && *capacity > 0) ? *capacity : default_capacity(*rate, every);
        limit.shared = shared;
    } else if (capacity && fields.has("max_rate") && problems.errors.size() == errors_before) {
        problems.warn(at / "capacity", "has no effect: max_rate is 0");
    }

    const auto client_capacity = read_capacity(fields, "client_capacity");
    const auto key = fields.string("key");
    const json* strategy_value = fields.get("strategy");
    auto strategy = read_strategy(fields, !service);
    if (strategy_value && strategy_value->is_string() && !strategy) {
        problems.error(at / "strategy",
                       fmt::format("expected {}, got {}", service ? "\"ip\" or \"header\""
                                                                  : "\"ip\", \"header\" or \"param\"",
                                   describe(*strategy_value)));
    }
    if (auto rate = read_rate(fields, "client_max_rate", every, problems)) {
        ClientRateLimit client;
        client.rate = TokenRate{*rate, 0, every};
        client.rate.capacity = (client_capacity && *client_capacity > 0)
                                   ? *client_capacity
                                   : default_capacity(*rate, every);
        client.strategy_given = strategy_value != nullptr;
        if (!client.strategy_given) {
            problems.warn(at, "client_max_rate without a strategy: KrakenD CE (krakend-ratelimit "
                              "v3.3.1) logs \"Unknown strategy\" and limits no client at all; "
                              "xdp-throttle limits each IP address (strategy \"ip\") instead");
        }
        client.strategy = strategy.value_or(ClientStrategy::ip);
        client.key = key.value_or("");
        if (client.strategy == ClientStrategy::header && client.key.empty()) {
            problems.error(at / "key", "required with strategy \"header\": the name of the header "
                                       "that identifies a client");
        }
        if (client.strategy == ClientStrategy::param) {
            bool found = false;
            for (const auto& p : *placeholders) found = found || p == client.key;
            if (!found) {
                std::string names;
                for (const auto& p : *placeholders)
                    names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", p);
                problems.error(at / "key",
                               fmt::format("with strategy \"param\" expected the name of a "
                                           "placeholder of the endpoint ({}), got {}",
                                           names.empty() ? "it has none" : names,
                                           quote(client.key)));
            }
        }
        limit.client = client;
    } else if ((strategy_value || client_capacity) && !fields.has("client_max_rate")) {
        problems.warn(at, "strategy/client_capacity have no effect without client_max_rate");
    }
    if (problems.errors.size() != errors_before) return std::nullopt;
    return limit;
}

}  // namespace

const char* to_string(ClientStrategy strategy) {
    switch (strategy) {
    case ClientStrategy::ip: return "ip";
    case ClientStrategy::header: return "header";
    case ClientStrategy::param: return "param";
    }
    return "?";
}

std::optional<RateLimit> parse_router_limit(const json& block, const JsonPath& at, Problems& problems,
                                            const std::vector<std::string>& placeholders) {
    return parse_limit(block, at, problems, &placeholders);
}

std::optional<RateLimit> parse_service_limit(const json& block, const JsonPath& at,
                                             Problems& problems) {
    return parse_limit(block, at, problems, nullptr);
}

std::optional<TokenRate> parse_proxy_limit(const json& block, const JsonPath& at, Problems& problems) {
    return read_closed_block<TokenRate>(
        block, at, problems, {"max_rate", "capacity", "every"},
        [&](Fields& fields) -> std::optional<TokenRate> {
            // KrakenD's schema requires max_rate; capacity is required by the schema but defaulted
            // by the code, so a file without it still loads.
            if (!fields.has("max_rate")) {
                problems.error(at / "max_rate", "required: expected a number of requests per `every`");
                return std::nullopt;
            }
            const uint64_t every = read_every(fields, /*raise_to_one_second=*/false, problems);
            const auto capacity = read_capacity(fields, "capacity");
            auto rate = read_rate(fields, "max_rate", every, problems);
            if (!rate) return std::nullopt;
            TokenRate out{*rate, 0, every};
            out.capacity = (capacity && *capacity > 0) ? *capacity : default_capacity(*rate, every);
            return out;
        });
}

}  // namespace xt::config
