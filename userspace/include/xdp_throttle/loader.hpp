// Attaching, detaching and finding xdp-throttle on interfaces; bpffs, locking and privileges.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xdp_throttle/fd.hpp"
#include "xdp_throttle/result.hpp"

namespace xt {

enum class AttachMode { native, skb };
std::string_view attach_mode_name(AttachMode mode);
Result<AttachMode> parse_attach_mode(std::string_view text);

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

// flock(LOCK_EX) on the pin root, held while the object lives. Every mutating command takes it, so
// concurrent CLI invocations serialise instead of interleaving read-modify-write of the config.
class PinRootLock {
public:
    static Result<PinRootLock> acquire();
private:
    explicit PinRootLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

// Whether libxdp's dispatcher can chain several XDP programs on one interface here.
struct MultiprogSupport {
    bool supported = false;
    std::string reason;
};
MultiprogSupport probe_multiprog();

// What holds the XDP hook of an interface.
struct XdpAttachment {
    uint32_t prog_id = 0;
    std::string prog_name;
    std::optional<AttachMode> mode;
    bool ours = false;  // xdp-throttle's program (directly or inside libxdp's dispatcher)
};
// Empty when nothing is attached. `ifindex` must exist.
Result<std::optional<XdpAttachment>> query_attachment(int ifindex);

Result<int> interface_index(std::string_view iface);

struct AttachResult {
    uint32_t prog_id = 0;
    bool config_created = false;  // false: existing pinned maps (rules, bans, counters) reused
};
// Loads the program with its maps pinned under pin_dir(iface) (reusing pins that exist) and
// attaches it through libxdp. Caller holds PinRootLock and has run ensure_bpffs().
Result<AttachResult> attach(std::string_view iface, AttachMode mode);

// Detaches our program (error when it is not attached, unless `purge`); with `purge` also removes
// the pin directory, i.e. every rule, ban and counter of the interface.
struct DetachResult {
    bool detached = false;
    bool purged = false;
};
Result<DetachResult> detach(std::string_view iface, bool purge);

struct InterfaceStatus {
    std::string iface;
    bool attached = false;
    std::optional<AttachMode> mode;
    std::optional<uint32_t> prog_id;
    std::filesystem::path pin_dir;
    bool has_pins = false;
};
// Every interface with a pin directory or with our program attached, sorted by name.
Result<std::vector<InterfaceStatus>> interfaces_status();

// The interface a rule command works on: `requested` when given (it must have a pin directory);
// otherwise the single attached interface; otherwise an error listing the candidates.
Result<std::string> resolve_interface(const std::optional<std::string>& requested);

}  // namespace xt
