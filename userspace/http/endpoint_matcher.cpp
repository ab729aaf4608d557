#include "http/endpoint_matcher.hpp"

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

Result<EndpointPattern> parse_endpoint_pattern(std::string_view text) {
    if (text.empty() || text.front() != '/')
        return failf(ErrorKind::invalid_input, "expected a path starting with '/', got \"{}\"", text);
    EndpointPattern pattern;
    pattern.text = std::string(text);
    for (std::string_view seg : split_segments(text)) {
        PatternSegment out;
        if (seg.find('*') != std::string_view::npos)
            return failf(ErrorKind::invalid_input,
                         "wildcard segments are not supported (KrakenD CE has none): \"{}\"", text);
        if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
            out.placeholder = true;
            out.text = std::string(seg.substr(1, seg.size() - 2));
        } else if (seg.size() >= 2 && seg.front() == ':') {
            out.placeholder = true;
            out.text = std::string(seg.substr(1));
        } else {
            out.text = std::string(seg);
        }
        if (out.placeholder) {
            if (out.text.empty() || out.text.find_first_of("{}:") != std::string::npos)
                return failf(ErrorKind::invalid_input,
                             "expected a placeholder such as {{id}}, got \"{}\" in \"{}\"", seg, text);
            for (const auto& earlier : pattern.segments)
                if (earlier.placeholder && earlier.text == out.text)
                    return failf(ErrorKind::invalid_input, "placeholder {{{}}} appears twice in \"{}\"",
                                 out.text, text);
        } else if (out.text.find_first_of("{}") != std::string::npos) {
            return failf(ErrorKind::invalid_input,
                         "a placeholder must be a whole path segment such as /{{id}}/, got \"{}\" in \"{}\"",
                         seg, text);
        }
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
    std::map<std::string, std::unique_ptr<Node>, std::less<>> statics;
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
        if (seg.placeholder) {
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
