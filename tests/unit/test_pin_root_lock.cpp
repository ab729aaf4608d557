// xt::PinRootLock: one lock per pin root across processes, re-entrant within one (update_config
// takes it under a CLI command that holds it already). No privileges: a plain directory stands in
// for the bpffs.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "maps/paths.hpp"
#include "maps/pin_root_lock.hpp"

namespace {

class PinRootLockTest : public ::testing::Test {
protected:
    std::filesystem::path bpffs = std::filesystem::temp_directory_path() /
                                  ("xt-lock-" + std::to_string(::getpid()));
    void SetUp() override {
        std::filesystem::create_directories(bpffs / "xdp-throttle");
        setenv(xt::kBpffsEnv, bpffs.c_str(), 1);
    }
    void TearDown() override {
        unsetenv(xt::kBpffsEnv);
        std::filesystem::remove_all(bpffs);
    }
    // Whether another process could take the lock now (flock LOCK_NB from a child).
    bool free_for_another_process() const {
        const pid_t child = fork();
        if (child == 0) {
            const int fd = ::open(xt::pin_root().c_str(), O_RDONLY | O_DIRECTORY);
            _exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
        }
        int status = 0;
        waitpid(child, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
};

TEST_F(PinRootLockTest, NestedHoldersShareTheLockUntilTheLastGoes) {
    EXPECT_TRUE(free_for_another_process());
    {
        auto outer = xt::PinRootLock::acquire();
        ASSERT_TRUE(outer) << outer.error().message;
        EXPECT_FALSE(free_for_another_process());
        {
            auto inner = xt::PinRootLock::acquire();  // would wait for itself without re-entry
            ASSERT_TRUE(inner) << inner.error().message;
            std::optional<xt::PinRootLock> moved(std::move(*inner));
            EXPECT_FALSE(free_for_another_process());
        }
        EXPECT_FALSE(free_for_another_process());  // the outer holder still has it
    }
    EXPECT_TRUE(free_for_another_process());
}

// The controller's way (automatic bans): never wait for another process.
TEST_F(PinRootLockTest, TryAcquireGivesNothingWhileAnotherProcessHoldsIt) {
    int ready[2], release[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(release), 0);
    const pid_t holder = fork();
    if (holder == 0) {
        const int fd = ::open(xt::pin_root().c_str(), O_RDONLY | O_DIRECTORY);
        const bool locked = fd >= 0 && flock(fd, LOCK_EX) == 0;
        char c = locked ? 1 : 0;
        (void)!write(ready[1], &c, 1);
        (void)!read(release[0], &c, 1);
        _exit(0);
    }
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    ASSERT_EQ(c, 1);
    {
        auto busy = xt::PinRootLock::try_acquire();
        ASSERT_TRUE(busy) << busy.error().message;
        EXPECT_FALSE(busy->has_value());
    }
    (void)!write(release[1], &c, 1);
    int status = 0;
    waitpid(holder, &status, 0);
    for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);
    auto taken = xt::PinRootLock::try_acquire();
    ASSERT_TRUE(taken) << taken.error().message;
    ASSERT_TRUE(taken->has_value());
    EXPECT_FALSE(free_for_another_process());
    auto nested = xt::PinRootLock::try_acquire();  // re-entrant, like acquire()
    ASSERT_TRUE(nested && nested->has_value());
}

TEST_F(PinRootLockTest, MissingPinRootIsAnErrorNamingIt) {
    std::filesystem::remove_all(bpffs / "xdp-throttle");
    auto lock = xt::PinRootLock::acquire();
    ASSERT_FALSE(lock);
    EXPECT_NE(lock.error().message.find(xt::pin_root().string()), std::string::npos) << lock.error().message;
    // A failed acquire leaves nothing held behind.
    std::filesystem::create_directories(bpffs / "xdp-throttle");
    EXPECT_TRUE(free_for_another_process());
    EXPECT_TRUE(xt::PinRootLock::acquire());
}

}  // namespace
