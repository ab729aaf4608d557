#include "config/enforcement.hpp"

#include <string_view>

#include "input/duration.hpp"

namespace xt::config {

namespace {

using json = nlohmann::json;


json bucket(const TokenRate& rate, unsigned status) {
    return {{"max_rate", rate.max_rate}, {"every", format_duration(rate.every_ns)},
            {"capacity", rate.capacity}, {"status", status}};
}

std::string path_of(const BlockPaths& blocks, std::string_view ns) {
    auto it = blocks.find(ns);
    return it == blocks.end() ? std::string() : it->second;
}

// A rate-limit block: its shared and client buckets, and where it differs from KrakenD.
void add_rate_limit(json& entry, const RateLimit& limit) {
    if (limit.shared) entry["shared"] = bucket(*limit.shared, kSharedLimitStatus);
    if (limit.client) {
        json client = bucket(limit.client->rate, kClientLimitStatus);
        client["strategy"] = to_string(limit.client->strategy);
        client["key"] = limit.client->key;
        entry["client"] = std::move(client);
        if (!limit.client->strategy_given)
            entry["krakend_differs"].push_back(
                "no strategy: KrakenD CE limits no client (\"Unknown strategy\"); enforced here per "
                "IP address");
    }
}

json bot_entry(const BotDetector& bot) {
    return {{"status", kBotStatus}, {"allow", bot.allow.size()}, {"deny", bot.deny.size()},
            {"patterns", bot.patterns.size()}, {"empty_user_agent_is_bot", bot.empty_user_agent_is_bot}};
}

json endpoint_entry(const Endpoint& ep, std::string_view scope, std::string_view ns,
                    const std::string& json_path) {
    json entry{{"json_path", json_path}, {"scope", scope}, {"method", ep.method},
               {"endpoint", ep.pattern}, {"route", ep.route}, {"namespace", ns},
               {"krakend_differs", json::array()}};
    if (!ep.krakend_registers)
        entry["krakend_differs"].push_back("KrakenD CE does not register " + ep.method +
                                           " endpoints (\"Unsupported method\")");
    return entry;
}

json hosts_of(const Backend& backend) {
    json hosts = json::array();
    for (const auto& h : backend.hosts) hosts.push_back(h.url);
    return hosts;
}

}  // namespace

json enforcement_json(const Config& config) {
    json out = json::array();
    if (config.bot_detector) {
        json entry{{"json_path", path_of(config.blocks, kBotDetectorNs)}, {"scope", "service"},
                   {"namespace", kBotDetectorNs}, {"krakend_differs", json::array()}};
        entry.update(bot_entry(*config.bot_detector));
        out.push_back(std::move(entry));
    }
    if (config.service_limit) {
        json entry{{"json_path", path_of(config.blocks, kServiceNs)}, {"scope", "service"},
                   {"namespace", kServiceNs},
                   {"paths", config.gateway.service_limit_all_paths ? "all" : "matched"},
                   {"krakend_differs", json::array()}};
        add_rate_limit(entry, *config.service_limit);
        out.push_back(std::move(entry));
    }
    for (const auto& ep : config.endpoints) {
        if (ep.bot_detector) {
            json entry = endpoint_entry(ep, "endpoint", kBotDetectorNs, path_of(ep.blocks, kBotDetectorNs));
            entry.update(bot_entry(*ep.bot_detector));
            out.push_back(std::move(entry));
        }
        if (ep.router_limit && (ep.router_limit->shared || ep.router_limit->client)) {
            json entry = endpoint_entry(ep, "endpoint", kRouterNs, path_of(ep.blocks, kRouterNs));
            add_rate_limit(entry, *ep.router_limit);
            out.push_back(std::move(entry));
        }
        for (const auto& backend : ep.backends) {
            if (backend.circuit_breaker) {
                const auto& cb = *backend.circuit_breaker;
                json entry = endpoint_entry(ep, "backend", kCircuitBreakerNs,
                                            path_of(backend.blocks, kCircuitBreakerNs));
                entry["backend"] = backend.json_path;
                entry["hosts"] = hosts_of(backend);
                entry["sd"] = backend.sd == ServiceDiscovery::static_hosts ? "static" : "dns";
                entry["status"] = kOpenBreakerStatus;
                entry["breaker"] = {{"interval", cb.interval_s}, {"timeout", cb.timeout_s},
                                    {"max_errors", cb.max_errors}, {"name", cb.name}};
                out.push_back(std::move(entry));
            }
            if (backend.proxy_limit) {
                json entry = endpoint_entry(ep, "backend", kProxyNs, path_of(backend.blocks, kProxyNs));
                entry["backend"] = backend.json_path;
                entry["hosts"] = hosts_of(backend);
                entry["sd"] = backend.sd == ServiceDiscovery::static_hosts ? "static" : "dns";
                entry["shared"] = bucket(*backend.proxy_limit, kSharedLimitStatus);
                out.push_back(std::move(entry));
            }
        }
    }
    return out;
}

json unenforceable_json(const Config& config) {
    json out = json::array();
    for (const auto& b : config.unenforceable_backends)
        out.push_back({{"json_path", b.json_path}, {"reason", b.reason}, {"dropped", b.dropped}});
    return out;
}

}  // namespace xt::config
