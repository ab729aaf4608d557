// The root of a KrakenD file: endpoints[], their backend[], the three extra_config scopes, and the
// bookkeeping of namespaces we do not enforce.
#include "config/load_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "autoban_block.hpp"
#include "own_namespace.hpp"
#include "qos_blocks.hpp"
#include "ratelimit_blocks.hpp"
#include "http/endpoint_matcher.hpp"

namespace xt::config {

namespace {

constexpr const char* kRouterNs = "qos/ratelimit/router";
constexpr const char* kServiceNs = "qos/ratelimit/service";
constexpr const char* kProxyNs = "qos/ratelimit/proxy";
constexpr const char* kCircuitBreakerNs = "qos/circuit-breaker";
constexpr const char* kBotDetectorNs = "security/bot-detector";

bool is_array(const json& value) { return value.is_array(); }

class IgnoredList {
public:
    void add(const std::string& name, const JsonPath& at) {
        auto [it, inserted] = index_.try_emplace(name, list_.size());
        if (inserted) list_.push_back(IgnoredNamespace{name, at.str(), 0});
        ++list_[it->second].occurrences;
    }
    std::vector<IgnoredNamespace> take() { return std::move(list_); }

private:
    std::map<std::string, std::size_t> index_;
    std::vector<IgnoredNamespace> list_;
};

struct Loader {
    Problems problems;
    IgnoredList ignored;
    Config config;
    std::vector<std::string> root_hosts;
    uint64_t root_timeout_ns = kDefaultTimeoutNs;  // the root `timeout`: endpoints without their own

    using NamespaceParser = std::function<void(const json& block, const JsonPath& at)>;

    // Hands each namespace of the extra_config in `fields` to its parser; the namespaces without
    // one are noted as ignored.
    void read_extra_config(const Fields& fields,
                           std::initializer_list<std::pair<std::string_view, NamespaceParser>> parsers) {
        const json* extra = fields.get("extra_config");
        if (!extra) return;
        const JsonPath at = fields.path() / "extra_config";
        if (!extra->is_object()) {
            problems.error(at, fmt::format("expected an object, got {}", describe(*extra)));
            return;
        }
        for (const auto& [name, block] : extra->items()) {
            if (is_annotation_key(name)) continue;
            const auto parser = std::find_if(parsers.begin(), parsers.end(),
                                             [&name = name](const auto& p) { return p.first == name; });
            if (parser == parsers.end())
                ignored.add(name, at / name);
            else
                parser->second(block, at / name);
        }
    }

    // The NamespaceParser that stores parse(block, at, problems) in `target`.
    template <typename T, typename Parse>
    NamespaceParser into(T& target, Parse parse) {
        return [this, &target, parse](const json& block, const JsonPath& at) {
            target = parse(block, at, problems);
        };
    }

    std::optional<BackendHost> parse_host(const std::string& url, const JsonPath& at) {
        BackendHost host;
        host.url = url;
        std::string_view rest = url;
        if (auto pos = rest.find("://"); pos != std::string_view::npos) {
            host.scheme = std::string(rest.substr(0, pos));
            rest.remove_prefix(pos + 3);
        } else {
            host.scheme = "http";  // as KrakenD does for a host without a scheme
        }
        for (auto& c : host.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        rest = rest.substr(0, rest.find_first_of("/?#"));
        if (auto at_sign = rest.rfind('@'); at_sign != std::string_view::npos) rest.remove_prefix(at_sign + 1);
        std::string_view port_text;
        if (!rest.empty() && rest.front() == '[') {
            auto close = rest.find(']');
            if (close == std::string_view::npos) {
                problems.error(at, fmt::format("expected a URL such as \"http://10.0.0.2:8080\", got "
                                               "{} (unclosed '[')", quote(url)));
                return std::nullopt;
            }
            host.host = std::string(rest.substr(1, close - 1));
            auto after = rest.substr(close + 1);
            if (!after.empty() && after.front() == ':') port_text = after.substr(1);
        } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
            host.host = std::string(rest.substr(0, colon));
            port_text = rest.substr(colon + 1);
        } else {
            host.host = std::string(rest);
        }
        if (host.host.empty()) {
            problems.error(at, fmt::format("expected a URL such as \"http://10.0.0.2:8080\", got {}",
                                           quote(url)));
            return std::nullopt;
        }
        if (!port_text.empty()) {
            unsigned value = 0;
            bool ok = port_text.size() <= 5;
            for (char c : port_text) {
                ok = ok && c >= '0' && c <= '9';
                value = value * 10 + static_cast<unsigned>(c - '0');
            }
            if (!ok || value == 0 || value > 65535) {
                problems.error(at, fmt::format("expected a port 1-65535 in {}", quote(url)));
                return std::nullopt;
            }
            host.port = static_cast<uint16_t>(value);
        } else {
            host.port = host.scheme == "https" ? 443 : host.scheme == "http" ? 80 : 0;
        }
        return host;
    }

    void parse_backend(const json& value, const JsonPath& at, Backend& out) {
        Fields fields(value, at, problems);
        out.json_path = at.str();
        if (!fields.valid()) return;
        std::vector<std::string> hosts;
        if (auto list = fields.string_list("host")) hosts = *list;
        const bool own_hosts = !hosts.empty();
        if (!own_hosts) hosts = root_hosts;  // KrakenD falls back to the service-level `host`
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            const JsonPath host_at = own_hosts ? (at / "host")[i] : (JsonPath() / "host")[i];
            if (auto h = parse_host(hosts[i], host_at)) out.hosts.push_back(*h);
        }
        if (auto p = fields.string("url_pattern")) out.url_pattern = *p;
        if (auto sd = fields.string("sd")) {
            if (*sd == "static")
                out.sd = ServiceDiscovery::static_hosts;
            else if (*sd == "dns" || *sd == "dns-shared")
                out.sd = ServiceDiscovery::dns_srv;
            else
                problems.error(at / "sd", fmt::format("expected \"static\", \"dns\" or \"dns-shared\", "
                                                      "got {}", quote(*sd)));
        }
        if (auto scheme = fields.string("sd_scheme")) {
            if (*scheme != "http" && *scheme != "https")
                problems.error(at / "sd_scheme",
                               fmt::format("expected \"http\" or \"https\", got {}", quote(*scheme)));
            else
                out.sd_scheme = *scheme;
        }
        if (out.hosts.empty() && fields.has("extra_config"))
            problems.warn(at, "backend without host (here or at the root): its proxy limit can never "
                              "match a flow");
        read_extra_config(fields, {{kProxyNs, into(out.proxy_limit, parse_proxy_limit)},
                                   {kCircuitBreakerNs, into(out.circuit_breaker, parse_circuit_breaker)}});
    }

    void parse_endpoint(const json& value, const JsonPath& at, http::EndpointMatcher& matcher) {
        Fields fields(value, at, problems);
        if (!fields.valid()) return;
        Endpoint ep;
        ep.json_path = at.str();
        auto pattern_text = fields.string("endpoint", true);
        if (!pattern_text) return;
        ep.pattern = *pattern_text;
        auto pattern = http::parse_endpoint_pattern(ep.pattern);
        if (!pattern) {
            problems.error(at / "endpoint", pattern.error().message);
            return;
        }
        ep.method = "GET";
        if (auto method = fields.string("method")) {
            std::string upper;
            for (char c : *method) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                             "OPTIONS", "CONNECT", "TRACE"};
            bool known = false;
            for (const char* m : kMethods) known = known || upper == m;
            if (!known) {
                problems.error(at / "method",
                               fmt::format("expected GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, "
                                           "CONNECT or TRACE, got {}", quote(*method)));
                return;
            }
            ep.method = upper;
        }
        if (auto added = matcher.add(ep.method, *pattern, config.endpoints.size()); !added) {
            problems.error(at / "endpoint", added.error().message);
            return;
        }
        ep.timeout_ns = fields.duration_ns("timeout").value_or(root_timeout_ns);
        const std::vector<std::string> placeholders = pattern->placeholders();
        read_extra_config(fields, {{kRouterNs,
                                    [&](const json& block, const JsonPath& ns_at) {
                                        ep.router_limit = parse_router_limit(block, ns_at, problems,
                                                                             placeholders);
                                    }},
                                   {kBotDetectorNs, into(ep.bot_detector, parse_bot_detector)},
                                   {kOwnNamespace, [&](const json& block, const JsonPath& ns_at) {
                                        ep.client_prefixes = parse_endpoint_own_namespace(
                                            block, ns_at, problems, config.gateway.client_prefixes);
                                    }}});
        if (const json* backends = fields.typed("backend", false, "an array of backends", is_array)) {
            for (std::size_t i = 0; i < backends->size(); ++i) {
                Backend b;
                parse_backend((*backends)[i], (at / "backend")[i], b);
                ep.backends.push_back(std::move(b));
            }
        }
        if (ep.backends.empty()) problems.warn(at, "endpoint without a backend");
        config.endpoints.push_back(std::move(ep));
    }

    void parse_root(const json& root) {
        const JsonPath at;
        Fields fields(root, at, problems);
        if (!fields.valid()) return;
        if (const json* version = fields.get("version")) {
            if (!version->is_number_unsigned() || version->get<uint64_t>() != 3)
                problems.error(at / "version",
                               fmt::format("expected 3 (KrakenD's current format), got {}",
                                           describe(*version)));
        } else {
            problems.warn(at, "no \"version\": KrakenD requires \"version\": 3");
        }
        if (auto hosts = fields.string_list("host")) root_hosts = *hosts;
        if (auto timeout = fields.duration_ns("timeout")) root_timeout_ns = *timeout;
        read_extra_config(fields, {{kServiceNs, into(config.service_limit, parse_service_limit)},
                                   {kBotDetectorNs, into(config.bot_detector, parse_bot_detector)},
                                   {kOwnNamespace, into(config.gateway, parse_own_namespace)}});
        http::EndpointMatcher matcher;
        if (const json* endpoints = fields.typed("endpoints", false, "an array of endpoints", is_array))
            for (std::size_t i = 0; i < endpoints->size(); ++i)
                parse_endpoint((*endpoints)[i], (at / "endpoints")[i], matcher);
        note_autoban_reach(config, problems);
    }
};

std::string line_and_column(std::string_view text, std::size_t byte) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return fmt::format("line {}, column {}", line, column);
}

}  // namespace

CheckReport check_config_text(std::string_view json_text, std::string source) {
    CheckReport report;
    report.config.source = source;
    json root;
    try {
        root = json::parse(json_text.begin(), json_text.end());
    } catch (const json::parse_error& e) {
        // nlohmann reports the byte just past the offending token.
        const std::size_t byte = e.byte > 0 ? e.byte - 1 : 0;
        std::string detail = e.what();
        if (auto pos = detail.find("syntax error"); pos != std::string::npos) detail = detail.substr(pos);
        report.problems.push_back(fmt::format("{}: not valid JSON at {}: {}", source,
                                              line_and_column(json_text, byte), detail));
        return report;
    }
    Loader loader;
    loader.config.source = source;
    loader.parse_root(root);
    loader.config.ignored_namespaces = loader.ignored.take();
    loader.config.warnings = std::move(loader.problems.warnings);
    report.problems = std::move(loader.problems.errors);
    report.config = std::move(loader.config);
    return report;
}

CheckReport check_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        CheckReport report;
        report.config.source = path;
        report.problems.push_back(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
        return report;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return check_config_text(text.str(), path);
}

namespace {
Result<Config> to_result(CheckReport report) {
    if (report.ok()) return std::move(report.config);
    std::string message = fmt::format("{}: {} problem{}:", report.config.source, report.problems.size(),
                                      report.problems.size() == 1 ? "" : "s");
    for (const auto& p : report.problems) message += "\n  " + p;
    return fail(ErrorKind::invalid_input, std::move(message));
}
}  // namespace

Result<Config> load_config(const std::string& path) { return to_result(check_config(path)); }

Result<Config> parse_config(std::string_view json_text, std::string source) {
    return to_result(check_config_text(json_text, std::move(source)));
}

}  // namespace xt::config
