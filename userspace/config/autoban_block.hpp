// Parser of `autoban` in the "xdp-throttle" namespace (autoban_block.cpp), and the notes on rules
// that cannot apply to some clients. Internal to the config loader.
#pragma once

#include "json_fields.hpp"
#include "config/gateway_config.hpp"

namespace xt::config {

// Fields with problems keep their defaults (and the file is invalid).
Autoban parse_autoban(const json& block, const JsonPath& at, Problems& problems);

// Warnings for rules that can never fire, or cannot ban some clients: only an address can be banned
// at L3, so clients a limit identifies by a header or parameter (or through trusted proxies) never
// are. Needs the whole config (the limits live in other blocks).
void note_autoban_reach(const Config& config, Problems& problems);

}  // namespace xt::config
