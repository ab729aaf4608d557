// The one lock of xdp-throttle's pinned state: flock(LOCK_EX) on the pin root. Every change to the
// pinned maps (CLI commands, the loader, the daemon's settings) happens under it, so concurrent
// processes serialise instead of interleaving read-modify-write of the config and the rule index.
#pragma once

#include <optional>
#include <utility>

#include "common/result.hpp"

namespace xt {

// Held while the object lives. Re-entrant within a process: a function that takes the lock itself
// (update_config) may run under a caller that holds it for a whole command. flock() conflicts
// between two open file descriptions even in one process, so nested holders share the first
// holder's descriptor instead of opening another (which would wait for itself forever); threads
// of one process take turns on a mutex first.
class PinRootLock {
public:
    static Result<PinRootLock> acquire();
    // The same without waiting: nothing when another process holds the lock. For the controller,
    // whose serving loop must not wait for a CLI command holding the lock for seconds.
    static Result<std::optional<PinRootLock>> try_acquire();
    PinRootLock(PinRootLock&& other) noexcept : held_(std::exchange(other.held_, false)) {}
    PinRootLock& operator=(PinRootLock&&) = delete;
    PinRootLock(const PinRootLock&) = delete;
    ~PinRootLock();

private:
    static Result<std::optional<PinRootLock>> take(bool wait);
    PinRootLock() : held_(true) {}
    bool held_;
};

}  // namespace xt
