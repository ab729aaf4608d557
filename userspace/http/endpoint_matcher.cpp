#include "http/endpoint_matcher.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace xt::http {

namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
    // The leading '/' is not a separator: "/" -> [""], "/a/b" -> ["a", "b"], "/a/" -> ["a", ""].
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    while (true) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::vector<std::string> EndpointPattern::placeholders() const {
    std::vector<std::string> out;
    for (const auto& s : segments)
        if (s.placeholder) out.push_back(s.text);
    return out;
}

namespace {

// The characters of a placeholder name in lura's patterns: endpointURLKeysPattern
// `/\{([a-zA-Z\-_0-9]+)\}` and, with disable_rest, simpleURLKeysPattern `\{([\w\-\.:/]+)\}`.
bool is_name_char(char c, bool disable_rest) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') return true;
    return disable_rest && (c == '.' || c == ':' || c == '/');
}

}  // namespace

std::vector<std::string> lura_placeholders(std::string_view path, bool disable_rest) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] != '{' || (!disable_rest && (i == 0 || path[i - 1] != '/'))) continue;
        std::size_t j = i + 1;
        while (j < path.size() && is_name_char(path[j], disable_rest)) ++j;
        if (j == i + 1 || j == path.size() || path[j] != '}') continue;
        names.emplace_back(path.substr(i + 1, j - i - 1));
        i = j;
    }
    return names;
}

std::string krakend_route(std::string_view text, bool disable_rest) {
    // lura's GetEndpointPath only rewrites what comes before a '?'.
    const std::size_t query = text.find('?');
    std::string path(text.substr(0, query));
    for (const auto& name : lura_placeholders(path, disable_rest)) {
        const std::string from = "{" + name + "}";
        const std::string to = ":" + name;
        for (std::size_t pos = path.find(from); pos != std::string::npos;
             pos = path.find(from, pos + to.size()))
            path.replace(pos, from.size(), to);
    }
    if (query != std::string_view::npos) path += text.substr(query);
    return path;
}

namespace {

// lura's invalidPattern `/__(debug|echo|health)(/.*)?$`: the segment that makes it match.
std::optional<std::string_view> reserved_segment(std::string_view path) {
    for (std::string_view name : {"/__debug", "/__echo", "/__health"}) {
        for (auto pos = path.find(name); pos != std::string_view::npos; pos = path.find(name, pos + 1)) {
            const auto after = pos + name.size();
            if (after == path.size() || path[after] == '/') return name.substr(1);
        }
    }
    return std::nullopt;
}

}  // namespace

Result<EndpointPattern> parse_endpoint_pattern(std::string_view written, bool disable_rest) {
    EndpointPattern pattern;
    pattern.text = (written.starts_with("/") ? "" : "/") + std::string(written);
    const std::string_view text = pattern.text;
    if (auto reserved = reserved_segment(text))
        return failf(ErrorKind::invalid_input,
                     "\"{}\": KrakenD reserves /{} for itself and refuses to start with an endpoint "
                     "ending in /__health, /__debug or /__echo (or under them)", text, *reserved);
    pattern.route = krakend_route(text, disable_rest);
    pattern.inputs = lura_placeholders(text, disable_rest);
    const std::string& route = pattern.route;
    for (std::string_view seg : split_segments(route)) {
        PatternSegment out;
        if (seg.find('*') != std::string_view::npos)
            return failf(ErrorKind::invalid_input,
                         "wildcard segments are not supported (KrakenD CE has none): \"{}\"", text);
        const auto colon = seg.find(':');
        if (colon == std::string_view::npos) {
            out.text = std::string(seg);  // braces lura did not convert are literal characters
            pattern.segments.push_back(std::move(out));
            continue;
        }
        out.placeholder = true;
        out.prefix = std::string(seg.substr(0, colon));
        out.text = std::string(seg.substr(colon + 1));
        if (out.text.empty())
            return failf(ErrorKind::invalid_input,
                         "expected a placeholder such as {{id}}, got \"{}\" in \"{}\" (gin route "
                         "\"{}\")", seg, text, route);
        if (out.text.find(':') != std::string::npos)
            return failf(ErrorKind::invalid_input,
                         "two placeholders in one path segment (\"{}\" in \"{}\", gin route \"{}\"): "
                         "KrakenD's router (gin) refuses to start with them", seg, text, route);
        for (const auto& earlier : pattern.segments)
            if (earlier.placeholder && earlier.text == out.text)
                return failf(ErrorKind::invalid_input, "placeholder {{{}}} appears twice in \"{}\"",
                             out.text, text);
        pattern.segments.push_back(std::move(out));
    }
    return pattern;
}

std::optional<std::string> normalize_request_path(std::string_view target) {
    // absolute-form: "http://host:port/path?q" (proxies send it; servers must accept it)
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() >= scheme.size()) {
            bool same = true;
            for (std::size_t i = 0; i < scheme.size(); ++i)
                same = same && std::tolower(static_cast<unsigned char>(target[i])) == scheme[i];
            if (same) {
                target.remove_prefix(scheme.size());
                auto slash = target.find_first_of("/?#");
                target = slash == std::string_view::npos || target[slash] != '/'
                             ? std::string_view("/")
                             : target.substr(slash);
                break;
            }
        }
    }
    if (target.empty() || target.front() != '/') return std::nullopt;
    target = target.substr(0, target.find_first_of("?#"));

    std::string decoded;
    decoded.reserve(target.size());
    for (std::size_t i = 0; i < target.size(); ++i) {
        char c = target[i];
        if (c == '%') {
            if (i + 2 >= target.size()) return std::nullopt;
            const int hi = hex_value(target[i + 1]), lo = hex_value(target[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') return std::nullopt;
        decoded += c;
    }

    std::vector<std::string_view> kept;
    bool trailing_slash = false;
    const auto parts = split_segments(decoded);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const bool last = i + 1 == parts.size();
        const auto part = parts[i];
        if (part.empty() || part == ".") {
            if (last) trailing_slash = true;
            continue;
        }
        if (part == "..") {
            if (!kept.empty()) kept.pop_back();
            if (last) trailing_slash = true;
            continue;
        }
        kept.push_back(part);
        trailing_slash = false;
    }
    std::string out = "/";
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (i) out += '/';
        out += kept[i];
    }
    if (trailing_slash && !kept.empty()) out += '/';
    return out;
}

std::optional<std::string_view> EndpointMatch::param(std::string_view name) const {
    for (const auto& [k, v] : params)
        if (k == name) return std::string_view(v);
    return std::nullopt;
}

struct EndpointMatcher::Node {
    struct Prefixed {
        std::string prefix;
        std::string name;
        std::unique_ptr<Node> node;
    };
    std::map<std::string, std::unique_ptr<Node>, std::less<>> statics;
    std::vector<Prefixed> prefixed;  // longest prefix first: the order gin tries them
    std::unique_ptr<Node> placeholder;
    std::string placeholder_name;
    std::optional<std::size_t> endpoint;
    std::string pattern_text;
};

EndpointMatcher::EndpointMatcher() = default;
EndpointMatcher::~EndpointMatcher() = default;
EndpointMatcher::EndpointMatcher(EndpointMatcher&&) noexcept = default;
EndpointMatcher& EndpointMatcher::operator=(EndpointMatcher&&) noexcept = default;

Status EndpointMatcher::add(std::string_view method, const EndpointPattern& pattern,
                            std::size_t endpoint) {
    auto& root = roots_[std::string(method)];
    if (!root) root = std::make_unique<Node>();
    Node* node = root.get();
    for (const auto& seg : pattern.segments) {
        if (seg.placeholder && !seg.prefix.empty()) {
            auto it = std::find_if(node->prefixed.begin(), node->prefixed.end(),
                                   [&](const Node::Prefixed& p) { return p.prefix == seg.prefix; });
            if (it == node->prefixed.end()) {
                auto pos = std::find_if(node->prefixed.begin(), node->prefixed.end(),
                                        [&](const Node::Prefixed& p) {
                                            return p.prefix.size() < seg.prefix.size();
                                        });
                it = node->prefixed.insert(pos, {seg.prefix, seg.text, std::make_unique<Node>()});
            } else if (it->name != seg.text) {
                return failf(ErrorKind::invalid_input,
                             "{} {}: placeholder {}:{} conflicts with {}:{} at the same position "
                             "of another {} endpoint (KrakenD's router refuses this too)",
                             method, pattern.text, seg.prefix, seg.text, it->prefix, it->name, method);
            }
            node = it->node.get();
        } else if (seg.placeholder) {
            if (!node->placeholder) {
                node->placeholder = std::make_unique<Node>();
                node->placeholder_name = seg.text;
            } else if (node->placeholder_name != seg.text) {
                return failf(ErrorKind::invalid_input,
                             "{} {}: placeholder {{{}}} conflicts with {{{}}} at the same position "
                             "of another {} endpoint (KrakenD's router refuses this too)",
                             method, pattern.text, seg.text, node->placeholder_name, method);
            }
            node = node->placeholder.get();
        } else {
            auto& child = node->statics[seg.text];
            if (!child) child = std::make_unique<Node>();
            node = child.get();
        }
    }
    if (node->endpoint)
        return failf(ErrorKind::invalid_input, "{} {} is defined twice (the same route as \"{}\")", method,
                     pattern.text, node->pattern_text);
    node->endpoint = endpoint;
    node->pattern_text = pattern.text;
    return {};
}

namespace {

template <typename Node>
const Node* walk(const Node& node, const std::vector<std::string_view>& segs, std::size_t i,
                 std::vector<std::pair<std::string, std::string>>& params) {
    if (i == segs.size()) return node.endpoint ? &node : nullptr;
    if (auto it = node.statics.find(segs[i]); it != node.statics.end())
        if (const Node* hit = walk(*it->second, segs, i + 1, params)) return hit;
    for (const auto& p : node.prefixed) {
        if (segs[i].size() <= p.prefix.size() || !segs[i].starts_with(p.prefix)) continue;
        params.emplace_back(p.name, std::string(segs[i].substr(p.prefix.size())));
        if (const Node* hit = walk(*p.node, segs, i + 1, params)) return hit;
        params.pop_back();
    }
    if (node.placeholder && !segs[i].empty()) {
        params.emplace_back(node.placeholder_name, std::string(segs[i]));
        if (const Node* hit = walk(*node.placeholder, segs, i + 1, params)) return hit;
        params.pop_back();
    }
    return nullptr;
}

}  // namespace

std::optional<EndpointMatch> EndpointMatcher::match(std::string_view method,
                                                    std::string_view path) const {
    auto root = roots_.find(method);
    if (root == roots_.end() || path.empty() || path.front() != '/') return std::nullopt;
    const auto segs = split_segments(path);
    EndpointMatch match;
    const Node* hit = walk(*root->second, segs, 0, match.params);
    if (!hit) return std::nullopt;
    match.endpoint = *hit->endpoint;
    return match;
}

}  // namespace xt::http
