// The plumbing every verb shares (cli.hpp).
#include "cli.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace xt::cli {

ParsedArgs parse_args(const Args& args, const po::options_description& options, std::string_view verb) {
    po::options_description all;
    all.add(options);
    all.add_options()("help,h", "show this help");
    po::options_description hidden;
    hidden.add_options()("positional", po::value<std::vector<std::string>>(), "");
    all.add(hidden);
    po::positional_options_description positional;
    positional.add("positional", -1);
    ParsedArgs parsed;
    try {
        // No option guessing: "--for" must not silently match "--force" some day.
        const auto style = po::command_line_style::default_style &
                           ~po::command_line_style::allow_guessing;
        po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(),
                  parsed.vm);
        po::notify(parsed.vm);
    } catch (const po::error& e) {
        throw UsageError(e.what(), std::string(verb));
    }
    parsed.help = parsed.vm.count("help") > 0;
    if (parsed.vm.count("positional"))
        parsed.positionals = parsed.vm["positional"].as<std::vector<std::string>>();
    return parsed;
}

const std::string& action_of(const ParsedArgs& parsed, std::string_view verb, std::string_view expected) {
    if (parsed.positionals.empty())
        throw UsageError(fmt::format("{} needs {}", verb, expected), std::string(verb));
    return parsed.positionals[0];
}

void expect_no_arguments(const ParsedArgs& parsed, std::string_view verb) {
    if (!parsed.positionals.empty())
        throw UsageError(fmt::format("{} takes no arguments, got {}", verb, fmt::join(parsed.positionals, " ")),
                         std::string(verb));
}

void prepare_bpffs() {
    const auto state = unwrap(ensure_bpffs());
    if (const auto warning = state.warning(); !warning.empty())
        fmt::print(stderr, "xdp-throttle: warning: {}\n", warning);
}

MapSession open_maps(const ParsedArgs& parsed, bool mutating) {
    unwrap(check_privileges());
    prepare_bpffs();
    std::optional<PinRootLock> lock;
    if (mutating) lock.emplace(unwrap(PinRootLock::acquire()));
    const std::string iface = unwrap(resolve_interface(parsed.value("iface")));
    return MapSession{std::move(lock), unwrap(InterfaceMaps::open(iface))};
}

void print_json(const nlohmann::json& value, bool one_line) {
    fmt::print("{}\n", one_line ? value.dump() : value.dump(2));
    std::fflush(stdout);
}

}  // namespace xt::cli
