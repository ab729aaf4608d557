#include "maps/pin_root_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "common/fd.hpp"
#include "maps/paths.hpp"

namespace xt {
namespace {

struct ProcessHold {
    std::recursive_mutex turn;  // one thread of this process at a time; owned while depth > 0
    UniqueFd fd;                // the locked open file description, while depth > 0
    int depth = 0;
};

ProcessHold& process_hold() {
    static ProcessHold hold;
    return hold;
}

}  // namespace

// Nothing only when `wait` is false and another process holds the lock.
Result<std::optional<PinRootLock>> PinRootLock::take(bool wait) {
    ProcessHold& hold = process_hold();
    std::unique_lock turn(hold.turn);
    if (hold.depth == 0) {
        const auto root = pin_root();
        UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd.valid())
            return failf(errno, "cannot open {} to lock it: {}", root.string(), std::strerror(errno));
        while (flock(fd.get(), wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
            if (!wait && errno == EWOULDBLOCK) return std::optional<PinRootLock>{};
            if (errno != EINTR)
                return failf(errno, "cannot lock {}: {}", root.string(), std::strerror(errno));
        }
        hold.fd = std::move(fd);
    }
    ++hold.depth;
    turn.release();  // unlocked by the destructor
    return std::optional<PinRootLock>{PinRootLock()};
}

Result<PinRootLock> PinRootLock::acquire() {
    auto taken = XT_TRY(take(/*wait=*/true));
    return std::move(*taken);
}

Result<std::optional<PinRootLock>> PinRootLock::try_acquire() { return take(/*wait=*/false); }

PinRootLock::~PinRootLock() {
    if (!held_) return;
    ProcessHold& hold = process_hold();
    if (--hold.depth == 0) hold.fd.reset();  // closing the last descriptor releases the flock
    hold.turn.unlock();
}

}  // namespace xt
