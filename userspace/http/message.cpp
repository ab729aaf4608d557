#include "http/message.hpp"

namespace xt::http {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::optional<std::string_view> find_header(const std::vector<HeaderField>& headers,
                                            std::string_view name) {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return std::string_view(h.value);
    return std::nullopt;
}

const char* to_string(BodyFraming framing) {
    switch (framing) {
    case BodyFraming::none: return "none";
    case BodyFraming::content_length: return "content-length";
    case BodyFraming::chunked: return "chunked";
    case BodyFraming::until_close: return "until-close";
    case BodyFraming::tunnel: return "tunnel";
    }
    return "?";
}

}  // namespace xt::http
