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
    for (const char* bad : {"/a/*", "/a/*name", "/a/{id}/{id}", "/a/:", "/a/x:y:z"})
        EXPECT_FALSE(parse_endpoint_pattern(bad)) << bad;
}

// lura's initEndpoints (CleanPath, placeholder extraction, GetEndpointPath), then gin's reading of
// the route: KrakenD registers each of these.
TEST(EndpointPattern, ConvertsLikeLuraAndGin) {
    struct Case {
        const char* text;
        bool disable_rest;
        const char* route;
        std::vector<std::string> placeholders;
    } cases[] = {
        {"/users/{id}", false, "/users/:id", {"id"}},
        {"users/{id}", false, "/users/:id", {"id"}},              // CleanPath adds the '/'
        {"", false, "/", {}},
        {"/files/{name}.json", false, "/files/:name.json", {"name.json"}},  // gin's name: to '/'
        {"/a/{id}-{v}", false, "/a/:id-{v}", {"id-{v}"}},         // only "/{...}" is extracted
        {"/a/x{id}", false, "/a/x{id}", {}},                      // a literal segment
        {"/a/{}", false, "/a/{}", {}},
        {"/fhir/unrestful${translate}", true, "/fhir/unrestful$:translate", {"translate"}},
        {"/fhir/unrestful${translate}", false, "/fhir/unrestful${translate}", {}},
        {"/a/{x.y}", true, "/a/:x.y", {"x.y"}},
        {"/a/{x.y}", false, "/a/{x.y}", {}},
        {"/v1/items:batchGet", false, "/v1/items:batchGet", {"batchGet"}},  // gin: a placeholder
        {"/a/{id}?x={id}", false, "/a/:id?x={id}", {"id?x={id}"}},
    };
    for (const auto& c : cases) {
        auto p = parse_endpoint_pattern(c.text, c.disable_rest);
        ASSERT_TRUE(p) << c.text << ": " << p.error().message;
        EXPECT_EQ(p->route, c.route) << c.text;
        EXPECT_EQ(p->placeholders(), c.placeholders) << c.text;
        auto again = parse_endpoint_pattern(p->route);  // what the policy engine does
        ASSERT_TRUE(again) << c.text;
        EXPECT_EQ(again->route, p->route) << c.text;
    }
    // Two placeholders in one segment: gin panics, KrakenD does not start.
    EXPECT_FALSE(parse_endpoint_pattern("/a/{x}-{y}", true));
}

TEST(EndpointPattern, RefusesKrakendsReservedPaths) {
    for (const char* bad : {"/__health", "/api/__debug", "/__echo/", "/x/__health/more", "__health"}) {
        auto p = parse_endpoint_pattern(bad);
        ASSERT_FALSE(p) << bad;
        EXPECT_NE(p.error().message.find("KrakenD reserves"), std::string::npos) << p.error().message;
    }
    for (const char* good : {"/__healthz", "/health", "/a__debug", "/__echoes/x"})
        EXPECT_TRUE(parse_endpoint_pattern(good)) << good;
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

EndpointMatcher build(std::initializer_list<std::pair<const char*, const char*>> routes,
                      bool disable_rest = false) {
    EndpointMatcher m;
    std::size_t i = 0;
    for (const auto& [method, pattern] : routes) {
        auto p = parse_endpoint_pattern(pattern, disable_rest);
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

// A placeholder after a literal prefix in its segment, as gin matches it: longest static first.
TEST(EndpointMatcher, PlaceholdersInsideSegments) {
    const auto m = build({
        {"GET", "/files/{name}.json"},              // 0: gin's ":name.json", any whole segment
        {"GET", "/fhir/unrestful${translate}"},     // 1: prefix "unrestful$"
        {"GET", "/fhir/unrestful$all"},             // 2: a literal
        {"GET", "/fhir/un{short}"},                 // 3: a shorter prefix
        {"GET", "/fhir/{other}"},                   // 4: a whole segment
        {"GET", "/r/report-{id}/pdf"},              // 5
    }, /*disable_rest=*/true);
    struct Case {
        const char* path;
        std::optional<std::size_t> endpoint;
        const char* name;
        const char* value;
    } cases[] = {
        {"/files/a.json", 0, "name.json", "a.json"},
        {"/files/report.pdf", 0, "name.json", "report.pdf"},  // the ".json" is part of gin's name
        {"/files/", std::nullopt, nullptr, nullptr},
        {"/fhir/unrestful$es", 1, "translate", "es"},
        {"/fhir/unrestful$all", 2, nullptr, nullptr},          // a literal beats a prefix
        {"/fhir/unrestful$", 3, "short", "restful$"},          // empty after the long prefix
        {"/fhir/unX", 3, "short", "X"},
        {"/fhir/un", 4, "other", "un"},                        // empty after every prefix
        {"/fhir/zzz", 4, "other", "zzz"},
        {"/r/report-7/pdf", 5, "id", "7"},
        {"/r/report-/pdf", std::nullopt, nullptr, nullptr},
        {"/r/report-7", std::nullopt, nullptr, nullptr},
    };
    for (const auto& c : cases) {
        auto hit = m.match("GET", c.path);
        ASSERT_EQ(hit.has_value(), c.endpoint.has_value()) << c.path;
        if (!hit) continue;
        EXPECT_EQ(hit->endpoint, *c.endpoint) << c.path;
        if (c.name) {
            auto v = hit->param(c.name);
            ASSERT_TRUE(v) << c.path;
            EXPECT_EQ(*v, c.value) << c.path;
        }
    }
    EndpointMatcher conflicts;
    ASSERT_TRUE(conflicts.add("GET", *parse_endpoint_pattern("/a/x:one"), 0));
    EXPECT_FALSE(conflicts.add("GET", *parse_endpoint_pattern("/a/x:two"), 1));  // gin refuses it
    EXPECT_TRUE(conflicts.add("GET", *parse_endpoint_pattern("/a/x:one/b"), 2));
}
