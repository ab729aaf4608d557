// Where state lives in bpffs. The bpffs mount point is $XDP_THROTTLE_BPFFS when set (tests point it
// at a bpffs they mounted under /tmp, because `ip netns exec` hides /sys/fs/bpf), else /sys/fs/bpf.
// Pins: <bpffs>/xdp-throttle/<iface>/<map name>.
#pragma once

#include <filesystem>
#include <string_view>

namespace xt {

inline constexpr const char* kBpffsEnv = "XDP_THROTTLE_BPFFS";
inline constexpr const char* kDefaultBpffs = "/sys/fs/bpf";

std::filesystem::path bpffs_mount_point();
std::filesystem::path pin_root();  // <bpffs>/xdp-throttle
std::filesystem::path pin_dir(std::string_view iface);

}  // namespace xt
