// xt::controller::load_daemon_config (file + command-line overrides) and kernel_settings (what the
// daemon writes into the pinned xt_config). No privileges: files in a temp dir, structs in memory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/load_config.hpp"
#include "controller/daemon_config.hpp"

namespace {

class DaemonConfigTest : public ::testing::Test {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("xt-daemon-config-" + std::to_string(::getpid()));
    void SetUp() override { std::filesystem::create_directories(dir); }
    void TearDown() override { std::filesystem::remove_all(dir); }
    std::string write(const std::string& name, const std::string& text) {
        const auto path = dir / name;
        std::ofstream(path) << text;
        return path.string();
    }
};

constexpr const char* kGood = R"({"version": 3,
  "extra_config": {"xdp-throttle": {"iface": "edge0", "peer": "edge1", "http_ports": [8080, 80],
    "l3": {"spike": {"rate": 1000, "burst": 2000}, "syn": {"rate": 50}, "spike_per_prefix": true}}},
  "endpoints": [{"backend": [{"url_pattern": "/"}], "endpoint": "/a"}]})";

TEST_F(DaemonConfigTest, FileValuesWithoutOverrides) {
    auto loaded = xt::controller::load_daemon_config(write("good.json", kGood), {});
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto* c = &*loaded;
    EXPECT_EQ(c->gateway.iface, "edge0");
    EXPECT_EQ(c->gateway.peer, "edge1");
    ASSERT_TRUE(c->gateway.http_ports);
    EXPECT_EQ(c->gateway.http_ports->values(), (std::vector<uint16_t>{80, 8080}));
}

TEST_F(DaemonConfigTest, FlagsOverrideTheFile) {
    xt::controller::Overrides o;
    o.iface = "ga0";
    o.peer = "gb0";
    o.http_ports = *xt::parse_http_ports("--http-port", std::vector<std::string>{"9000", "81"});
    auto loaded = xt::controller::load_daemon_config(write("good.json", kGood), o);
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto* c = &*loaded;
    EXPECT_EQ(c->gateway.iface, "ga0");
    EXPECT_EQ(c->gateway.peer, "gb0");
    ASSERT_TRUE(c->gateway.http_ports);
    EXPECT_EQ(c->gateway.http_ports->values(), (std::vector<uint16_t>{81, 9000}));
}

TEST_F(DaemonConfigTest, InvalidFileListsEveryProblemWithItsPath) {
    const auto path = write("bad.json", R"({"version": 3, "endpoints": [
        {"backend": [{"url_pattern": "/"}], "endpoint": "/a", "extra_config": {"qos/ratelimit/router": {"max_rate": "ten"}}},
        {"backend": [{"url_pattern": "/"}], "endpoint": "/b", "extra_config": {"qos/ratelimit/router": {"capacity": -1}}}]})");
    auto c = xt::controller::load_daemon_config(path, {});
    ASSERT_FALSE(c);
    const auto& m = c.error().message;
    EXPECT_NE(m.find(path + ": $.endpoints[0].extra_config[\"qos/ratelimit/router\"].max_rate"), std::string::npos) << m;
    EXPECT_NE(m.find("$.endpoints[1]"), std::string::npos) << m;
    EXPECT_NE(m.find("nothing was applied"), std::string::npos) << m;
}

TEST_F(DaemonConfigTest, NeedsAClientSideInterface) {
    auto c = xt::controller::load_daemon_config(write("noif.json", R"({"version": 3, "endpoints": []})"), {});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("--iface"), std::string::npos) << c.error().message;
}

TEST_F(DaemonConfigTest, PortsNotGivenAreAdoptedFromTheAttach) {
    xt::controller::Overrides o;
    o.iface = "ga0";
    auto loaded = xt::controller::load_daemon_config(write("noports.json", R"({"version": 3, "endpoints": []})"), o);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_FALSE(loaded->gateway.http_ports);
    o.http_ports = *xt::parse_http_ports("--http-port", std::vector<std::string>{"8080"});
    loaded = xt::controller::load_daemon_config(write("noports.json", R"({"version": 3, "endpoints": []})"), o);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_TRUE(loaded->gateway.http_ports);
    xt_config recorded{};
    recorded.http_ports[0] = 8080;
    recorded.http_ports[3] = 81;
    ASSERT_TRUE(xt::HttpPorts::recorded(recorded));
    EXPECT_EQ(xt::HttpPorts::recorded(recorded)->values(), (std::vector<uint16_t>{81, 8080}));
    EXPECT_FALSE(xt::HttpPorts::recorded(xt_config{}));
}

// The same bridge rule as attach --peer and the config file: two valid, different interfaces.
TEST_F(DaemonConfigTest, PeerMustBeAnotherValidInterface) {
    xt::controller::Overrides o;
    o.peer = "edge0";  // the file's iface
    auto c = xt::controller::load_daemon_config(write("good.json", kGood), o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, "edge0: the server side of a bridge must be another interface than "
                                 "its client side");
    o.peer = "this-name-is-far-too-long-for-linux";
    EXPECT_FALSE(xt::controller::load_daemon_config(write("good.json", kGood), o));
    const auto file = xt::config::parse_config(
        R"({"version": 3, "extra_config": {"xdp-throttle": {"iface": "a0", "peer": "a0"}}, "endpoints": []})");
    ASSERT_FALSE(file);
    EXPECT_NE(file.error().message.find(R"(["xdp-throttle"].peer: a0: the server side of a bridge)"),
              std::string::npos) << file.error().message;
}

TEST_F(DaemonConfigTest, AtMostTheKernelsHttpPorts) {
    std::vector<std::string> ports;
    for (int p = 1; p <= XT_MAX_HTTP_PORTS + 1; ++p) ports.push_back(std::to_string(p));
    auto c = xt::parse_http_ports("--http-port", ports);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("at most"), std::string::npos) << c.error().message;
}

TEST_F(DaemonConfigTest, KernelSettingsCarryLimitsAndPortsKeepTheAttachState) {
    auto loaded = xt::controller::load_daemon_config(write("good.json", kGood), {});
    ASSERT_TRUE(loaded) << loaded.error().message;
    const auto* c = &*loaded;
    xt_config base{};
    base.flags = XT_CFG_GATEWAY | XT_CFG_COARSE_CLOCK | XT_CFG_TRACK_TOP;
    base.client_ifindex = 7;
    base.server_ifindex = 8;
    base.http_ports[0] = 1;
    base.http_ports[5] = 5;
    base.syn_global.rate = 99;  // absent from the file: turned off
    const xt_config k = xt::controller::kernel_settings(base, c->gateway);
    EXPECT_EQ(k.flags, base.flags | XT_CFG_SPIKE_PER_PREFIX);
    EXPECT_EQ(k.client_ifindex, 7u);
    EXPECT_EQ(k.server_ifindex, 8u);
    EXPECT_EQ(k.spike.rate, 1000u);
    EXPECT_EQ(k.spike.burst, 2000u);
    EXPECT_EQ(k.syn.rate, 50u);
    EXPECT_EQ(k.syn_global.rate, 0u);
    EXPECT_EQ(k.http_ports[0], 80);
    EXPECT_EQ(k.http_ports[1], 8080);
    for (int i = 2; i < XT_MAX_HTTP_PORTS; ++i) EXPECT_EQ(k.http_ports[i], 0) << i;

    auto plain = c->gateway;
    plain.l3.spike_per_prefix = false;
    EXPECT_EQ(xt::controller::kernel_settings(k, plain).flags & XT_CFG_SPIKE_PER_PREFIX, 0u);
}

}  // namespace
