#include "common/rate.hpp"

namespace xt {

Result<xt_rate> make_rate(uint64_t rate, uint64_t every_ns, uint64_t burst) {
    if (rate == 0) return fail(ErrorKind::invalid_input, "rate must be at least 1");
    if (every_ns == 0)
        return fail(ErrorKind::invalid_input, "the rate period ('every') must be longer than 0");
    if (burst == 0) return fail(ErrorKind::invalid_input, "burst must be at least 1");
    const uint64_t interval = every_ns / rate;
    if (interval < 100)
        return failf(ErrorKind::invalid_input,
                     "rate {} per {} ns is too fast: at most one token per 100 ns can be timed "
                     "exactly (use a lower rate or a longer period)", rate, every_ns);
    if (burst - 1 > UINT64_MAX / interval / 4)
        return failf(ErrorKind::invalid_input, "burst {} is too large for rate {} per {} ns", burst, rate,
                     every_ns);
    xt_rate r{};
    r.rate = rate;
    r.every_ns = every_ns;
    r.burst = burst;
    r.interval_ns = interval;
    r.tolerance_ns = (burst - 1) * interval;
    return r;
}

}  // namespace xt
