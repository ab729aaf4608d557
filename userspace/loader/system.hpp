// The host-side preconditions of every command: privileges and a bpffs to pin into. (The lock
// every change takes is maps/pin_root_lock.hpp.)
#pragma once

#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace xt {

// Root, or CAP_NET_ADMIN + CAP_BPF (+ CAP_SYS_ADMIN to mount bpffs).
Status check_privileges();

// Makes sure bpffs is mounted at bpffs_mount_point() (mounting it at the default /sys/fs/bpf when
// missing; an $XDP_THROTTLE_BPFFS override must already be a bpffs) and creates the pin root. Also
// points libxdp at the same bpffs ($LIBXDP_BPFFS) unless the caller set it.
struct BpffsState {
    std::filesystem::path mount_point;
    bool mounted_now = false;
    // A mount made here vanishes with this process's mount namespace when that is not the host's
    // (`ip netns exec` makes a private one and remounts /sys): pins would not outlive the command.
    // Unknown (unreadable /proc/1/ns/mnt) counts as possibly private.
    bool possibly_private_mount_ns = false;
    std::string warning() const;  // empty unless mounted_now in a possibly private namespace
};
Result<BpffsState> ensure_bpffs();

}  // namespace xt
