// xdp-throttle: finds the verb in the table (verbs.cpp), parses its options and runs it; errors
// become exit codes here.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <string>

#include "help.hpp"
#include "verbs.hpp"

namespace {

// `help` alone prints the usage; `help VERB` a verb's help; `help --markdown` README's CLI reference.
int run_help(const xt::cli::Args& args) {
    const auto& program = xt::cli::program();
    if (args.empty()) {
        fmt::print("{}", xt::cli::render_usage(program));
        return 0;
    }
    if (args.size() == 1 && args[0] == "--markdown") {
        fmt::print("{}", xt::cli::render_markdown(program));
        return 0;
    }
    const auto* verb = args.size() == 1 ? xt::cli::find_verb(args[0]) : nullptr;
    if (!verb) throw xt::cli::UsageError(fmt::format("help: no verb '{}'", fmt::join(args, " ")), "");
    fmt::print("{}", xt::cli::render_verb_help(program, *verb));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const auto& program = xt::cli::program();
    if (argc < 2) {
        fmt::print(stderr, "{}", xt::cli::render_usage(program));
        return 2;
    }
    const std::string name = argv[1];
    const xt::cli::Args args(argv + 2, argv + argc);
    if (name == "--version") {
        fmt::print("xdp-throttle {}\n", XT_VERSION);
        return 0;
    }
    try {
        if (name == "--help" || name == "-h") return run_help({});
        if (name == "help") return run_help(args);
        const auto* verb = xt::cli::find_verb(name);
        if (!verb) throw xt::cli::UsageError(fmt::format("unknown verb '{}'", name), "");
        const auto parsed = xt::cli::parse_args(args, xt::cli::boost_options(*verb), verb->name);
        if (parsed.help) {
            fmt::print("{}", xt::cli::render_verb_help(program, *verb));
            return 0;
        }
        return verb->run(parsed);
    } catch (const xt::cli::UsageError& e) {
        fmt::print(stderr, "xdp-throttle: {}\n(see 'xdp-throttle {}--help')\n", e.what(),
                   e.verb.empty() ? "" : e.verb + " ");
        return 2;
    } catch (const xt::cli::CommandError& e) {
        fmt::print(stderr, "xdp-throttle: {}\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "xdp-throttle: {}\n", e.what());
        return 1;
    }
}
