// Bulk rule lists: one CIDR a line, '#' starts a comment, blank lines ignored. Parsed completely
// before anything is applied, so one bad line means nothing is loaded.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "input/address.hpp"
#include "common/result.hpp"

namespace xt {

// `source_name` is used in error messages ("FILE:LINE: VALUE: problem").
Result<std::vector<Cidr>> parse_rule_stream(std::istream& in, std::string_view source_name);

// `path` "-" reads standard input.
Result<std::vector<Cidr>> load_rule_file(const std::string& path);

}  // namespace xt
