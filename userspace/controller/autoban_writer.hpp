// The controller's half of automatic bans: policy::Autoban decides, this writes its orders into the
// interface's ban box (maps/bans, origin controller) and logs what happened. Internal to the
// controller.
//
// Orders are queued while a frame is served and written by flush() from the serving loop, only when
// the pin root lock is free at once: a CLI command may hold it for seconds (a 100,000-line `ip deny
// load`), and a serving loop waiting for it would let the heartbeat go stale. A queued address
// counts as banned, so it is never ordered twice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "controller/controller.hpp"
#include "maps/interface_maps.hpp"
#include "policy/autoban.hpp"

namespace xt::controller {

class AutobanWriter {
public:
    // `maps` must outlive the writer.
    AutobanWriter(const config::Config& config, const InterfaceMaps& maps, LogSink log);
    AutobanWriter(const AutobanWriter&) = delete;  // the ban lookup points to this
    AutobanWriter& operator=(const AutobanWriter&) = delete;

    // The policy engine's rejection observer: counts, and queues a ban when a rule is reached.
    void on_reject(const policy::RequestInfo& request, const policy::Reject& reject);
    // Writes the queued bans if the pin root lock is free now; otherwise they wait for the next call.
    void flush();
    // Logs, once per episode, the valve suppressing bans and the window table being full.
    void note_episodes();
    // The daemon stats line's autoban section (counters since start).
    std::string stats() const;
    // The fill level of the per-source window table.
    std::size_t windows() const { return autoban_.windows(); }
    uint64_t max_windows() const { return max_windows_; }

private:
    bool is_banned(const xt_addr& address) const;
    void write(const policy::BanOrder& order);

    const InterfaceMaps& maps_;
    LogSink log_;
    policy::Autoban autoban_;
    uint64_t max_bans_per_minute_;
    uint64_t max_windows_;
    std::vector<policy::BanOrder> queued_;
    uint64_t banned_ = 0;
    uint64_t refused_ = 0;   // the ban box was full (even after reaping expired bans)
    uint64_t refused_episodes_ = 0;
    bool refusing_ = false;  // in a refused episode: until a ban is written again
    uint64_t write_errors_ = 0;
    uint64_t suppressed_episodes_logged_ = 0;
    uint64_t windows_full_episodes_logged_ = 0;
};

}  // namespace xt::controller
