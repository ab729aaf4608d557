// Where xdp-throttle is attached or has state, and which interface a rule command works on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "loader/attachment.hpp"
#include "maps/tables.hpp"

namespace xt {

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

// Fill levels of the kernel tables of an interface with pins of its own (has_pins; the server side
// of a bridge has none, its client side's are the bridge's), with the bypass table. Walks every
// table (maps/tables.hpp): for `status`, never for the rule commands that resolve an interface.
Result<std::vector<TableFill>> interface_tables(const InterfaceStatus& s);

// The interface a rule command works on: `requested` when given (it must have a pin directory);
// otherwise the single attached interface; otherwise an error listing the candidates.
Result<std::string> resolve_interface(const std::optional<std::string>& requested);

}  // namespace xt
