// Who holds the XDP hook of an interface, and whether several programs could share it here.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "abi.h"
#include "libxdp_handles.hpp"
#include "library_log.hpp"
#include "common/fd.hpp"
#include "loader/attachment.hpp"
#include "input/address.hpp"

namespace xt {
namespace {

std::string prog_name_of(uint32_t prog_id) {
    UniqueFd fd(bpf_prog_get_fd_by_id(prog_id));
    if (!fd.valid()) return {};
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) return {};
    return info.name;
}

// libxdp's dispatcher holds the hook; our program, if present, is one of its components.
bool dispatcher_contains_ours(int ifindex) {
    auto [mp, err] = detail::adopt<detail::MultiprogPtr>(xdp_multiprog__get_from_ifindex(ifindex));
    if (err) return false;
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp.get()); p;
         p = xdp_multiprog__next_prog(p, mp.get()))
        if (std::strcmp(xdp_program__name(p), XT_PROG_NAME) == 0) return true;
    return false;
}

}  // namespace

std::string_view attach_mode_name(AttachMode mode) {
    return mode == AttachMode::native ? "native" : "skb";
}

Result<AttachMode> parse_attach_mode(std::string_view text) {
    if (text == "native") return AttachMode::native;
    if (text == "skb") return AttachMode::skb;
    return failf(ErrorKind::invalid_input, "--mode {}: expected 'native' or 'skb'", text);
}

Result<int> interface_index(std::string_view iface) {
    XT_TRY(validate_ifname(iface));
    const unsigned index = if_nametoindex(std::string(iface).c_str());
    if (index == 0) return failf(ErrorKind::not_found, "no such interface: {}", iface);
    return static_cast<int>(index);
}

MultiprogSupport probe_multiprog() {
    detail::install_library_log();
    const int rc = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_EXT, nullptr);
    detail::take_library_log();
    if (rc == 1)
        return {true, "the kernel loads freplace (BPF_PROG_TYPE_EXT) programs, so libxdp's "
                      "dispatcher can run several XDP programs on one interface"};
    if (rc == 0)
        return {false, "the kernel refuses freplace (BPF_PROG_TYPE_EXT) programs, so libxdp's "
                       "dispatcher cannot run: one XDP program per interface"};
    return {false, fmt::format("probing freplace (BPF_PROG_TYPE_EXT) support failed: {}; assuming "
                               "one XDP program per interface", std::strerror(-rc))};
}

Result<std::optional<XdpAttachment>> query_attachment(int ifindex) {
    LIBBPF_OPTS(bpf_xdp_query_opts, opts);
    if (bpf_xdp_query(ifindex, 0, &opts) != 0)
        return failf(errno, "cannot query the XDP hook of ifindex {}: {}", ifindex,
                     std::strerror(errno));
    XdpAttachment att;
    if (opts.drv_prog_id) {
        att.prog_id = opts.drv_prog_id;
        att.mode = AttachMode::native;
    } else if (opts.skb_prog_id) {
        att.prog_id = opts.skb_prog_id;
        att.mode = AttachMode::skb;
    } else if (opts.hw_prog_id) {
        att.prog_id = opts.hw_prog_id;  // offloaded: neither of our modes
    } else {
        return std::optional<XdpAttachment>{};
    }
    att.prog_name = prog_name_of(att.prog_id);
    att.ours = att.prog_name == XT_PROG_NAME ||
               (att.prog_name == "xdp_dispatcher" && dispatcher_contains_ours(ifindex));
    return std::optional<XdpAttachment>{att};
}

}  // namespace xt
