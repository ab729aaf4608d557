// xt::HttpPorts: the one rule set for HTTP ports, whichever way they arrive: the command lines'
// --http-port (xdp-throttle attach, xdp-throttled), the config's "xdp-throttle".http_ports, and
// the ports the loader records in xt_config. Each case goes through every source and must get the
// same answer.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/load_config.hpp"
#include "input/http_ports.hpp"

namespace {

struct PortCase {
    const char* name;
    std::vector<std::string> cli;          // --http-port values as typed
    std::string json;                      // the same list as the config's JSON array
    std::optional<std::vector<uint16_t>> expected;  // nullopt: refused
    std::string message;                   // part of the (first) problem when refused
};

std::vector<PortCase> cases() {
    std::vector<std::string> eight, nine;
    for (int p = 1; p <= XT_MAX_HTTP_PORTS + 1; ++p) (p <= XT_MAX_HTTP_PORTS ? eight : nine).push_back(std::to_string(p));
    nine.insert(nine.begin(), eight.begin(), eight.end());
    return {
        {"one", {"80"}, "[80]", std::vector<uint16_t>{80}, ""},
        {"sorted", {"8080", "80"}, "[8080, 80]", std::vector<uint16_t>{80, 8080}, ""},
        {"bounds", {"1", "65535"}, "[1, 65535]", std::vector<uint16_t>{1, 65535}, ""},
        {"as many as the kernel holds", eight, fmt::format("[{}]", fmt::join(eight, ", ")),
         std::vector<uint16_t>{1, 2, 3, 4, 5, 6, 7, 8}, ""},
        {"duplicate", {"80", "8080", "80"}, "[80, 8080, 80]", std::nullopt, "port 80 listed twice"},
        {"zero", {"0"}, "[0]", std::nullopt, "expected a TCP port (1-65535), got "},
        {"too large", {"65536"}, "[65536]", std::nullopt, "expected a TCP port (1-65535), got "},
        {"huge", {"99999999999999999999999"}, "[99999999999999999999999]", std::nullopt,
         "expected a TCP port (1-65535), got "},
        {"negative", {"-1"}, "[-1]", std::nullopt, "expected a TCP port (1-65535), got "},
        {"junk", {"http"}, R"(["http"])", std::nullopt, "expected a TCP port (1-65535), got "},
        {"number as text", {"80x"}, R"(["80x"])", std::nullopt, "expected a TCP port (1-65535), got "},
        {"empty list", {}, "[]", std::nullopt, "expected at least one TCP port"},
        {"too many", nine, fmt::format("[{}]", fmt::join(nine, ", ")), std::nullopt,
         "9 ports given; the XDP program matches at most 8"},
    };
}

std::string config_with(const std::string& ports) {
    return fmt::format(R"({{"version": 3, "extra_config": {{"xdp-throttle": {{"http_ports": {}}}}}, )"
                       R"("endpoints": []}})", ports);
}

TEST(HttpPorts, EverySourceGivesTheSameAnswer) {
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.name);
        const auto cli = xt::parse_http_ports("--http-port", c.cli);
        const auto file = xt::config::parse_config(config_with(c.json));
        if (c.expected) {
            ASSERT_TRUE(cli) << cli.error().message;
            ASSERT_TRUE(file) << file.error().message;
            ASSERT_TRUE(file->gateway.http_ports);
            EXPECT_EQ(cli->values(), *c.expected);
            EXPECT_EQ(*file->gateway.http_ports, *cli);
            // What the loader records reads back as the same ports.
            xt_config kernel{};
            cli->store(kernel);
            ASSERT_TRUE(xt::HttpPorts::recorded(kernel));
            EXPECT_EQ(*xt::HttpPorts::recorded(kernel), *cli);
            continue;
        }
        ASSERT_FALSE(cli);
        ASSERT_FALSE(file);
        // Each names where the value came from: the option, or the JSON path.
        EXPECT_EQ(cli.error().message.rfind("--http-port: " + c.message, 0), 0u) << cli.error().message;
        EXPECT_NE(file.error().message.find(R"($.extra_config["xdp-throttle"].http_ports)"), std::string::npos)
            << file.error().message;
        EXPECT_NE(file.error().message.find(c.message), std::string::npos) << file.error().message;
    }
}

TEST(HttpPorts, ProblemsNameTheValue) {
    EXPECT_EQ(xt::parse_http_ports("--http-port", std::vector<std::string>{"0"}).error().message,
              "--http-port: expected a TCP port (1-65535), got 0");
    EXPECT_EQ(xt::parse_http_ports("--http-port", std::vector<std::string>{"443", "443"}).error().message,
              "--http-port: port 443 listed twice");
    const auto file = xt::config::parse_config(config_with(R"([80, "x", 80])"));
    ASSERT_FALSE(file);
    EXPECT_NE(file.error().message.find(
                  R"(http_ports[1]: expected a TCP port (1-65535), got string "x")"),
              std::string::npos) << file.error().message;
    EXPECT_NE(file.error().message.find("http_ports[2]: port 80 listed twice"), std::string::npos)
        << file.error().message;
}

TEST(HttpPorts, DefaultIsPort80AndStoreClearsTheRest) {
    EXPECT_EQ(xt::HttpPorts{}.values(), (std::vector<uint16_t>{80}));
    xt_config kernel{};
    for (auto& p : kernel.http_ports) p = 1;
    xt::HttpPorts{}.store(kernel);
    EXPECT_EQ(kernel.http_ports[0], 80);
    for (int i = 1; i < XT_MAX_HTTP_PORTS; ++i) EXPECT_EQ(kernel.http_ports[i], 0) << i;
    EXPECT_FALSE(xt::HttpPorts::recorded(xt_config{}));
}

}  // namespace
