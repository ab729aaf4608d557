// Who holds the XDP hook of an interface, in which mode, and whether several programs could
// share it here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace xt {

enum class AttachMode { native, skb };
std::string_view attach_mode_name(AttachMode mode);
Result<AttachMode> parse_attach_mode(std::string_view text);

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

}  // namespace xt
