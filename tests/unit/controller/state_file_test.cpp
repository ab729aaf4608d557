// The daemon's JSON state file (controller/state_file.hpp): what scripts read, written atomically.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "controller/state_file.hpp"

using namespace xt::controller;

TEST(StateFile, JsonNamesEveryBreakerField) {
    DaemonState st;
    st.iface = "eth0";
    st.peer = "eth1";
    st.pid = 42;
    st.written_unix = 1767225600;
    st.requests = 10;
    st.rejected = 3;
    xt::policy::PolicyEngine::BreakerView b;
    b.name = "users";
    b.backend = "$.endpoints[0].backend[0]";
    b.state = xt::policy::BreakerState::half_open;
    b.consecutive_failures = 0;
    b.failures = 6;
    b.opens = 2;
    st.breakers.push_back(b);
    st.tables.push_back({"flows", 12, 65536});
    const auto j = nlohmann::json::parse(state_json(st));
    EXPECT_EQ(j["iface"], "eth0");
    EXPECT_EQ(j["peer"], "eth1");
    EXPECT_EQ(j["pid"], 42);
    EXPECT_EQ(j["written_unix"], 1767225600u);
    EXPECT_EQ(j["requests"], 10);
    EXPECT_EQ(j["rejected"], 3);
    ASSERT_EQ(j["breakers"].size(), 1u);
    EXPECT_EQ(j["breakers"][0]["name"], "users");
    EXPECT_EQ(j["breakers"][0]["backend"], "$.endpoints[0].backend[0]");
    EXPECT_EQ(j["breakers"][0]["state"], "half-open");
    EXPECT_EQ(j["breakers"][0]["consecutive_failures"], 0);
    EXPECT_EQ(j["breakers"][0]["failures"], 6);
    EXPECT_EQ(j["breakers"][0]["opens"], 2);
    ASSERT_EQ(j["tables"].size(), 1u);
    EXPECT_EQ(j["tables"][0]["name"], "flows");
    EXPECT_EQ(j["tables"][0]["entries"], 12);
    EXPECT_EQ(j["tables"][0]["max_entries"], 65536);
    EXPECT_TRUE(nlohmann::json::parse(state_json(DaemonState{}))["breakers"].is_array());
    EXPECT_TRUE(nlohmann::json::parse(state_json(DaemonState{}))["tables"].is_array());
}

TEST(StateFile, WrittenThroughRenameIntoANewDirectory) {
    const auto dir = std::filesystem::temp_directory_path() / ("xt-state-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    const auto path = dir / "sub" / "eth0.json";
    ASSERT_TRUE(write_state_file(path, "{\"a\": 1}\n"));
    ASSERT_TRUE(write_state_file(path, "{\"a\": 2}\n"));
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "{\"a\": 2}\n");
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    EXPECT_EQ(default_state_file("eth0"), std::filesystem::path("/run/xdp-throttle/eth0.json"));
    std::filesystem::remove_all(dir);
    EXPECT_FALSE(write_state_file("/proc/xt-no-such/x.json", "{}"));
}
