#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "input/rule_file.hpp"

namespace xt {
namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

}  // namespace

Result<std::vector<Cidr>> parse_rule_stream(std::istream& in, std::string_view source_name) {
    std::vector<Cidr> rules;
    std::string line;
    std::string first_error;
    size_t bad_lines = 0;
    for (size_t line_no = 1; std::getline(in, line); ++line_no) {
        std::string_view content = line;
        if (const auto hash = content.find('#'); hash != std::string_view::npos)
            content = content.substr(0, hash);
        content = trim(content);
        if (content.empty()) continue;
        auto cidr = parse_cidr(content);
        if (!cidr) {
            if (bad_lines++ == 0)
                first_error = fmt::format("{}:{}: {}", source_name, line_no, cidr.error().message);
            continue;
        }
        rules.push_back(*cidr);
    }
    if (in.bad()) return failf(EIO, "{}: read error", source_name);
    if (bad_lines == 1) return fail(ErrorKind::invalid_input, first_error);
    if (bad_lines > 1)
        return failf(ErrorKind::invalid_input, "{} (and {} more bad line{})", first_error, bad_lines - 1,
                     bad_lines == 2 ? "" : "s");
    return rules;
}

Result<std::vector<Cidr>> load_rule_file(const std::string& path) {
    if (path == "-") return parse_rule_stream(std::cin, "<stdin>");
    std::ifstream file(path);
    if (!file) return failf(errno, "{}: cannot open: {}", path, std::strerror(errno));
    return parse_rule_stream(file, path);
}

}  // namespace xt
