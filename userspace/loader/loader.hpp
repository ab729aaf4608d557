// Attaching, detaching and finding xdp-throttle on interfaces; bpffs, locking and privileges.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"
#include "common/result.hpp"

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
    std::vector<uint16_t> http_ports;  // gateway mode: the ports written to the config
};
// Loads the program with its maps pinned under pin_dir(iface) (reusing pins that exist) and
// attaches it through libxdp, in host mode (a gateway setting left in the pins is cleared).
// Caller holds PinRootLock and has run ensure_bpffs().
Result<AttachResult> attach(std::string_view iface, AttachMode mode);

// Gateway mode (bpf/abi.h): the same loaded program on the client side `client_iface` (A, the
// L3/L4 stages run there) and the server side `server_iface` (B), bridging them in the kernel.
// The maps are pinned under pin_dir(client_iface); its xt_config records both ifindexes and the
// HTTP ports (1..65535, at most XT_MAX_HTTP_PORTS, duplicates ignored; empty: {80}), and
// XT_MAP_PORTS maps each port to the other. Frames bridge without the daemon. Both or neither
// get attached. Caller holds PinRootLock and has run ensure_bpffs().
inline constexpr uint16_t kDefaultHttpPort = 80;
Result<AttachResult> attach_gateway(std::string_view client_iface, std::string_view server_iface,
                                    AttachMode mode, std::span<const uint16_t> http_ports);

// Detaches our program (error when it is not attached, unless `purge`); with `purge` also removes
// the pin directory, i.e. every rule, ban and counter of the interface.
// Detaching the client side of a gateway bridge detaches its server side too (`peer`); detaching
// the server side alone is refused (it would leave A bridging into a port without the program).
struct DetachResult {
    bool detached = false;
    bool purged = false;
    std::optional<std::string> peer;  // the gateway's server side, detached with it
};
Result<DetachResult> detach(std::string_view iface, bool purge);

struct InterfaceStatus {
    std::string iface;
    bool attached = false;
    std::optional<AttachMode> mode;
    std::optional<uint32_t> prog_id;
    std::filesystem::path pin_dir;
    bool has_pins = false;
    // Gateway mode: the other port of the bridge; the server side (B) has no pins of its own.
    std::optional<std::string> gateway_peer;
    bool gateway_server_side = false;
};
// Every interface with a pin directory or with our program attached, sorted by name.
Result<std::vector<InterfaceStatus>> interfaces_status();

// The interface a rule command works on: `requested` when given (it must have a pin directory);
// otherwise the single attached interface; otherwise an error listing the candidates.
Result<std::string> resolve_interface(const std::optional<std::string>& requested);

}  // namespace xt
