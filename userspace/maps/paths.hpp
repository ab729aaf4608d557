// Where state lives in bpffs, and the one way to open it. The bpffs mount point is
// $XDP_THROTTLE_BPFFS when set (tests point it at a bpffs they mounted under /tmp, because
// `ip netns exec` hides /sys/fs/bpf), else /sys/fs/bpf. Pins: <bpffs>/xdp-throttle/<iface>/<map name>.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace xt {

inline constexpr const char* kBpffsEnv = "XDP_THROTTLE_BPFFS";
inline constexpr const char* kDefaultBpffs = "/sys/fs/bpf";

std::filesystem::path bpffs_mount_point();
std::filesystem::path pin_root();  // <bpffs>/xdp-throttle
std::filesystem::path pin_dir(std::string_view iface);

// Which maps a caller opens: the advice for missing pins differs (attach, or attach --peer).
enum class PinSet { interface, gateway };
struct PinSlot {
    UniqueFd* fd;
    const char* name;  // the map's name, XT_NAME(XT_MAP_...)
};
// Opens the pinned maps pin_dir(iface)/<name> into their slots: the pin opener of InterfaceMaps,
// GatewayMaps and the config read of status. Errors name the interface and the missing path.
Status open_pins(std::string_view iface, PinSet set, std::span<const PinSlot> slots);

}  // namespace xt
