// The pinned xt_config of an interface (abi.h): the only reads and writes of XT_MAP_CONFIG.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "abi.h"
#include "common/result.hpp"
#include "maps/interface_maps.hpp"

namespace xt {

// The settings a freshly attached interface starts with: deny policy, top-drop tracking on, spike
// prefixes /24 and /64, every limit off.
xt_config default_config();

Result<xt_config> read_config(const InterfaceMaps& maps);
// The config pinned for `iface`, read without opening its other maps (status walks every pin
// directory); nullopt when there is none or it cannot be read.
std::optional<xt_config> read_pinned_config(std::string_view iface);

// Writes `config` whole, with the rule index fields set by the library: XT_CFG_INDEXED and
// `present` (which rule maps hold entries; abi.h). The first write that finds no XT_CFG_INDEXED in
// the stored config (fresh maps, maps of an older version, a config written by bpftool) rebuilds
// the per-/16 deny counts and the ban filter from the maps. Holds maps.lock().
Status write_config(const InterfaceMaps& maps, const xt_config& config);

// Read-modify-write: reads the config, lets `change` edit it, writes it (as write_config), all
// under maps.lock(), so no other process's change lands in between. Returns the config as
// `change` left it.
Result<xt_config> update_config(const InterfaceMaps& maps,
                                const std::function<void(xt_config&)>& change);

}  // namespace xt
