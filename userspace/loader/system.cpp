#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "loader/system.hpp"
#include "maps/paths.hpp"

namespace xt {
namespace {

bool is_bpffs(const std::filesystem::path& path) {
    struct statfs st{};
    return statfs(path.c_str(), &st) == 0 && static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC;
}

// Effective capabilities without libcap: capget(2) with the v3 (64-bit) layout.
bool has_capability(int cap) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (syscall(SYS_capget, &header, data) != 0) return false;
    return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

}  // namespace

Status check_privileges() {
    if (geteuid() == 0) return {};
    if (has_capability(CAP_NET_ADMIN) && (has_capability(CAP_BPF) || has_capability(CAP_SYS_ADMIN)))
        return {};
    return fail("must run as root (or with CAP_NET_ADMIN and CAP_BPF): XDP programs and their "
                "pinned maps are privileged; try 'sudo xdp-throttle ...'", EPERM);
}

std::string BpffsState::warning() const {
    if (!mounted_now || !possibly_private_mount_ns) return {};
    return fmt::format("mounted bpffs at {}; if this runs in a private mount namespace (as under 'ip "
                       "netns exec', which remounts /sys), that mount and the pins in it vanish when "
                       "the command exits: set ${} to a bpffs mounted outside instead",
                       mount_point.string(), kBpffsEnv);
}

Result<BpffsState> ensure_bpffs() {
    const auto mount_point = bpffs_mount_point();
    BpffsState state;
    state.mount_point = mount_point;
    if (!is_bpffs(mount_point)) {
        if (std::getenv(kBpffsEnv) && *std::getenv(kBpffsEnv))
            return failf(ErrorKind::not_found, "{} (from ${}) is not a bpffs mount; mount one with 'mount -t bpf "
                                 "bpf {}'", mount_point.string(), kBpffsEnv, mount_point.string());
        std::error_code ec;
        std::filesystem::create_directories(mount_point, ec);
        if (mount("bpf", mount_point.c_str(), "bpf", 0, "mode=0700") != 0) {
            const int err = errno;
            return failf(err, "bpffs is not mounted at {} and mounting it failed: {} (mount it with "
                              "'mount -t bpf bpf {}', or set ${} to a bpffs mount point)",
                         mount_point.string(), std::strerror(err), mount_point.string(), kBpffsEnv);
        }
        state.mounted_now = true;
        std::error_code e1, e2;
        const auto ours = std::filesystem::read_symlink("/proc/self/ns/mnt", e1);
        const auto init = std::filesystem::read_symlink("/proc/1/ns/mnt", e2);
        state.possibly_private_mount_ns = e1 || e2 || ours != init;
    }
    // libxdp keeps its own state (dispatcher pins, its lock) in a bpffs too; use the same one so a
    // test pointing us at a private bpffs does not have libxdp look for /sys/fs/bpf.
    setenv("LIBXDP_BPFFS", mount_point.c_str(), /*overwrite=*/0);
    std::error_code ec;
    std::filesystem::create_directories(pin_root(), ec);
    if (ec)
        return failf(ec.value(), "cannot create {}: {}", pin_root().string(), ec.message());
    return state;
}

}  // namespace xt
