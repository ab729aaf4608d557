// attach/detach through libxdp. The maps get their pin paths before load, so libbpf reuses pinned
// maps when they exist: rules, bans and counters survive detach + attach. On kernels without
// freplace, libxdp's dispatcher probe fails with EOPNOTSUPP and libxdp falls back to attaching our
// program alone (legacy netlink attach, refused with EBUSY/EEXIST when another program is there).
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "attach_internal.hpp"
#include "libxdp_handles.hpp"
#include "library_log.hpp"
#include "input/address.hpp"
#include "loader/attach.hpp"
#include "maps/config.hpp"
#include "maps/paths.hpp"
#include "xdp_throttle.skel.h"

namespace xt {
namespace {

struct SkeletonDestroyer {
    void operator()(xdp_throttle* skel) const { xdp_throttle__destroy(skel); }
};
using SkeletonPtr = std::unique_ptr<xdp_throttle, SkeletonDestroyer>;

using detail::MultiprogPtr;
using detail::ProgramPtr;

xdp_attach_mode to_libxdp(AttachMode mode) {
    return mode == AttachMode::native ? XDP_MODE_NATIVE : XDP_MODE_SKB;
}

std::string with_log(std::string message) {
    const auto tail = detail::library_log_tail(detail::take_library_log(), 12);
    if (!tail.empty()) message += "\n  " + tail;
    return message;
}

Error occupied_error(std::string_view iface, const XdpAttachment& other) {
    const auto multiprog = probe_multiprog();
    std::string msg = fmt::format("{} already has another XDP program attached: '{}' (id {}{}); ",
                                  iface, other.prog_name.empty() ? "?" : other.prog_name,
                                  other.prog_id,
                                  other.mode ? fmt::format(", {} mode", attach_mode_name(*other.mode))
                                             : "");
    if (!multiprog.supported)
        msg += fmt::format("{}. Detach it first (e.g. 'xdp-loader unload {} --all' or 'ip link set "
                           "dev {} xdp off')", multiprog.reason, iface, iface);
    else
        msg += "libxdp could not add xdp-throttle next to it (was it attached without libxdp?)";
    return Error{ErrorKind::busy, msg};
}

void remove_pin_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

}  // namespace

namespace detail {

// Legacy attachment (ours alone): libxdp detaches the main program. Dispatcher: detach our
// component, libxdp rebuilds the dispatcher for the remaining programs.
Status detach_ours(int ifindex, std::string_view iface, uint32_t prog_id) {
    auto [mp, err] = detail::adopt<MultiprogPtr>(xdp_multiprog__get_from_ifindex(ifindex));
    int rc = err;
    if (!err) {
        if (xdp_multiprog__is_legacy(mp.get())) {
            rc = xdp_multiprog__detach(mp.get());
        } else {
            rc = -ENOENT;
            for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp.get()); p;
                 p = xdp_multiprog__next_prog(p, mp.get()))
                if (std::strcmp(xdp_program__name(p), XT_PROG_NAME) == 0) {
                    rc = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp.get()), 0);
                    break;
                }
        }
    }
    if (rc != 0)
        return failf(-rc, "{}", with_log(fmt::format("cannot detach xdp-throttle (program id {}) "
                                                     "from {}: {}", prog_id, iface,
                                                     std::strerror(-rc))));
    return {};
}

Status check_hook_free(std::string_view iface, int ifindex) {
    const auto current = XT_TRY(query_attachment(ifindex));
    if (current && current->ours) {
        if (auto gateway = gateway_of_server_port(ifindex); gateway)
            return failf(ErrorKind::busy, "{} is the server-side port of the gateway bridge {} <-> {}; "
                                 "detach the bridge with 'xdp-throttle detach {}'", iface,
                         gateway->client_iface, gateway->server_iface, gateway->client_iface);
        return failf(ErrorKind::busy, "xdp-throttle is already attached to {} (program id {}{}); detach it "
                             "first to change the mode", iface, current->prog_id,
                     current->mode ? fmt::format(", {} mode", attach_mode_name(*current->mode))
                                      : "");
    }
    if (current && !probe_multiprog().supported) return tl::unexpected(occupied_error(iface, *current));
    return {};
}

Result<AttachResult> load_and_attach(std::string_view pin_iface, std::span<const PortToAttach> ports,
                                     AttachMode mode, std::span<const TableSize> sizes) {
    const auto dir = pin_dir(pin_iface);
    std::error_code ec;
    const bool dir_existed = std::filesystem::is_directory(dir, ec);
    const bool config_existed = std::filesystem::exists(dir / XT_NAME(XT_MAP_CONFIG), ec);
    std::filesystem::create_directories(dir, ec);
    if (ec) return failf(ec.value(), "cannot create {}: {}", dir.string(), ec.message());
    auto cleanup_new_dir = [&] {
        if (!dir_existed) remove_pin_dir(dir);
    };

    SkeletonPtr skel(xdp_throttle__open());
    if (!skel) {
        const int err = errno;
        cleanup_new_dir();
        return failf(err, "{}", with_log(fmt::format("cannot open the embedded XDP object: {}",
                                                     std::strerror(err))));
    }
    bpf_map* map;
    bpf_object__for_each_map(map, skel->obj) {
        const std::string name = bpf_map__name(map);
        if (name.rfind("xt_", 0) != 0) continue;  // .rodata/.bss of the object are not state
        // The kernel creates device maps with BPF_F_RDONLY_PROG added (and refuses it when
        // asked), and libbpf reuses a pin only when the flags match: declare it for a reuse.
        const auto type = bpf_map__type(map);
        if ((type == BPF_MAP_TYPE_DEVMAP || type == BPF_MAP_TYPE_DEVMAP_HASH) &&
            std::filesystem::exists(dir / name, ec))
            bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_RDONLY_PROG);
        if (bpf_map__set_pin_path(map, (dir / name).c_str()) != 0) {
            cleanup_new_dir();
            return failf(errno, "cannot set pin path for map {}", name);
        }
        // A table's size is fixed when its map is created: a pinned one keeps the size it was
        // created with (libbpf reuses a pin only when the sizes match), the operator's --size
        // applies to a map created now.
        if (!table_resizable(name)) continue;
        const auto asked = std::find_if(sizes.begin(), sizes.end(),
                                        [&](const TableSize& t) { return t.map == name; });
        const auto pinned = pinned_map_size(pin_iface, name);
        if (!pinned) {
            cleanup_new_dir();
            return tl::unexpected(pinned.error());
        }
        if (*pinned && asked != sizes.end() && asked->entries != **pinned) {
            cleanup_new_dir();
            return failf(ErrorKind::invalid_input,
                         "--size {}={}: the {} table of {} exists with {} entries, and a size applies "
                         "when a table is created; 'xdp-throttle detach {} --purge' deletes it (with "
                         "every rule, ban and counter), then attach with --size",
                         asked->table, asked->entries, asked->table, pin_iface, **pinned, pin_iface);
        }
        const uint32_t entries = *pinned ? **pinned : asked != sizes.end() ? asked->entries : 0;
        if (entries && bpf_map__set_max_entries(map, entries) != 0) {
            cleanup_new_dir();
            return failf(errno, "cannot size map {} to {} entries", name, entries);
        }
    }

    DECLARE_LIBXDP_OPTS(xdp_program_opts, prog_opts, .obj = skel->obj);
    auto [prog, err] = detail::adopt<ProgramPtr>(xdp_program__create(&prog_opts));
    if (err) {
        cleanup_new_dir();
        return failf(static_cast<int>(-err), "{}",
                     with_log(fmt::format("cannot prepare the XDP program: {}", std::strerror(-err))));
    }

    // The same loaded program (one set of maps) goes on every port; a failure on a later port
    // takes it off the earlier ones again.
    for (size_t i = 0; i < ports.size(); ++i) {
        const auto& port = ports[i];
        const int rc = xdp_program__attach(prog.get(), port.ifindex, to_libxdp(mode), 0);
        if (rc == 0) continue;
        const int err = -rc;
        const std::string log = detail::take_library_log();
        for (size_t j = 0; j < i; ++j)
            (void)detach_ours(ports[j].ifindex, ports[j].name, xdp_program__id(prog.get()));
        cleanup_new_dir();
        if (err == EBUSY || err == EEXIST) {
            if (auto now = query_attachment(port.ifindex); now && *now)
                return tl::unexpected(occupied_error(port.name, **now));
        }
        std::string msg = fmt::format("cannot attach xdp-throttle to {} in {} mode: {}", port.name,
                                      attach_mode_name(mode), std::strerror(err));
        if (err == EOPNOTSUPP && mode == AttachMode::native)
            msg += fmt::format(" (the driver of {} has no native XDP; try --mode skb)", port.name);
        if (log.find("error reusing pinned map") != std::string::npos ||
            log.find("couldn't reuse pinned map") != std::string::npos)
            msg += fmt::format(" (the maps pinned in {} do not match this program, probably from "
                               "another version; 'xdp-throttle detach {} --purge' starts fresh)",
                               dir.string(), pin_iface);
        // The dispatcher probe's failure before libxdp's fallback is expected here, not the cause.
        const std::string_view fallback = "Falling back to loading single prog without dispatcher";
        const auto cut = log.find(fallback);
        const auto tail = detail::library_log_tail(
            cut == std::string::npos ? log : log.substr(cut + fallback.size()), 12);
        if (!tail.empty()) msg += "\n  " + tail;
        return failf(err, "{}", msg);
    }

    AttachResult result;
    result.prog_id = xdp_program__id(prog.get());
    result.config_created = !config_existed;
    // Close libxdp's handle before the skeleton that owns the bpf_object; the attachments stay.
    prog.reset();
    skel.reset();
    detail::take_library_log();
    return result;
}

}  // namespace detail

Result<AttachResult> attach(std::string_view iface, AttachMode mode, std::span<const TableSize> sizes) {
    detail::install_library_log();
    detail::take_library_log();
    const int ifindex = XT_TRY(interface_index(iface));
    XT_TRY(detail::check_hook_free(iface, ifindex));

    const detail::PortToAttach port{std::string(iface), ifindex};
    auto result = XT_TRY(detail::load_and_attach(iface, {&port, 1}, mode, sizes));

    // Host mode: a gateway setting left from an earlier `attach IFACE --peer PEER` must not send
    // this interface's frames to a peer it no longer bridges to. A host-mode config is kept.
    const auto maps = XT_TRY(InterfaceMaps::open(iface));
    if (!result.config_created && !(XT_TRY(read_config(maps)).flags & XT_CFG_GATEWAY))
        return result;
    XT_TRY(update_config(maps, [&](xt_config& config) {
        if (result.config_created) config = default_config();
        detail::clear_gateway_settings(config);
    }));
    return result;
}

Result<DetachResult> detach(std::string_view iface, bool purge) {
    detail::install_library_log();
    detail::take_library_log();
    XT_TRY(validate_ifname(iface));
    DetachResult result;
    const auto dir = pin_dir(iface);
    std::error_code ec;
    const bool have_pins = std::filesystem::is_directory(dir, ec);

    auto ifindex = interface_index(iface);
    std::optional<XdpAttachment> current;
    if (ifindex) {
        current = XT_TRY(query_attachment(*ifindex));
    } else if (!purge || !have_pins) {
        return tl::unexpected(ifindex.error());
    }

    if (ifindex) {
        if (auto gateway = detail::gateway_of_server_port(*ifindex))
            return failf(ErrorKind::busy, "{} is the server-side port of the gateway bridge {} <-> {}; detach "
                                "the bridge with 'xdp-throttle detach {}'", iface,
                         gateway->client_iface, gateway->server_iface, gateway->client_iface);
    }
    if (have_pins) {
        result.peer = XT_TRY(detail::detach_gateway_peer(iface));
    }

    if (current && current->ours) {
        XT_TRY(detail::detach_ours(*ifindex, iface, current->prog_id));
        result.detached = true;
    } else if (!purge && !result.peer) {
        return failf(ErrorKind::not_found, "xdp-throttle is not attached to {}{}", iface,
                     current ? fmt::format(" (it has '{}', id {}, which is not ours)",
                                           current->prog_name, current->prog_id)
                             : "");
    }

    if (purge && have_pins) {
        std::filesystem::remove_all(dir, ec);
        if (ec) return failf(ec.value(), "cannot remove {}: {}", dir.string(), ec.message());
        result.purged = true;
    }
    detail::take_library_log();
    return result;
}

}  // namespace xt
