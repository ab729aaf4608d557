// Renders the verb table as terminal help and as Markdown. The table's texts are written in a small
// Markdown subset (see Verb::description), so Markdown output copies them and the terminal output
// only drops the markup characters.
#include "help.hpp"

#include <fmt/format.h>

#include <cctype>
#include <string_view>
#include <vector>

namespace xt::cli {
namespace {

constexpr size_t kWidth = 100;
constexpr size_t kOptionColumn = 24;  // where option help starts in `VERB --help`

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const size_t end = text.find('\n');
        lines.push_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
    return lines;
}

// `code` and **strong** as a terminal shows them: without the marks.
std::string plain(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '`') continue;
        if (text.substr(i, 2) == "**") {
            ++i;
            continue;
        }
        out += text[i];
    }
    return out;
}

// Fills `text` into lines of at most `width` columns, the first after `first`, the others after
// `indent` spaces; a word longer than a line stays whole.
std::string wrap(std::string_view first, std::string_view text, size_t indent, size_t width = kWidth) {
    std::string out(first);
    size_t column = out.size();
    bool line_empty = true;
    while (!text.empty()) {
        const size_t start = text.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        text.remove_prefix(start);
        const size_t end = std::min(text.find(' '), text.size());
        const std::string_view word = text.substr(0, end);
        text.remove_prefix(end);
        if (!line_empty && column + 1 + word.size() > width) {
            out += '\n' + std::string(indent, ' ');
            column = indent;
            line_empty = true;
        }
        if (!line_empty) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        line_empty = false;
    }
    return out + '\n';
}

// A usage form after `prefix`, its continuation lines aligned under the prefix's end.
std::string usage_form(std::string_view prefix, std::string_view form) {
    std::string out;
    for (const auto line : split_lines(form)) {
        out += out.empty() ? std::string(prefix) : std::string(prefix.size(), ' ');
        out += fmt::format("{}\n", line);
    }
    return out;
}

// Table text for a terminal: markup dropped, paragraphs and list items filled again (the marks
// took room), fenced blocks shown verbatim and indented.
std::string text_block(std::string_view markup, size_t indent) {
    std::string out;
    std::string pending;  // the paragraph or list item being collected
    bool item = false;
    const std::string pad(indent, ' ');
    auto flush = [&] {
        if (pending.empty()) return;
        out += item ? wrap(pad + "- ", pending, indent + 2) : wrap(pad, pending, indent);
        pending.clear();
    };
    bool fenced = false;
    for (const auto line : split_lines(markup)) {
        if (line.starts_with("```")) {
            flush();
            fenced = !fenced;
            continue;
        }
        if (fenced) {
            out += pad + "  " + std::string(line) + '\n';
        } else if (line.empty()) {
            flush();
            out += '\n';
        } else if (line.starts_with("- ")) {
            flush();
            item = true;
            pending = plain(line.substr(2));
        } else {
            if (pending.empty()) item = false;
            pending += (pending.empty() ? "" : " ") + plain(line);
        }
    }
    flush();
    return out;
}

std::string option_names(const Option& option) {
    if (option.name.empty() || !option.short_name) return option.spelling();
    return fmt::format("-{}, {}", option.short_name, option.spelling());
}

std::string options_text(const Verb& verb) {
    std::string out = "options:\n";
    auto add = [&](const std::string& names, std::string_view help) {
        std::string head = fmt::format("  {}", names);
        if (head.size() + 2 > kOptionColumn) {
            out += head + '\n';
            head.clear();
        }
        head.resize(kOptionColumn, ' ');
        out += wrap(head, plain(help), kOptionColumn);
    };
    for (const auto& option : verb.options)
        add(option_names(option) + (option.repeatable ? " (repeatable)" : ""), option.help);
    add("-h, --help", "show this help");
    return out;
}

std::string capitalized(std::string_view text) {
    std::string out(text);
    if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
}

}  // namespace

std::string render_usage(const Program& program) {
    std::string out = fmt::format("{}: {}.\n\nusage: {} VERB [ARGS] [--help]\n\n", program.name,
                                  program.tagline, program.name);
    size_t name_width = 0;
    for (const auto& verb : program.verbs) name_width = std::max(name_width, verb.name.size());
    for (const auto& verb : program.verbs)
        out += fmt::format("  {:<{}}  {}\n", verb.name, name_width, plain(verb.summary));
    out += fmt::format("\n'{} VERB --help' explains each verb with examples. The verbs' usage:\n",
                       program.name);
    for (const auto& verb : program.verbs)
        for (const auto form : verb.synopsis) out += usage_form("  ", form);
    out += "\nconventions:\n" + text_block(program.conventions, 0);
    out += "\nexit status:\n" + text_block(program.exit_status, 2);
    out += "\nexamples:\n";
    for (const auto example : program.examples) out += fmt::format("  {}\n", example);
    return out;
}

std::string render_verb_help(const Program& program, const Verb& verb) {
    std::string out;
    const std::string prefix = fmt::format("{} ", program.name);
    for (const auto form : verb.synopsis)
        out += usage_form((out.empty() ? "usage: " : "       ") + prefix, form);
    out += '\n' + text_block(verb.description, 0) + '\n' + options_text(verb) + "\nexamples:\n";
    for (const auto example : verb.examples) out += fmt::format("  {}\n", example);
    return out + fmt::format("\n'{} --help' lists the conventions every verb follows and the exit status.\n",
                             program.name);
}

std::string render_markdown(const Program& program) {
    const std::string prefix = fmt::format("{} ", program.name);
    std::string out = "```\n";
    for (const auto& verb : program.verbs)
        for (const auto form : verb.synopsis) out += usage_form(prefix, form);
    out += fmt::format("```\n\nEvery verb takes `--help`, which prints its usage, options and examples;\n"
                       "`{} --help` lists the verbs.\n\n**Common conventions**\n\n{}\n\n"
                       "**Exit status**\n\n{}\n",
                       program.name, program.conventions, program.exit_status);
    for (const auto& verb : program.verbs) {
        out += fmt::format("\n### {}\n\n{}.\n\n```\n", verb.name, capitalized(verb.summary));
        for (const auto form : verb.synopsis) out += usage_form(prefix, form);
        out += fmt::format("```\n\n{}\n\nOptions:\n\n", verb.description);
        for (const auto& option : verb.options)
            out += wrap(fmt::format("- `{}`{}: ", option_names(option),
                                    option.repeatable ? " (repeatable)" : ""),
                        option.help, 2);
        out += "\nExamples:\n\n```sh\n";
        for (const auto example : verb.examples) out += fmt::format("{}\n", example);
        out += "```\n";
    }
    return out;
}

}  // namespace xt::cli
