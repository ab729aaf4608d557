// Help generated from the verb table (verbs.hpp): the top-level usage, each verb's --help, and the
// Markdown CLI reference that README.md holds between its cli-reference markers.
#pragma once

#include <string>

#include "verbs.hpp"

namespace xt::cli {

// `xdp-throttle --help`: every verb with its summary and usage, the conventions, the exit status.
std::string render_usage(const Program& program);
// `xdp-throttle VERB --help`: usage, description, options, examples.
std::string render_verb_help(const Program& program, const Verb& verb);
// `xdp-throttle help --markdown`: the same content as Markdown, for README.md.
std::string render_markdown(const Program& program);

}  // namespace xt::cli
