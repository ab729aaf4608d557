#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "http/endpoint_matcher.hpp"

using namespace xt::http;

TEST(EndpointPattern, ParsesSegmentsAndPlaceholders) {
    struct Case {
        const char* text;
        std::size_t segments;
        std::vector<std::string> placeholders;
    } cases[] = {
        {"/", 1, {}},
        {"/users", 1, {}},
        {"/users/", 2, {}},
        {"/users/{id}", 2, {"id"}},
        {"/a/{x}/b/{y}", 4, {"x", "y"}},
        {"/a/:gin_style", 2, {"gin_style"}},
    };
    for (const auto& c : cases) {
        auto p = parse_endpoint_pattern(c.text);
        ASSERT_TRUE(p) << c.text << ": " << p.error().message;
        EXPECT_EQ(p->segments.size(), c.segments) << c.text;
        EXPECT_EQ(p->placeholders(), c.placeholders) << c.text;
    }
    for (const char* bad : {"", "users", "/a/{}", "/a/{id}x", "/a/x{id}", "/a/*", "/a/{id}/{id}", "/a/{b{c}"})
        EXPECT_FALSE(parse_endpoint_pattern(bad)) << bad;
}

TEST(RequestPath, NormalizesLikeTheBackendWill) {
    struct Case {
        const char* target;
        std::optional<std::string> path;
    } cases[] = {
        {"/", "/"},
        {"/a/b", "/a/b"},
        {"/a/b?x=1&y=/z", "/a/b"},
        {"/a/b#frag", "/a/b"},
        {"/a/b/", "/a/b/"},
        {"//a///b", "/a/b"},
        {"/a/./b", "/a/b"},
        {"/a/../b", "/b"},
        {"/../../b", "/b"},
        {"/a/b/..", "/a/"},
        {"/a/%62", "/a/b"},
        {"/a%2Fb", "/a/b"},
        {"/%7Euser", "/~user"},
        {"/a/%2e%2e/b", "/b"},
        {"http://example.test:8080/a/b?q", "/a/b"},
        {"HTTP://example.test", "/"},
        {"*", std::nullopt},
        {"a/b", std::nullopt},
        {"/a/%zz", std::nullopt},
        {"/a/%4", std::nullopt},
        {"/a/%00b", std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(normalize_request_path(c.target), c.path) << c.target;
}

namespace {

EndpointMatcher build(std::initializer_list<std::pair<const char*, const char*>> routes) {
    EndpointMatcher m;
    std::size_t i = 0;
    for (const auto& [method, pattern] : routes) {
        auto p = parse_endpoint_pattern(pattern);
        EXPECT_TRUE(p) << pattern;
        auto ok = m.add(method, *p, i++);
        EXPECT_TRUE(ok) << pattern << ": " << (ok ? "" : ok.error().message);
    }
    return m;
}

}  // namespace

TEST(EndpointMatcher, PrecedenceAndBacktracking) {
    const auto m = build({
        {"GET", "/users/{id}"},            // 0
        {"GET", "/users/me"},              // 1
        {"GET", "/users/{id}/orders"},     // 2
        {"GET", "/users/me/settings"},     // 3
        {"POST", "/users/{id}"},           // 4
        {"GET", "/"},                      // 5
        {"GET", "/files/"},                // 6
        {"GET", "/a/{x}/c"},               // 7
        {"GET", "/a/b/d"},                 // 8
    });
    struct Case {
        const char* method;
        const char* path;
        std::optional<std::size_t> endpoint;
        const char* param_id;
    } cases[] = {
        {"GET", "/users/42", 0, "42"},
        {"GET", "/users/me", 1, nullptr},            // static beats placeholder
        {"GET", "/users/me/orders", 2, "me"},        // static branch fails, backtrack to {id}
        {"GET", "/users/me/settings", 3, nullptr},
        {"GET", "/users/7/orders", 2, "7"},
        {"POST", "/users/7", 4, "7"},
        {"PUT", "/users/7", std::nullopt, nullptr},  // method must match
        {"HEAD", "/users/7", std::nullopt, nullptr},
        {"GET", "/users", std::nullopt, nullptr},
        {"GET", "/users/", std::nullopt, nullptr},   // empty segment is no placeholder value
        {"GET", "/users/7/", std::nullopt, nullptr}, // trailing slash is another path
        {"GET", "/", 5, nullptr},
        {"GET", "/files/", 6, nullptr},
        {"GET", "/files", std::nullopt, nullptr},
        {"GET", "/a/b/c", 7, nullptr},               // /a/b/... static then backtrack
        {"GET", "/a/b/d", 8, nullptr},
        {"GET", "/nothing/here", std::nullopt, nullptr},
    };
    for (const auto& c : cases) {
        auto hit = m.match(c.method, c.path);
        ASSERT_EQ(hit.has_value(), c.endpoint.has_value()) << c.method << " " << c.path;
        if (!hit) continue;
        EXPECT_EQ(hit->endpoint, *c.endpoint) << c.method << " " << c.path;
        if (c.param_id) {
            auto id = hit->param("id");
            ASSERT_TRUE(id) << c.path;
            EXPECT_EQ(*id, c.param_id);
        }
    }
}

TEST(EndpointMatcher, ExtractsEveryPlaceholder) {
    const auto m = build({{"GET", "/t/{tenant}/items/{item}"}});
    auto hit = m.match("GET", "/t/acme/items/99");
    ASSERT_TRUE(hit);
    EXPECT_EQ(*hit->param("tenant"), "acme");
    EXPECT_EQ(*hit->param("item"), "99");
    EXPECT_FALSE(hit->param("other"));
}

TEST(EndpointMatcher, RefusesDuplicatesAndConflicts) {
    EndpointMatcher m;
    auto p = [](const char* t) { return *parse_endpoint_pattern(t); };
    ASSERT_TRUE(m.add("GET", p("/a/{id}"), 0));
    EXPECT_FALSE(m.add("GET", p("/a/{id}"), 1));
    EXPECT_FALSE(m.add("GET", p("/a/{name}/x"), 2));
    EXPECT_TRUE(m.add("POST", p("/a/{name}"), 3));   // another method, another tree
    EXPECT_TRUE(m.add("GET", p("/a/{id}/x"), 4));
    EXPECT_TRUE(m.add("GET", p("/a/static"), 5));
}
