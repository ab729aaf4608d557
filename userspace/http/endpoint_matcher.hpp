// KrakenD endpoint patterns ("/users/{id}/orders") and the router that picks the endpoint of a
// request, with the precedence of KrakenD's router (gin/httprouter):
// - matching is per method, on whole path segments;
// - a static segment beats a placeholder at the same position, and when the static branch fails
//   further down the matcher backtracks to the placeholder (gin >= 1.8 does the same);
// - a placeholder matches one non-empty segment; "/a/" and "/a" are different paths (gin would
//   redirect one to the other; the redirected request is matched again);
// - two placeholders with different names at the same position of one method are refused, as gin
//   refuses them (KrakenD would not start).
// Request paths are normalized first (normalize_request_path) so that a request cannot dodge a
// limit by spelling its path differently from how the backend resolves it.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace xt::http {

struct PatternSegment {
    std::string text;  // the literal, or the placeholder's name
    bool placeholder = false;
};

struct EndpointPattern {
    std::string text;
    std::vector<PatternSegment> segments;  // "/" -> one empty literal; "/a/" -> "a", ""
    std::vector<std::string> placeholders() const;
};

// "{name}" (or gin's ":name") must be a whole segment; the pattern must start with '/'.
// Wildcards ("*") are refused: KrakenD CE has none.
Result<EndpointPattern> parse_endpoint_pattern(std::string_view text);

// The path of a request target, as the router should see it: absolute-form reduced to its path,
// query and fragment removed, percent-escapes decoded, "." and ".." resolved, repeated slashes
// merged (nginx's merge_slashes). Nothing when the target is not a path ("*", bad escapes, NUL).
std::optional<std::string> normalize_request_path(std::string_view target);

struct EndpointMatch {
    std::size_t endpoint = 0;  // the index given to add()
    std::vector<std::pair<std::string, std::string>> params;  // placeholder name -> value
    std::optional<std::string_view> param(std::string_view name) const;
};

class EndpointMatcher {
public:
    EndpointMatcher();
    ~EndpointMatcher();
    EndpointMatcher(EndpointMatcher&&) noexcept;
    EndpointMatcher& operator=(EndpointMatcher&&) noexcept;

    // Refuses a duplicate (method, pattern) and conflicting placeholder names.
    Status add(std::string_view method, const EndpointPattern& pattern, std::size_t endpoint);

    // `path` must come from normalize_request_path. `method` is compared exactly (upper case).
    std::optional<EndpointMatch> match(std::string_view method, std::string_view path) const;

private:
    struct Node;
    std::map<std::string, std::unique_ptr<Node>, std::less<>> roots_;  // one tree per method
};

}  // namespace xt::http
