// The user-space token bucket, in GCRA form like the kernel's (bpf/abi.h, struct xt_gcra):
//   interval  = every / max_rate            (time that earns one token, rounded to whole ns)
//   tolerance = (capacity - 1) * interval
//   admit iff max(tat, now) - now <= tolerance; then tat = max(tat, now) + interval
// It is exactly a bucket of `capacity` tokens with continuous refill that starts full (tat = 0 is
// a full bucket), and in any window of length t it admits at most capacity + t / interval requests
// (KrakenD's lazy-refill bucket can admit up to 2 * capacity after idling; this one cannot).
// Fractional rates (0.5 per second) are exact up to the ns rounding of the interval.
// Time is always passed in (CLOCK_MONOTONIC ns, or a test clock): the bucket never reads a clock.
#pragma once

#include <cstdint>

#include "config/gateway_config.hpp"

namespace xt::policy {

struct BucketParams {
    uint64_t interval_ns = 1;
    uint64_t tolerance_ns = 0;
    uint64_t capacity = 1;
};

// `rate` comes from a loaded config (max_rate > 0, capacity >= 1, every > 0).
BucketParams bucket_params(const config::TokenRate& rate);

class TokenBucket {
public:
    struct Outcome {
        bool admitted = false;
        uint64_t remaining = 0;  // tokens left right after this request
        uint64_t wait_ns = 0;    // when refused: time until one token is available
    };

    // Takes one token if there is one.
    Outcome take(const BucketParams& params, uint64_t now_ns);
    // Looks without taking.
    uint64_t available(const BucketParams& params, uint64_t now_ns) const;
    uint64_t wait_ns(const BucketParams& params, uint64_t now_ns) const;
    // Whether the bucket is full at `now` (forgetting it loses nothing).
    bool full(uint64_t now_ns) const { return tat_ns_ <= now_ns; }
    // The moment the bucket is full again (0: it is full from the start).
    uint64_t tat_ns() const { return tat_ns_; }

private:
    uint64_t tat_ns_ = 0;  // theoretical arrival time; 0 = full
};

// Whole seconds a client should wait, as Retry-After wants it: rounded up, at least 1.
uint64_t whole_seconds_at_least_one(uint64_t ns);

}  // namespace xt::policy
