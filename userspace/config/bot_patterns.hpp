// How `security/bot-detector` patterns are compiled: the config validator (qos_blocks.cpp) and the
// detector (policy/bot_detector.cpp) must agree, or a pattern accepted at load could behave
// differently when enforced.
#pragma once

#include <re2/re2.h>

namespace xt::config {

// KrakenD compiles the patterns with Go's regexp.MustCompile and tests them with MatchString:
// RE2 syntax, UTF-8, case-sensitive, unanchored, leftmost-first. RE2's defaults are exactly that;
// only the logging (to stderr) is turned off, errors are reported with their JSON path instead.
inline RE2::Options bot_pattern_options() {
    RE2::Options options;
    options.set_log_errors(false);
    return options;
}

}  // namespace xt::config
