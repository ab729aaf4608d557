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

Result<PinRootLock> PinRootLock::acquire() {
    ProcessHold& hold = process_hold();
    std::unique_lock turn(hold.turn);
    if (hold.depth == 0) {
        const auto root = pin_root();
        UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd.valid())
            return failf(errno, "cannot open {} to lock it: {}", root.string(), std::strerror(errno));
        while (flock(fd.get(), LOCK_EX) != 0) {
            if (errno != EINTR)
                return failf(errno, "cannot lock {}: {}", root.string(), std::strerror(errno));
        }
        hold.fd = std::move(fd);
    }
    ++hold.depth;
    turn.release();  // unlocked by the destructor
    return PinRootLock();
}

PinRootLock::~PinRootLock() {
    if (!held_) return;
    ProcessHold& hold = process_hold();
    if (--hold.depth == 0) hold.fd.reset();  // closing the last descriptor releases the flock
    hold.turn.unlock();
}

}  // namespace xt
