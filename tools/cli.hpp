// Shared plumbing of the xdp-throttle verbs: option parsing with Boost.Program_options, the error
// types that main() turns into exit codes, and opening an interface's maps with the right locking.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "loader/attach.hpp"
#include "loader/gateway.hpp"
#include "loader/status.hpp"
#include "loader/system.hpp"
#include "maps/bans.hpp"
#include "maps/config.hpp"
#include "maps/counters.hpp"
#include "maps/interface_maps.hpp"
#include "maps/pin_root_lock.hpp"
#include "maps/rules.hpp"
#include "common/result.hpp"

namespace xt::cli {

namespace po = boost::program_options;
using Args = std::vector<std::string>;  // the arguments after the verb

// Bad command line: exit code 2, message followed by a pointer to `xdp-throttle <verb> --help`.
struct UsageError : std::runtime_error {
    UsageError(std::string message, std::string verb)
        : std::runtime_error(std::move(message)), verb(std::move(verb)) {}
    std::string verb;
};
// Anything else that stops a command: exit code 1.
struct CommandError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <typename T>
T unwrap(Result<T> r) {
    if (!r) throw CommandError(r.error().message);
    return std::move(*r);
}
inline void unwrap(Status s) {
    if (!s) throw CommandError(s.error().message);
}
// Bad values (a CIDR, a duration, a rate) are errors of the command (exit 1), like the issue's
// "bad CIDR"/"bad duration"; UsageError is for a command line of the wrong shape.
struct ParsedArgs {
    po::variables_map vm;
    std::vector<std::string> positionals;
    bool help = false;

    bool flag(const char* name) const { return vm.count(name) > 0; }
    std::optional<std::string> value(const char* name) const {
        if (!vm.count(name)) return std::nullopt;
        return vm[name].as<std::string>();
    }
};

// Parses `args` against `options` (--help is added); positionals are collected in order.
ParsedArgs parse_args(const Args& args, const po::options_description& options, std::string_view verb);

// The first positional, naming the action of a verb with several ("ip list"); `expected` lists
// them for the message when it is missing.
const std::string& action_of(const ParsedArgs& parsed, std::string_view verb, std::string_view expected);

// For verbs that take options only: refuses positionals, naming them.
void expect_no_arguments(const ParsedArgs& parsed, std::string_view verb);

// The maps of the interface a rule command works on. Mutating commands hold the pin-root lock for
// their whole read-modify-write.
struct MapSession {
    std::optional<PinRootLock> lock;
    InterfaceMaps maps;
};
MapSession open_maps(const ParsedArgs& parsed, bool mutating);

// ensure_bpffs(), with its warning (if any) on stderr.
void prepare_bpffs();

void print_json(const nlohmann::json& value, bool one_line = false);

}  // namespace xt::cli
