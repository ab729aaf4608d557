// The xdp-throttle verbs declared once, as data (as xdp-tools declares its options and commands):
// the top-level usage, each verb's --help, README's CLI reference (`xdp-throttle help --markdown`)
// and the option parser are all generated from this table, so they cannot drift apart.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"

namespace xt::cli {

// One command-line option. Text fields are plain text with `code` spans (see Verb::description).
struct Option {
    std::string_view name{};       // long name without "--"; empty for a short-only option
    char short_name = 0;         // -x, or 0
    std::string_view value{};      // what it takes ("N", "native|skb"); empty for a flag
    std::string_view help{};       // one sentence or a few
    bool repeatable = false;     // may be given several times (the values are collected)

    // How it is written on a command line: "--mode native|skb", "-n N".
    std::string spelling() const;
    // The key Boost.Program_options files it under ("mode", or "-n" for a short-only option).
    std::string key() const;
};

using Handler = int (*)(const ParsedArgs& parsed);

struct Verb {
    std::string_view name{};
    std::string_view summary{};                // one line, lower case, no final period
    // One usage form an entry, without "xdp-throttle "; a long one continues after "\n" with spaces
    // that align it under the verb's arguments.
    std::vector<std::string_view> synopsis{};
    std::vector<Option> options{};             // --help is added to every verb
    // Long help in a small Markdown subset that renders on a terminal as well as in Markdown (and
    // later in man pages): paragraphs separated by blank lines, "- " list items (continuation lines
    // indented by two), fenced ``` blocks, `code` spans; lines wrapped at 100 columns.
    std::string_view description{};
    std::vector<std::string_view> examples{};  // command lines, without a prompt
    Handler run = nullptr;
};

// Text shared by every verb: what the top-level usage, README and a man page say once.
struct Program {
    std::string_view name{};         // "xdp-throttle"
    std::string_view tagline{};      // what it is, one line
    std::string_view conventions{};  // the rules every verb follows (same markup as descriptions)
    std::string_view exit_status{};
    std::vector<std::string_view> examples{};
    std::span<const Verb> verbs{};
};

const Program& program();
const Verb* find_verb(std::string_view name);

// The verb's options for Boost.Program_options (without --help, which parse_args adds).
po::options_description boost_options(const Verb& verb);

// The handlers, one file per verb group.
int run_attach(const ParsedArgs& parsed);
int run_detach(const ParsedArgs& parsed);
int run_status(const ParsedArgs& parsed);
int run_ip(const ParsedArgs& parsed);
int run_ban(const ParsedArgs& parsed);
int run_limit(const ParsedArgs& parsed);
int run_stats(const ParsedArgs& parsed);
int run_top(const ParsedArgs& parsed);
int run_check_config(const ParsedArgs& parsed);
int run_bot_check(const ParsedArgs& parsed);

}  // namespace xt::cli
