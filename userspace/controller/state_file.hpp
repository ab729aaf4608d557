// The daemon's state as a JSON file a script can read (`jq`), rewritten atomically (a temporary
// file renamed over it) at every stats report and when the daemon stops. Readers never see a half
// written file; a file whose "written_unix" stops advancing belongs to a daemon that is gone.
//
//   {"iface": "eth0", "peer": "eth1", "pid": 4242, "written_unix": 1767225600,
//    "requests": 1200, "rejected": 17,
//    "breakers": [{"name": "flaky", "backend": "$.endpoints[0].backend[0]", "state": "open",
//                  "consecutive_failures": 0, "failures": 3, "opens": 1}],
//    "tables": [{"name": "flows", "entries": 12, "max_entries": 65536}, ...]}
//
// "tables" holds the fill level of every bounded table of the controller (the kernel's tables are
// in `xdp-throttle status --json`): the flow table, each client limit's buckets (named by the
// limit's JSON path), the autoban windows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "policy/engine.hpp"

namespace xt::controller {

inline constexpr const char* kStateDir = "/run/xdp-throttle";

// /run/xdp-throttle/IFACE.json: one file per bridge (its client-side interface).
std::filesystem::path default_state_file(const std::string& iface);

struct DaemonState {
    std::string iface;
    std::string peer;
    uint32_t pid = 0;
    uint64_t written_unix = 0;
    uint64_t requests = 0;
    uint64_t rejected = 0;
    std::vector<policy::PolicyEngine::BreakerView> breakers;
    struct Table {
        std::string name;
        uint64_t entries = 0;
        uint64_t max_entries = 0;
    };
    std::vector<Table> tables;
};

std::string state_json(const DaemonState& state);

// Writes `text` to `path` through PATH.tmp and rename(2); creates the directory when missing.
Status write_state_file(const std::filesystem::path& path, const std::string& text);

}  // namespace xt::controller
