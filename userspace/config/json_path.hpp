// JSON paths for error messages, in the JSONPath spelling operators can paste into jq-like tools:
// $.endpoints[3].extra_config["qos/ratelimit/router"].max_rate
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace xt::config {

class JsonPath {
public:
    JsonPath() : text_("$") {}

    // A member: `.name` when the key is an identifier, `["qos/ratelimit/router"]` otherwise.
    JsonPath operator/(std::string_view key) const;
    // An array element: `[3]`.
    JsonPath operator[](std::size_t index) const;

    const std::string& str() const { return text_; }

private:
    explicit JsonPath(std::string text) : text_(std::move(text)) {}
    std::string text_;
};

}  // namespace xt::config
