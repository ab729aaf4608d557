// KrakenD endpoint patterns ("/users/{id}/orders") and the router that picks the endpoint of a
// request, with the precedence of KrakenD's router (gin/httprouter):
// - matching is per method, on whole path segments;
// - a static segment beats a placeholder at the same position, and when the static branch fails
//   further down the matcher backtracks to the placeholder (gin >= 1.8 does the same);
// - a placeholder matches one non-empty segment; "/a/" and "/a" are different paths (gin would
//   redirect one to the other; the redirected request is matched again);
// - a placeholder may follow a literal prefix inside its segment (gin's "/file/report-:id"): it
//   then matches the segments that start with the prefix and go on for at least one character;
//   a literal segment beats a prefixed placeholder, a longer prefix beats a shorter one, and both
//   beat a whole-segment placeholder (gin's longest-static-prefix-first walk);
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
    std::string text;  // the literal, or the placeholder's name (gin's: up to the segment's end)
    bool placeholder = false;
    std::string prefix;  // a placeholder's literal prefix inside its segment ("report-" in report-:id)
};

struct EndpointPattern {
    std::string text;   // as written, with the leading '/' KrakenD adds when it is missing
    std::string route;  // as KrakenD's router (gin) registers it
    std::vector<std::string> inputs;  // the placeholder names lura extracted (for url_pattern)
    std::vector<PatternSegment> segments;  // "/" -> one empty literal; "/a/" -> "a", ""
    std::vector<std::string> placeholders() const;
};

// A KrakenD `endpoint` as KrakenD's router registers it (lura config.initEndpoints, then gin):
// 1. lura turns "{name}" into gin's ":name". By default only a "{name}" right after a '/' counts
//    (name of [A-Za-z0-9_-]); with the root's "disable_rest": true every "{name}" does (name of
//    [A-Za-z0-9_.:/-]). Any other brace is a literal character.
// 2. gin reads ":" as a placeholder that runs to the end of its segment, after an optional literal
//    prefix: "/files/{name}.json" becomes "/files/:name.json", one placeholder named "name.json"
//    matching any segment, as in KrakenD; "/x/unrestful${t}" (disable_rest) becomes a placeholder
//    "t" after the prefix "unrestful$".
// A missing leading '/' is added (lura's CleanPath). Refused as KrakenD refuses them: a path
// ending in /__health, /__debug or /__echo (or with such a segment followed by more: KrakenD
// reserves them for its own endpoints), two placeholders in one segment (gin panics on
// them), and wildcards ("*"): lura refuses a '*' followed by anything, gin a bare one.
Result<EndpointPattern> parse_endpoint_pattern(std::string_view text, bool disable_rest = false);

// Step 1 above alone: the gin route lura registers for `text`.
std::string krakend_route(std::string_view text, bool disable_rest);
// The "{name}" names lura extracts from `text`: with disable_rest any, else those after a '/'.
// lura's simpleURLKeysPattern (the disable_rest one) also reads a backend's url_pattern.
std::vector<std::string> lura_placeholders(std::string_view text, bool disable_rest);

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
