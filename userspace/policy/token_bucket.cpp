#include "policy/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace xt::policy {

BucketParams bucket_params(const config::TokenRate& rate) {
    BucketParams p;
    const double interval = std::round(static_cast<double>(rate.every_ns) / rate.max_rate);
    p.interval_ns = interval < 1 ? 1 : static_cast<uint64_t>(interval);
    p.capacity = std::max<uint64_t>(rate.capacity, 1);
    p.tolerance_ns = (p.capacity - 1) * p.interval_ns;  // the loader bounds capacity and rate
    return p;
}

uint64_t TokenBucket::available(const BucketParams& params, uint64_t now_ns) const {
    if (tat_ns_ <= now_ns) return params.capacity;
    const uint64_t backlog = tat_ns_ - now_ns;
    if (backlog > params.tolerance_ns) return 0;
    return (params.tolerance_ns - backlog) / params.interval_ns + 1;
}

uint64_t TokenBucket::wait_ns(const BucketParams& params, uint64_t now_ns) const {
    if (tat_ns_ <= now_ns) return 0;
    const uint64_t backlog = tat_ns_ - now_ns;
    return backlog > params.tolerance_ns ? backlog - params.tolerance_ns : 0;
}

TokenBucket::Outcome TokenBucket::take(const BucketParams& params, uint64_t now_ns) {
    Outcome out;
    const uint64_t base = std::max(tat_ns_, now_ns);
    if (base - now_ns > params.tolerance_ns) {
        out.wait_ns = base - now_ns - params.tolerance_ns;
        return out;
    }
    tat_ns_ = base + params.interval_ns;
    out.admitted = true;
    out.remaining = available(params, now_ns);
    return out;
}

uint64_t whole_seconds_at_least_one(uint64_t ns) {
    const uint64_t s = ns / 1'000'000'000 + (ns % 1'000'000'000 != 0 ? 1 : 0);
    return std::max<uint64_t>(s, 1);
}

}  // namespace xt::policy
