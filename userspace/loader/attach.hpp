// Attaching xdp-throttle to an interface in host mode, and detaching it (either mode).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "loader/attachment.hpp"
#include "maps/tables.hpp"

namespace xt {

struct AttachResult {
    uint32_t prog_id = 0;
    bool config_created = false;  // false: existing pinned maps (rules, bans, counters) reused
};
// Loads the program with its maps pinned under pin_dir(iface) (reusing pins that exist) and
// attaches it through libxdp, in host mode (a gateway setting left in the pins is cleared).
// `sizes` (attach --size) apply to the tables it creates; pinned tables keep their sizes, and a
// size that differs from a pinned table's is refused. Caller holds PinRootLock and has run
// ensure_bpffs().
Result<AttachResult> attach(std::string_view iface, AttachMode mode, std::span<const TableSize> sizes = {});

// Detaches our program (error when it is not attached, unless `purge`); with `purge` also removes
// the pin directory, i.e. every rule, ban and counter of the interface.
// Detaching the client side of a gateway bridge detaches its server side too (`peer`); detaching
// the server side alone is refused (it would leave A bridging into a port without the program).
// Caller holds PinRootLock.
struct DetachResult {
    bool detached = false;
    bool purged = false;
    std::optional<std::string> peer;  // the gateway's server side, detached with it
};
Result<DetachResult> detach(std::string_view iface, bool purge);

}  // namespace xt
