#include <cstdlib>

#include "abi.h"
#include "maps/paths.hpp"

namespace xt {

std::filesystem::path bpffs_mount_point() {
    const char* env = std::getenv(kBpffsEnv);
    return (env && *env) ? std::filesystem::path(env) : std::filesystem::path(kDefaultBpffs);
}

// XT_PIN_ROOT is "/sys/fs/bpf/xdp-throttle": keep its last component, rebase on the mount point.
std::filesystem::path pin_root() {
    return bpffs_mount_point() / std::filesystem::path(XT_PIN_ROOT).filename();
}

std::filesystem::path pin_dir(std::string_view iface) { return pin_root() / std::string(iface); }

}  // namespace xt
