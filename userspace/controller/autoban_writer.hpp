// The controller's half of automatic bans: policy::Autoban decides, this writes its orders into the
// interface's ban box (maps/bans, origin controller) and logs what happened. Internal to the
// controller.
#pragma once

#include <cstdint>
#include <string>

#include "config/gateway_config.hpp"
#include "controller/controller.hpp"
#include "maps/interface_maps.hpp"
#include "policy/autoban.hpp"

namespace xt::controller {

class AutobanWriter {
public:
    // `maps` must outlive the writer.
    AutobanWriter(const config::Config& config, const InterfaceMaps& maps, LogSink log);

    // The policy engine's rejection observer: counts, and writes a ban when a rule is reached.
    void on_reject(const policy::RequestInfo& request, const policy::Reject& reject);
    // Logs, once per episode, the valve suppressing bans and the window table being full.
    void note_episodes();
    // The daemon stats line's autoban section (counters since start).
    std::string stats() const;

private:
    void write(const policy::BanOrder& order);

    const InterfaceMaps& maps_;
    LogSink log_;
    policy::Autoban autoban_;
    uint64_t max_bans_per_minute_;
    uint64_t max_windows_;
    uint64_t banned_ = 0;
    uint64_t refused_ = 0;   // the ban box was full (even after reaping expired bans)
    uint64_t refused_episodes_ = 0;
    bool refusing_ = false;  // in a refused episode: until a ban is written again
    uint64_t write_errors_ = 0;
    uint64_t suppressed_episodes_logged_ = 0;
    uint64_t windows_full_episodes_logged_ = 0;
};

}  // namespace xt::controller
