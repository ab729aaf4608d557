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

namespace detail {
template <typename T>
T take_value(Result<T>&& result) { return std::move(*result); }
inline void take_value(Status&&) {}
}  // namespace detail

}  // namespace xt

// XT_TRY(expr): evaluates a Result<T> or Status; on error returns that error from the enclosing
// function (which must return a Result or Status), otherwise the expression's value is the T (or
// void). The one forwarding idiom of the library, instead of `if (!r) return tl::unexpected(...)`:
//     auto fd = XT_TRY(open_pinned(path));
//     XT_TRY(write_config(maps, config));
// A GNU statement expression (GCC and clang): C++20 has no other way to return from inside an
// expression.
#define XT_TRY(...)                                                                  \
    ({                                                                               \
        auto xt_try_result_ = (__VA_ARGS__);                                         \
        if (!xt_try_result_) return ::tl::unexpected(std::move(xt_try_result_).error()); \
        ::xt::detail::take_value(std::move(xt_try_result_));                         \
    })
