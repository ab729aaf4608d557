// Token-bucket parameters as the operator writes them (rate per `every`, burst) and their GCRA form
// in the kernel (struct xt_rate in bpf/abi.h). One derivation, used by the CLI, the controller and
// the tests.
#pragma once

#include <cstdint>

#include "abi.h"
#include "common/result.hpp"

namespace xt {

// Refuses rate == 0, burst == 0, every == 0, and combinations whose emission interval
// (every / rate) is below 100 ns: the integer interval would then be off by more than 1%.
Result<xt_rate> make_rate(uint64_t rate, uint64_t every_ns, uint64_t burst);

// The "stage off" value.
constexpr xt_rate rate_off() { return xt_rate{}; }

inline bool rate_enabled(const xt_rate& r) { return r.rate != 0; }

}  // namespace xt
