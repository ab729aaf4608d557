// The CLI's verb table (tools/verbs.cpp) and the help generated from it: usage lines and options
// agree, every form and example reaches the top-level usage, each verb's --help and the Markdown
// reference, and the options parse as declared. README's copy is checked by unit.cli_reference.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "help.hpp"
#include "verbs.hpp"

namespace xt::cli {
namespace {

std::string flag_of(const Option& option) {
    return option.name.empty() ? fmt::format("-{}", option.short_name) : fmt::format("--{}", option.name);
}

std::set<std::string> flags_in(std::string_view text) {
    std::set<std::string> flags;
    const std::string s(text);
    static const std::regex flag(R"((^|[ \[(])(--[a-z0-9-]+|-[a-z])\b)");
    for (auto it = std::sregex_iterator(s.begin(), s.end(), flag); it != std::sregex_iterator(); ++it)
        flags.insert((*it)[2]);
    return flags;
}

size_t columns(std::string_view line) {
    size_t n = 0;
    for (const unsigned char c : line) n += (c & 0xC0) != 0x80;  // UTF-8 continuation bytes take none
    return n;
}

TEST(CliTable, VerbsAreUniqueAndFound) {
    std::set<std::string_view> names;
    for (const auto& verb : program().verbs) {
        EXPECT_TRUE(names.insert(verb.name).second) << verb.name;
        EXPECT_EQ(find_verb(verb.name), &verb);
        EXPECT_NE(verb.run, nullptr) << verb.name;
        EXPECT_FALSE(verb.synopsis.empty()) << verb.name;
        EXPECT_FALSE(verb.examples.empty()) << verb.name;
        EXPECT_EQ(verb.summary.find('\n'), std::string_view::npos) << verb.name;
    }
    EXPECT_EQ(find_verb("no-such-verb"), nullptr);
    EXPECT_EQ(names.size(), 10u);
}

// The drift this table exists to prevent: an option that no usage line mentions (attach's --peer
// once), or a usage line naming an option the parser does not know.
TEST(CliTable, UsageLinesAndOptionsAgree) {
    for (const auto& verb : program().verbs) {
        std::set<std::string> in_usage;
        for (const auto form : verb.synopsis) {
            EXPECT_TRUE(form.starts_with(std::string(verb.name) + " ") || form == verb.name) << form;
            in_usage.merge(flags_in(form));
        }
        std::set<std::string> declared;
        for (const auto& option : verb.options) declared.insert(flag_of(option));
        EXPECT_EQ(in_usage, declared) << verb.name;
    }
}

TEST(CliTable, TopLevelUsageHasEveryVerbAndForm) {
    const std::string usage = render_usage(program());
    EXPECT_TRUE(usage.starts_with("xdp-throttle: "));
    EXPECT_NE(usage.find("attach A --peer B [--mode native|skb] [--http-port N]..."), std::string::npos);
    for (const auto& verb : program().verbs) {
        EXPECT_NE(usage.find(fmt::format("\n  {} ", verb.name)), std::string::npos) << verb.name;
        for (const auto form : verb.synopsis)
            for (const auto& line : flags_in(form)) EXPECT_NE(usage.find(line), std::string::npos);
        for (const auto form : verb.synopsis) {
            const std::string first(form.substr(0, form.find('\n')));
            EXPECT_NE(usage.find("  " + first + "\n"), std::string::npos) << first;
        }
    }
}

TEST(CliTable, VerbHelpHasUsageOptionsAndExamples) {
    for (const auto& verb : program().verbs) {
        const std::string help = render_verb_help(program(), verb);
        EXPECT_TRUE(help.starts_with(fmt::format("usage: xdp-throttle {}", verb.name))) << help;
        for (const auto& option : verb.options)
            EXPECT_NE(help.find("  " + (option.name.empty() || !option.short_name
                                            ? option.spelling()
                                            : fmt::format("-{}, {}", option.short_name, option.spelling()))),
                      std::string::npos)
                << verb.name << " " << option.spelling();
        EXPECT_NE(help.find("  -h, --help"), std::string::npos) << verb.name;
        for (const auto example : verb.examples)
            EXPECT_NE(help.find(fmt::format("  {}\n", example)), std::string::npos) << example;
        EXPECT_EQ(help.find('`'), std::string::npos) << verb.name << ": markup left in terminal help";
    }
}

TEST(CliTable, TextsFitOneHundredColumns) {
    auto check = [](std::string_view where, std::string_view text) {
        bool fenced = false;  // sample output (JSON) keeps its real lines
        size_t start = 0;
        while (start <= text.size()) {
            const size_t end = std::min(text.find('\n', start), text.size());
            const auto line = text.substr(start, end - start);
            if (line.starts_with("```")) fenced = !fenced;
            if (!fenced) {
                EXPECT_LE(columns(line), 100u) << where << ": " << line;
            }
            start = end + 1;
        }
    };
    check("conventions", program().conventions);
    check("exit status", program().exit_status);
    for (const auto& verb : program().verbs) check(verb.name, verb.description);
    check("usage", render_usage(program()));
}

TEST(CliTable, MarkdownHasEveryVerb) {
    const std::string md = render_markdown(program());
    for (const auto& verb : program().verbs) {
        EXPECT_NE(md.find(fmt::format("\n### {}\n", verb.name)), std::string::npos) << verb.name;
        EXPECT_NE(md.find(verb.description), std::string::npos) << verb.name;
        for (const auto example : verb.examples)
            EXPECT_NE(md.find(fmt::format("\n{}\n", example)), std::string::npos) << example;
    }
}

TEST(CliTable, OptionsParseAsDeclared) {
    const auto& attach = *find_verb("attach");
    const auto parsed = parse_args({"eth0", "--peer", "eth1", "--http-port", "80", "--http-port", "8080"},
                                   boost_options(attach), "attach");
    EXPECT_EQ(parsed.positionals, std::vector<std::string>{"eth0"});
    EXPECT_EQ(parsed.value("peer"), "eth1");
    EXPECT_EQ(parsed.vm["http-port"].as<std::vector<std::string>>(), (std::vector<std::string>{"80", "8080"}));
    EXPECT_FALSE(parsed.help);

    const auto top = parse_args({"-n", "3", "--json", "-i", "eth0"}, boost_options(*find_verb("top")), "top");
    EXPECT_EQ(top.value("-n"), "3");
    EXPECT_EQ(top.value("iface"), "eth0");
    EXPECT_TRUE(top.flag("json"));

    for (const auto& verb : program().verbs)
        EXPECT_TRUE(parse_args({"--help"}, boost_options(verb), verb.name).help) << verb.name;
    try {
        parse_args({"--bogus"}, boost_options(*find_verb("detach")), "detach");
        ADD_FAILURE() << "--bogus accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(e.verb, "detach");
    }
    // No guessing: a prefix of an option is not that option.
    EXPECT_THROW(parse_args({"--pur"}, boost_options(*find_verb("detach")), "detach"), UsageError);
}

}  // namespace
}  // namespace xt::cli
