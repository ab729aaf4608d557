// The root of a KrakenD file: endpoints[], their backend[], the three extra_config scopes, and the
// bookkeeping of namespaces we do not enforce.
#include "config/load_config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autoban_block.hpp"
#include "own_namespace.hpp"
#include "qos_blocks.hpp"
#include "ratelimit_blocks.hpp"
#include "http/endpoint_matcher.hpp"

namespace xt::config {

namespace {

// KrakenD CE 2.x still reads these 1.x names (krakend-ce cmd/krakend-ce/main.go `aliases`, applied
// by lura's ExtraConfig.Normalize; the modules krakend-circuitbreaker v3.0.0 and krakend-botdetector
// even read the 1.x name). When one extra_config holds both, Normalize lets the v2 block win.
constexpr std::string_view kLegacyCircuitBreakerNs = "github.com/devopsfaith/krakend-circuitbreaker/gobreaker";
constexpr std::pair<std::string_view, std::string_view> kOneDotXNames[] = {
    {kLegacyCircuitBreakerNs, kCircuitBreakerNs},
    {"github_com/devopsfaith/krakend-botdetector", kBotDetectorNs},
};

// Backend kinds whose traffic leaves KrakenD as something else than HTTP to `host` (a queue, a
// cloud function): the gateway never sees it on the wire. Their 1.x names are in the list too.
constexpr std::string_view kOffTheWireNamespaces[] = {
    "backend/pubsub/publisher", "backend/pubsub/subscriber", "backend/amqp/consumer",
    "backend/amqp/producer", "backend/lambda",
    "github.com/devopsfaith/krakend-pubsub/publisher", "github.com/devopsfaith/krakend-pubsub/subscriber",
    "github.com/devopsfaith/krakend-amqp/consume", "github.com/devopsfaith/krakend-amqp/produce",
    "github.com/devopsfaith/krakend-lambda",
};

// The methods lura's gin router registers (router/gin/router.go registerKrakendEndpoint); it skips
// an endpoint with any other method ("Unsupported method") and starts without it.
bool krakend_registers(std::string_view method) {
    return method == "GET" || method == "POST" || method == "PUT" || method == "PATCH" ||
           method == "DELETE";
}

// KrakenD decodes `version` into a Go int with mapstructure's WeaklyTypedInput (krakend-koanf
// leaves koanf's default decoder config): a number is truncated (3.9 is 3), true is 1, and a
// string is read by strconv.ParseInt(s, 0, 64) ("3", "+3", "0x3", "0o3", "0b11", "03").
std::optional<int64_t> weak_int(const json& value) {
    if (value.is_number()) {
        const double d = value.get<double>();
        if (!(d > -9.2e18 && d < 9.2e18)) return std::nullopt;
        return static_cast<int64_t>(d);
    }
    if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
    if (!value.is_string()) return std::nullopt;
    std::string_view text = value.get_ref<const std::string&>();
    if (text.empty()) return 0;  // mapstructure reads "" as "0"
    bool negative = false;
    if (text.front() == '+' || text.front() == '-') {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    int base = 10;
    if (text.size() > 1 && text[0] == '0') {
        const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(text[1])));
        base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
        text.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
    }
    if (text.empty() || text.size() > 18) return std::nullopt;
    int64_t out = 0;
    for (char c : text) {
        const int digit = std::isdigit(static_cast<unsigned char>(c))
                              ? c - '0'
                              : std::isxdigit(static_cast<unsigned char>(c))
                                    ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                                    : 99;
        if (digit >= base) return std::nullopt;
        out = out * base + digit;
    }
    return negative ? -out : out;
}

// `endpoints` and `backend` are Go slices decoded with WeaklyTypedInput: one object stands for a
// list of one, and an empty object for an empty list. Anything else but an array is refused.
bool is_list_or_object(const json& value) { return value.is_array() || value.is_object(); }

std::vector<const json*> as_list(const json& value) {
    std::vector<const json*> out;
    if (value.is_array())
        for (const auto& item : value) out.push_back(&item);
    else if (!value.empty())
        out.push_back(&value);
    return out;
}

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
    bool disable_rest = false;  // the root `disable_rest`: how KrakenD reads placeholders
    std::string root_output_encoding;  // endpoints without their own `output_encoding` take it

    using NamespaceParser = std::function<void(const json& block, const JsonPath& at)>;

    // Hands each namespace of the extra_config in `fields` to its parser; the namespaces without
    // one are noted as ignored.
    // Each parsed block's path goes to `paths`.
    void read_extra_config(const Fields& fields, BlockPaths& paths,
                           std::initializer_list<std::pair<std::string_view, NamespaceParser>> parsers) {
        const json* extra = fields.get("extra_config");
        if (!extra) return;
        const JsonPath at = fields.path() / "extra_config";
        if (!extra->is_object()) {
            problems.error(at, fmt::format("expected an object, got {}", describe(*extra)));
            return;
        }
        for (const auto& [written, block] : extra->items()) {
            if (is_annotation_key(written)) continue;
            std::string_view name = written;
            for (const auto& [old_name, v2_name] : kOneDotXNames) {
                if (written != old_name) continue;
                if (extra->contains(v2_name)) {
                    problems.warn(at / written,
                                  fmt::format("1.x name of \"{}\", which this block also holds: "
                                              "KrakenD uses the \"{}\" block and so do we",
                                              v2_name, v2_name));
                    name = {};
                } else {
                    name = v2_name;
                }
            }
            if (name.empty()) continue;
            // A parser of the 1.x name itself (read as its module reads it) before the v2 one.
            auto parser = std::find_if(parsers.begin(), parsers.end(),
                                       [&w = written](const auto& p) { return p.first == w; });
            if (parser == parsers.end())
                parser = std::find_if(parsers.begin(), parsers.end(),
                                      [name](const auto& p) { return p.first == name; });
            if (parser == parsers.end()) {
                ignored.add(written, at / written);
            } else {
                paths[std::string(name)] = (at / written).str();
                parser->second(block, at / written);
            }
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
        if (host.scheme != "http" && host.scheme != "https") {
            // A pub/sub URL ("kafka://", "mem://topic", "awssqs://queue?region=..."): not an
            // address the gateway sees traffic to (the backend is listed as not enforceable).
            host.host = std::string(rest.substr(0, rest.find_first_of("/?#")));
            host.port = 0;
            return host;
        }
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

    // lura's initBackendURLMappings: every "{name}" of url_pattern must be a placeholder of the
    // endpoint, or a sequential-proxy value ("resp0_field") or a JWT claim ("JWT.sub").
    void check_url_pattern(const std::string& url_pattern, const std::vector<std::string>& inputs,
                           const JsonPath& at) {
        for (const auto& name : http::lura_placeholders(url_pattern, /*disable_rest=*/true)) {
            std::size_t digits = 4;
            while (name.starts_with("resp") && digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits])))
                ++digits;
            const bool sequential = digits > 4 && digits + 1 < name.size() && name[digits] == '_';
            const bool jwt = name.starts_with("JWT.") && name.size() > 4 &&
                             name.find_first_of("{}", 4) == std::string::npos;
            if (sequential || jwt || std::find(inputs.begin(), inputs.end(), name) != inputs.end()) continue;
            problems.error(at, fmt::format("{{{}}} is no placeholder of the endpoint ({}): KrakenD "
                                           "refuses the file (UndefinedOutputParamError)", name,
                                           inputs.empty() ? "it has none" : fmt::format("{}", fmt::join(inputs, ", "))));
        }
    }

    void parse_backend(const json& value, const JsonPath& at, const std::vector<std::string>& inputs,
                       Backend& out) {
        Fields fields(value, at, problems);
        out.json_path = at.str();
        if (!fields.valid()) return;
        std::vector<std::string> hosts;
        if (auto list = fields.weak_string_list("host")) hosts = *list;
        const bool own_hosts = !hosts.empty();
        if (!own_hosts) hosts = root_hosts;  // KrakenD falls back to the service-level `host`
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            const JsonPath host_at = own_hosts ? (at / "host")[i] : (JsonPath() / "host")[i];
            if (auto h = parse_host(hosts[i], host_at)) out.hosts.push_back(*h);
        }
        if (auto p = fields.string("url_pattern")) {
            out.url_pattern = *p;
            check_url_pattern(*p, inputs, at / "url_pattern");
        }
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
        read_extra_config(fields, out.blocks, {{kProxyNs, into(out.proxy_limit, parse_proxy_limit)},
                                   {kCircuitBreakerNs, into(out.circuit_breaker, parse_circuit_breaker)},
                                   {kLegacyCircuitBreakerNs,
                                    into(out.circuit_breaker, parse_legacy_circuit_breaker)}});
        std::vector<std::string> needs_addresses;
        if (out.proxy_limit) needs_addresses.emplace_back(kProxyNs);
        if (out.circuit_breaker) needs_addresses.emplace_back(kCircuitBreakerNs);
        if (auto reason = off_the_wire(fields, out)) {
            if (!needs_addresses.empty())
                problems.warn(at, fmt::format("backend not seen on the wire ({}): its {} cannot "
                                              "apply and is dropped", *reason,
                                              fmt::join(needs_addresses, " and ")));
            config.unenforceable_backends.push_back({out.json_path, *reason, needs_addresses});
            out.proxy_limit.reset();
            out.circuit_breaker.reset();
        } else if (out.hosts.empty() && !needs_addresses.empty()) {
            problems.warn(at, fmt::format("backend without host (here or at the root): its {} can "
                                          "never match a flow", fmt::join(needs_addresses, " and ")));
        }
    }

    // Why the gateway cannot see this backend's traffic, if it cannot.
    static std::optional<std::string> off_the_wire(const Fields& fields, const Backend& backend) {
        if (const json* extra = fields.get("extra_config"); extra && extra->is_object())
            for (std::string_view ns : kOffTheWireNamespaces)
                if (extra->contains(ns)) return fmt::format("namespace \"{}\"", ns);
        for (const auto& host : backend.hosts)
            if (host.scheme != "http" && host.scheme != "https")
                return fmt::format("host scheme \"{}\"", host.scheme);
        return std::nullopt;
    }

    void parse_endpoint(const json& value, const JsonPath& at, http::EndpointMatcher& matcher) {
        Fields fields(value, at, problems);
        if (!fields.valid()) return;
        Endpoint ep;
        ep.json_path = at.str();
        auto pattern_text = fields.string("endpoint", true);
        if (!pattern_text) return;
        auto pattern = http::parse_endpoint_pattern(*pattern_text, disable_rest);
        if (!pattern) {
            problems.error(at / "endpoint", pattern.error().message);
            return;
        }
        ep.pattern = pattern->text;
        ep.route = pattern->route;
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
        ep.krakend_registers = krakend_registers(ep.method);
        if (!ep.krakend_registers)
            problems.warn(at / "method",
                          fmt::format("KrakenD CE does not register {} endpoints (its router logs "
                                      "\"Unsupported method\" and starts without {} {}); they are "
                                      "enforced here", ep.method, ep.method, ep.pattern));
        if (auto added = matcher.add(ep.method, *pattern, config.endpoints.size()); !added) {
            problems.error(at / "endpoint", added.error().message);
            return;
        }
        ep.timeout_ns = fields.duration_ns("timeout").value_or(root_timeout_ns);
        const std::vector<std::string> placeholders = pattern->placeholders();
        read_extra_config(fields, ep.blocks, {{kRouterNs,
                                    [&](const json& block, const JsonPath& ns_at) {
                                        ep.router_limit = parse_router_limit(block, ns_at, problems,
                                                                             placeholders);
                                    }},
                                   {kBotDetectorNs, into(ep.bot_detector, parse_bot_detector)},
                                   {kOwnNamespace, [&](const json& block, const JsonPath& ns_at) {
                                        ep.client_prefixes = parse_endpoint_own_namespace(
                                            block, ns_at, problems, config.gateway.client_prefixes);
                                    }}});
        if (const json* backends = fields.typed("backend", false, "an array of backends (or one backend)",
                                                is_list_or_object)) {
            const auto list = as_list(*backends);
            for (std::size_t i = 0; i < list.size(); ++i) {
                Backend b;
                parse_backend(*list[i], backends->is_array() ? (at / "backend")[i] : at / "backend",
                              pattern->inputs, b);
                ep.backends.push_back(std::move(b));
            }
        }
        // lura's initEndpoints: errInvalidNoOpEncoding.
        const auto encoding = fields.string("output_encoding").value_or(root_output_encoding);
        if (encoding == "no-op" && ep.backends.size() > 1)
            problems.error(at / "backend", fmt::format("{} backends with output_encoding \"no-op\" (KrakenD "
                                                       "refuses: \"can not use NoOp encoding with more "
                                                       "than one backends\")", ep.backends.size()));
        if (ep.backends.empty())
            problems.error(at, fmt::format("{} {}: endpoint without a backend (KrakenD refuses the "
                                           "file: \"... since it has 0 backends defined!\")",
                                           ep.method, ep.pattern));
        config.endpoints.push_back(std::move(ep));
    }

    void parse_root(const json& root) {
        const JsonPath at;
        Fields fields(root, at, problems);
        if (!fields.valid()) return;
        if (const json* version = fields.get("version")) {
            if (weak_int(*version) != 3)
                problems.error(at / "version",
                               fmt::format("expected 3 (KrakenD's current format), got {}",
                                           describe(*version)));
        } else {
            // lura's Init compares the zero value with 3: "unsupported version: 0 (want: 3)".
            problems.error(at / "version", "required: expected 3 (KrakenD refuses a file without it)");
        }
        if (auto hosts = fields.weak_string_list("host")) root_hosts = *hosts;
        // lura's initGlobalParams: a non-empty `address` must be what Go's net.ParseIP reads.
        if (auto address = fields.string("address"); address && !address->empty() && !parse_address(*address))
            problems.error(at / "address", fmt::format("expected an IP address to listen on, got {} "
                                                       "(KrakenD: \"invalid ip address\")", quote(*address)));
        if (auto encoding = fields.string("output_encoding")) root_output_encoding = *encoding;
        if (auto flag = fields.boolean("disable_rest")) disable_rest = *flag;
        if (auto timeout = fields.duration_ns("timeout")) root_timeout_ns = *timeout;
        read_extra_config(fields, config.blocks, {{kServiceNs, into(config.service_limit, parse_service_limit)},
                                   {kBotDetectorNs, into(config.bot_detector, parse_bot_detector)},
                                   {kOwnNamespace, into(config.gateway, parse_own_namespace)}});
        http::EndpointMatcher matcher;
        if (const json* endpoints = fields.typed("endpoints", false, "an array of endpoints (or one endpoint)",
                                                 is_list_or_object)) {
            const auto list = as_list(*endpoints);
            for (std::size_t i = 0; i < list.size(); ++i)
                parse_endpoint(*list[i], endpoints->is_array() ? (at / "endpoints")[i] : at / "endpoints",
                               matcher);
        }
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

// What Go's encoding/json (koanf's JSON parser) does with bytes that are not UTF-8: inside strings
// each becomes U+FFFD; outside strings they are a syntax error either way. So replacing them all
// first gives KrakenD's verdict.
std::string replace_invalid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = n > 0 && i + n <= text.size();
        for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (ok && n > 1) {  // overlong forms, surrogates and code points above U+10FFFF are invalid too
            uint32_t cp = c & (0xff >> (n + 1));
            for (std::size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3f);
            static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= kMin[n] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        }
        if (ok) {
            out.append(text.substr(i, n));
            i += n;
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
    return out;
}

}  // namespace

CheckReport check_config_text(std::string_view original_text, std::string source) {
    CheckReport report;
    report.config.source = source;
    if (original_text.starts_with("\xef\xbb\xbf")) {
        // nlohmann skips a byte-order mark; Go's json.Unmarshal does not.
        report.problems.push_back(fmt::format("{}: not valid JSON at line 1, column 1: the file starts "
                                              "with a UTF-8 byte-order mark (KrakenD: \"invalid character "
                                              "'\u00ef' looking for beginning of value\")", source));
        return report;
    }
    const std::string json_text = replace_invalid_utf8(original_text);
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
