// One circuit breaker (qos/circuit-breaker on a backend), with the meaning KrakenD gives it through
// sony/gobreaker:
//   closed     requests pass; each failure adds to the consecutive failures, a success clears
//              them; the (max_errors+1)-th consecutive failure opens the breaker. With `interval`
//              > 0 the counts start afresh every `interval` while closed (0: never).
//   open       requests are refused for `timeout` (0 = 60 s), then the next look finds it
//              half-open.
//   half-open  exactly one request (the probe) passes; a success closes the breaker, a failure
//              opens it again. Others are refused while the probe is out.
// Every change of state starts a new generation: a result carries the generation its request was
// admitted in and is ignored when the breaker has moved on since (gobreaker's rule), so a late
// result of a request admitted before an opening does not count twice. A request that ends with
// neither result (the client hung up: KrakenD's IsExcluded(context.Canceled)) releases its slot:
// a half-open breaker may send its next probe.
// Time comes only from the caller (`now_ns`), so tests are exact.
#pragma once

#include <cstdint>
#include <string>

#include "config/gateway_config.hpp"

namespace xt::policy {

enum class BreakerState { closed, half_open, open };
// gobreaker's names: "closed", "half-open", "open".
const char* to_string(BreakerState state);

enum class BreakerResult { success, failure, released };

struct BreakerSettings {
    uint64_t interval_ns = 0;  // 0: counts are never cleared while closed
    uint64_t timeout_ns = 60'000'000'000;
    uint64_t max_errors = 0;
    static BreakerSettings from(const config::CircuitBreaker& config);
};

class CircuitBreaker {
public:
    explicit CircuitBreaker(BreakerSettings settings, uint64_t now_ns = 0);

    struct Admission {
        bool admitted = false;
        uint64_t generation = 0;  // to give back with the result
        uint64_t retry_after_ns = 0;  // refused: until the breaker may let a request through
    };
    Admission before_request(uint64_t now_ns);
    // Whether before_request would admit now (the state may move on from open to half-open).
    bool would_admit(uint64_t now_ns);
    void after_request(uint64_t generation, BreakerResult result, uint64_t now_ns);

    // The state now (an open breaker whose timeout passed is half-open).
    BreakerState state(uint64_t now_ns);
    uint64_t consecutive_failures() const { return consecutive_failures_; }
    uint64_t opens() const { return opens_; }
    uint64_t failures() const { return failures_total_; }

    // State changes since the last call: from, to (for the log lines).
    struct Change {
        BreakerState from;
        BreakerState to;
    };
    bool take_change(Change& out);

private:
    void set_state(BreakerState to, uint64_t now_ns);
    void new_generation(uint64_t now_ns);

    BreakerSettings settings_;
    BreakerState state_ = BreakerState::closed;
    uint64_t generation_ = 0;
    uint64_t expiry_ns_ = 0;  // closed: when counts clear (0: never); open: when half-open
    uint64_t in_flight_ = 0;  // requests admitted in this generation (half-open: the probe)
    uint64_t consecutive_failures_ = 0;
    uint64_t opens_ = 0;
    uint64_t failures_total_ = 0;
    // Changes not yet taken; a breaker changes at most a few times between two looks.
    Change changes_[4]{};
    unsigned change_count_ = 0;
};

}  // namespace xt::policy
