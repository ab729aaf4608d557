#include "maps/paths.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "abi.h"
#include "input/address.hpp"

namespace xt {
namespace {

std::string attach_command(std::string_view iface, PinSet set) {
    return fmt::format("xdp-throttle attach {}{}", iface,
                       set == PinSet::gateway ? " --peer SERVER_SIDE_IFACE" : "");
}

Result<UniqueFd> open_pin(const std::filesystem::path& path, std::string_view iface, PinSet set) {
    const int fd = bpf_obj_get(path.c_str());
    if (fd >= 0) return UniqueFd(fd);
    const int err = errno;
    if (err != ENOENT)
        return failf(err, "{}: cannot open pinned map: {}", path.string(), std::strerror(err));
    if (set == PinSet::gateway)
        return failf(err, "{}: no gateway map {} ({} is not attached as a gateway bridge: run '{}' "
                          "first)", iface, path.string(), iface, attach_command(iface, set));
    return failf(err, "{}: map missing (was xdp-throttle attached to this interface with this "
                      "version? re-attach it, or detach --purge first)", path.string());
}

}  // namespace

std::filesystem::path bpffs_mount_point() {
    const char* env = std::getenv(kBpffsEnv);
    return (env && *env) ? std::filesystem::path(env) : std::filesystem::path(kDefaultBpffs);
}

// XT_PIN_ROOT is "/sys/fs/bpf/xdp-throttle": keep its last component, rebase on the mount point.
std::filesystem::path pin_root() {
    return bpffs_mount_point() / std::filesystem::path(XT_PIN_ROOT).filename();
}

std::filesystem::path pin_dir(std::string_view iface) { return pin_root() / std::string(iface); }

Status open_pins(std::string_view iface, PinSet set, std::span<const PinSlot> slots) {
    XT_TRY(validate_ifname(iface));
    const auto dir = pin_dir(iface);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return failf(ErrorKind::not_found, "no xdp-throttle state for interface {} ({} does not exist; run '{}' "
                             "first)", iface, dir.string(), attach_command(iface, set));
    for (const auto& slot : slots) *slot.fd = XT_TRY(open_pin(dir / slot.name, iface, set));
    return {};
}

}  // namespace xt
