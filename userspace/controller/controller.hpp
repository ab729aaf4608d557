// The gateway controller: what xdp-throttled runs. It owns, for one bridge A (client side) <-> B
// (server side) set up by `xdp-throttle attach A --peer B`:
//   - the AF_XDP engine, its sockets inserted into the pinned XSKMAPs of A's pin directory,
//   - the flow table and policy engine every steered frame goes through,
//   - the heartbeat (the program steers HTTP segments to the sockets only while it is fresh),
//   - the bypass table (flows the flow table gave up on are bridged by the kernel),
// and reports counters through a log callback. One thread does everything: the heartbeat is beaten
// from the same loop that serves the sockets, so a controller whose loop is stuck stops being
// steered to within the heartbeat timeout (fail-open), exactly like one that crashed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "afxdp/engine.hpp"
#include "config/gateway_config.hpp"
#include "common/result.hpp"

namespace xt::controller {

struct ControllerOptions {
    uint64_t heartbeat_interval_ns = 100'000'000;
    uint64_t heartbeat_timeout_ns = 1'000'000'000;
    uint64_t stats_interval_ns = 5'000'000'000;
    afxdp::BindMode bind_mode = afxdp::BindMode::automatic;
    uint32_t ring_size = 1024;
    // The JSON state file (state_file.hpp), rewritten at every stats report; empty: none.
    std::string state_file;
};

// One line of the daemon's log (no trailing newline).
using LogSink = std::function<void(const std::string& line)>;

class Controller {
public:
    // Checks that config.gateway.iface is attached as a gateway bridge (with config.gateway.peer
    // as its peer when that is set), that no other live controller beats its heartbeat, applies the
    // config's kernel settings, and opens the AF_XDP sockets. Nothing is steered to the controller
    // before run() beats the heartbeat.
    static Result<std::unique_ptr<Controller>> create(config::Config config, ControllerOptions options,
                                                      LogSink log);
    ~Controller();
    Controller(const Controller&) = delete;
    Controller& operator=(const Controller&) = delete;

    // Serves until `stop` is set, then clears the heartbeat (the kernel bridges everything from
    // that instant) and returns. An error (a map or socket failure) also clears the heartbeat.
    Status run(const std::atomic<bool>& stop);

    const std::string& client_iface() const;
    const std::string& server_iface() const;

    struct State;  // defined in controller.cpp: only create() can build one
    explicit Controller(std::unique_ptr<State> state);

private:
    std::unique_ptr<State> state_;
};

}  // namespace xt::controller
