// The "xdp-throttle" namespace: what KrakenD has no word for. Field by field in examples/README.md.
#include <fmt/format.h>

#include "own_namespace.hpp"

#include "autoban_block.hpp"

#include "common/rate.hpp"
#include "input/bridge.hpp"
#include "input/duration.hpp"
#include "input/http_ports.hpp"
#include "input/validation.hpp"

namespace xt::config {

namespace {

constexpr uint64_t kSecondNs = 1'000'000'000;

// A prefix length field (input/validation.hpp's rule, one for every prefix setting).
void prefix_field(Fields& fields, const JsonPath& at, Problems& problems, std::string_view key,
                  AddressFamily family, uint8_t& target) {
    if (auto v = fields.whole(key)) {
        if (auto length = check_prefix_length(family, *v))
            target = *length;
        else
            problems.error(at / key, fmt::format("{}, got {}", length.error().message, *v));
    }
}

// {"rate": 1000, "every": "1s", "burst": 2000} -> xt_rate (the kernel's GCRA form).
std::optional<xt_rate> parse_l3_rate(const json& block, const JsonPath& at, Problems& problems) {
    Fields fields(block, at, problems);
    if (!fields.valid()) return std::nullopt;
    fields.reject_unknown({"rate", "every", "burst"});
    const std::size_t errors_before = problems.errors.size();
    auto rate = fields.whole("rate", true);
    auto every = fields.duration_ns("every");
    auto burst = fields.whole("burst");
    if (problems.errors.size() != errors_before || !rate) return std::nullopt;
    auto kernel = make_rate(*rate, every.value_or(kSecondNs), burst.value_or(*rate));
    if (!kernel) {
        problems.error(at, kernel.error().message);
        return std::nullopt;
    }
    return *kernel;
}

void parse_l3(const json& block, const JsonPath& at, Problems& problems, L3Limits& out) {
    Fields fields(block, at, problems);
    if (!fields.valid()) return;
    fields.reject_unknown({"spike", "syn", "syn_global", "spike_per_prefix", "spike_prefix_v4",
                           "spike_prefix_v6"});
    if (const json* v = fields.get("spike"))
        if (auto r = parse_l3_rate(*v, at / "spike", problems)) out.spike = *r;
    if (const json* v = fields.get("syn"))
        if (auto r = parse_l3_rate(*v, at / "syn", problems)) out.syn = *r;
    if (const json* v = fields.get("syn_global"))
        if (auto r = parse_l3_rate(*v, at / "syn_global", problems)) out.syn_global = *r;
    if (auto v = fields.boolean("spike_per_prefix")) out.spike_per_prefix = *v;
    // The CLI's --prefix-v4/--prefix-v6 rule (input/validation.hpp): 0 is not "the default" here either.
    prefix_field(fields, at, problems, "spike_prefix_v4", AddressFamily::v4, out.spike_prefix_v4);
    prefix_field(fields, at, problems, "spike_prefix_v6", AddressFamily::v6, out.spike_prefix_v6);
}

void parse_flows(const json& block, const JsonPath& at, Problems& problems, FlowLimits& out) {
    Fields fields(block, at, problems);
    if (!fields.valid()) return;
    fields.reject_unknown({"max_flows", "max_buffered_bytes_per_flow", "idle_timeout",
                           "max_clients_per_limit", "max_head_bytes", "on_clients_full",
                           "overflow_clients"});
    auto positive = [&](std::string_view key, uint64_t max, uint64_t& target) {
        if (auto v = fields.positive(key, max)) target = *v;
    };
    positive("max_flows", 16'777'216, out.max_flows);
    // A request head must fit: below 1 KiB even ordinary requests would be cut.
    if (auto v = fields.whole("max_buffered_bytes_per_flow", false, 16 * 1024 * 1024)) {
        if (*v < 1024)
            problems.error(at / "max_buffered_bytes_per_flow",
                           fmt::format("expected at least 1024 (one request head must fit), got "
                                       "number {}", *v));
        else
            out.max_buffered_bytes_per_flow = *v;
    }
    if (auto v = fields.duration_ns("idle_timeout")) out.idle_timeout_ns = *v;
    // Below nginx's default a head the backend accepts would close the connection.
    if (auto v = fields.whole("max_head_bytes", false, 1024 * 1024)) {
        if (*v < 32 * 1024)
            problems.error(at / "max_head_bytes",
                           fmt::format("expected at least 32768 (nginx accepts heads of ~32 KB by "
                                       "default; a smaller limit closes connections it serves), got "
                                       "number {}", *v));
        else
            out.max_head_bytes = *v;
    }
    positive("max_clients_per_limit", 16'777'216, out.max_clients_per_limit);
    if (auto choice = fields.string("on_clients_full")) {
        if (*choice == "overflow")
            out.on_clients_full = FlowLimits::OnClientsFull::overflow;
        else if (*choice == "reject")
            out.on_clients_full = FlowLimits::OnClientsFull::reject;
        else
            problems.error(at / "on_clients_full",
                           fmt::format("expected \"overflow\" or \"reject\", got {}", quote(*choice)));
    }
    positive("overflow_clients", 1'000'000, out.overflow_clients);
}

// "ipv4_prefix"/"ipv6_prefix": the grouping of client addresses (validation.hpp's prefix rule).
void parse_client_prefixes(Fields& fields, const JsonPath& at, Problems& problems, ClientPrefixes& out) {
    prefix_field(fields, at, problems, "ipv4_prefix", AddressFamily::v4, out.v4);
    prefix_field(fields, at, problems, "ipv6_prefix", AddressFamily::v6, out.v6);
}

}  // namespace

ClientPrefixes parse_endpoint_own_namespace(const json& block, const JsonPath& at, Problems& problems,
                                            ClientPrefixes defaults) {
    Fields fields(block, at, problems);
    if (!fields.valid()) return defaults;
    fields.reject_unknown({"ipv4_prefix", "ipv6_prefix"});
    parse_client_prefixes(fields, at, problems, defaults);
    return defaults;
}

GatewaySettings parse_own_namespace(const json& block, const JsonPath& at, Problems& problems) {
    GatewaySettings out;
    Fields fields(block, at, problems);
    if (!fields.valid()) return out;
    fields.reject_unknown({"iface", "peer", "http_ports", "trusted_proxies", "service_limit_scope",
                           "l3", "flows", "on_uninspectable", "ipv4_prefix", "ipv6_prefix",
                           "resolve_interval", "breaker_failures", "autoban"});
    parse_client_prefixes(fields, at, problems, out.client_prefixes);
    for (const char* key : {"iface", "peer"}) {
        auto name = fields.string(key);
        if (!name) continue;
        if (auto ok = validate_ifname(*name); !ok)
            problems.error(at / key, fmt::format("expected an interface name: {}", ok.error().message));
        else
            (key == std::string_view("iface") ? out.iface : out.peer) = *name;
    }
    if (!out.iface.empty())
        if (auto ok = validate_bridge_ends(out.iface, out.peer); !ok)
            problems.error(at / "peer", ok.error().message);

    if (const json* list = fields.get("http_ports")) {
        if (!list->is_array()) {
            problems.error(at / "http_ports", fmt::format("expected a non-empty array of TCP ports, "
                                                          "got {}", describe(*list)));
        } else {
            std::vector<PortValue> values;
            for (const json& p : *list) {
                auto number = p.is_number_unsigned() ? std::optional(p.get<uint64_t>()) : std::nullopt;
                values.push_back({number, describe(p)});
            }
            auto ports = check_http_ports(values);
            if (ports)
                out.http_ports = std::move(*ports);
            else
                for (const auto& problem : ports.error())
                    problems.error(problem.index ? (at / "http_ports")[*problem.index]
                                                 : at / "http_ports",
                                   problem.message);
        }
    }
    if (auto list = fields.cidr_list("trusted_proxies")) out.trusted_proxies = std::move(*list);
    if (auto scope = fields.string("service_limit_scope")) {
        if (*scope == "all")
            out.service_limit_all_paths = true;
        else if (*scope == "matched")
            out.service_limit_all_paths = false;
        else
            problems.error(at / "service_limit_scope",
                           fmt::format("expected \"all\" or \"matched\", got {}", quote(*scope)));
    }
    if (auto choice = fields.string("on_uninspectable")) {
        if (*choice == "close")
            out.on_uninspectable = OnUninspectable::close;
        else if (*choice == "bypass")
            out.on_uninspectable = OnUninspectable::bypass;
        else
            problems.error(at / "on_uninspectable",
                           fmt::format("expected \"close\" or \"bypass\", got {}", quote(*choice)));
    }
    // Below a second every backend name would be asked for all the time; above a day a moved
    // backend would keep escaping its limits for longer than anyone would wait.
    if (auto v = fields.duration_ns("resolve_interval")) {
        if (*v < kSecondNs || *v > 86'400 * kSecondNs)
            problems.error(at / "resolve_interval",
                           fmt::format("expected a duration from \"1s\" to \"24h\", got \"{}\"",
                                       format_duration(*v)));
        else
            out.resolve_interval_ns = *v;
    }
    if (auto choice = fields.string("breaker_failures")) {
        if (*choice == "5xx")
            out.breaker_failures = BreakerFailures::server_errors;
        else if (*choice == "strict")
            out.breaker_failures = BreakerFailures::strict;
        else
            problems.error(at / "breaker_failures",
                           fmt::format("expected \"5xx\" or \"strict\", got {}", quote(*choice)));
    }
    if (const json* v = fields.get("l3")) parse_l3(*v, at / "l3", problems, out.l3);
    if (const json* v = fields.get("flows")) parse_flows(*v, at / "flows", problems, out.flows);
    if (const json* v = fields.get("autoban")) out.autoban = parse_autoban(*v, at / "autoban", problems);
    return out;
}

}  // namespace xt::config
