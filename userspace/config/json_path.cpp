#include "config/json_path.hpp"

#include <fmt/format.h>

namespace xt::config {

namespace {

bool is_identifier(std::string_view key) {
    if (key.empty()) return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0)) return false;
    }
    return true;
}

// JSON string escaping for the few characters that would make the path ambiguous or unprintable.
std::string quoted(std::string_view key) {
    std::string out = "\"";
    for (char c : key) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

}  // namespace

JsonPath JsonPath::operator/(std::string_view key) const {
    if (is_identifier(key)) return JsonPath(text_ + "." + std::string(key));
    return JsonPath(text_ + "[" + quoted(key) + "]");
}

JsonPath JsonPath::operator[](std::size_t index) const {
    return JsonPath(fmt::format("{}[{}]", text_, index));
}

}  // namespace xt::config
