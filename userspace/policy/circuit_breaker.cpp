#include "policy/circuit_breaker.hpp"

#include <algorithm>

namespace xt::policy {

namespace {
constexpr uint64_t kSecondNs = 1'000'000'000;
constexpr uint64_t kDefaultTimeoutNs = 60 * kSecondNs;  // gobreaker: Timeout 0 means 60 s
}  // namespace

const char* to_string(BreakerState state) {
    switch (state) {
    case BreakerState::closed: return "closed";
    case BreakerState::half_open: return "half-open";
    case BreakerState::open: return "open";
    }
    return "?";
}

BreakerSettings BreakerSettings::from(const config::CircuitBreaker& config) {
    BreakerSettings s;
    s.interval_ns = config.interval_s * kSecondNs;
    s.timeout_ns = config.timeout_s ? config.timeout_s * kSecondNs : kDefaultTimeoutNs;
    s.max_errors = config.max_errors;
    return s;
}

CircuitBreaker::CircuitBreaker(BreakerSettings settings, uint64_t now_ns) : settings_(settings) {
    if (settings_.timeout_ns == 0) settings_.timeout_ns = kDefaultTimeoutNs;
    new_generation(now_ns);
}

void CircuitBreaker::new_generation(uint64_t now_ns) {
    ++generation_;
    in_flight_ = 0;
    consecutive_failures_ = 0;
    switch (state_) {
    case BreakerState::closed:
        expiry_ns_ = settings_.interval_ns ? now_ns + settings_.interval_ns : 0;
        break;
    case BreakerState::open:
        expiry_ns_ = now_ns + settings_.timeout_ns;
        break;
    case BreakerState::half_open:
        expiry_ns_ = 0;
        break;
    }
}

void CircuitBreaker::set_state(BreakerState to, uint64_t now_ns) {
    if (state_ == to) return;
    if (change_count_ < std::size(changes_)) changes_[change_count_++] = {state_, to};
    if (to == BreakerState::open) ++opens_;
    state_ = to;
    new_generation(now_ns);
}

BreakerState CircuitBreaker::state(uint64_t now_ns) {
    if (state_ == BreakerState::closed && expiry_ns_ && expiry_ns_ <= now_ns)
        new_generation(now_ns);
    else if (state_ == BreakerState::open && expiry_ns_ <= now_ns)
        set_state(BreakerState::half_open, now_ns);
    return state_;
}

bool CircuitBreaker::would_admit(uint64_t now_ns) {
    switch (state(now_ns)) {
    case BreakerState::closed: return true;
    case BreakerState::half_open: return in_flight_ == 0;
    case BreakerState::open: return false;
    }
    return false;
}

CircuitBreaker::Admission CircuitBreaker::before_request(uint64_t now_ns) {
    Admission a;
    if (!would_admit(now_ns)) {
        // Open: until the timeout ends. Half-open with the probe out: unknown; the shortest wait
        // a Retry-After can say.
        a.retry_after_ns = state_ == BreakerState::open ? expiry_ns_ - now_ns : kSecondNs;
        return a;
    }
    ++in_flight_;
    a.admitted = true;
    a.generation = generation_;
    return a;
}

void CircuitBreaker::after_request(uint64_t generation, BreakerResult result, uint64_t now_ns) {
    state(now_ns);
    if (generation != generation_) return;  // admitted before the breaker moved on
    if (in_flight_ > 0) --in_flight_;
    switch (result) {
    case BreakerResult::released:
        return;
    case BreakerResult::success:
        consecutive_failures_ = 0;
        if (state_ == BreakerState::half_open) set_state(BreakerState::closed, now_ns);
        return;
    case BreakerResult::failure:
        ++failures_total_;
        ++consecutive_failures_;
        if (state_ == BreakerState::half_open ||
            (state_ == BreakerState::closed && consecutive_failures_ > settings_.max_errors))
            set_state(BreakerState::open, now_ns);
        return;
    }
}

bool CircuitBreaker::take_change(Change& out) {
    if (change_count_ == 0) return false;
    out = changes_[0];
    std::copy(changes_ + 1, changes_ + change_count_, changes_);
    --change_count_;
    return true;
}

}  // namespace xt::policy
