// The library's one error style: functions return xt::Result<T> (tl::expected, the C++23
// std::expected for C++20) carrying an xt::Error. Exceptions only at the CLI/daemon edge.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>
#include <fmt/format.h>

namespace xt {

struct Error {
    int code = 0;         // errno-style value when one applies (positive), else 0
    std::string message;  // complete sentence naming the bad value and where it came from
};

template <typename T>
using Result = tl::expected<T, Error>;

using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(std::string message, int code = 0) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

template <typename... Args>
tl::unexpected<Error> failf(int code, fmt::format_string<Args...> f, Args&&... args) {
    return tl::unexpected<Error>(Error{code, fmt::format(f, std::forward<Args>(args)...)});
}

}  // namespace xt
