// The library's one error style: functions return xt::Result<T> (tl::expected, the C++23
// std::expected for C++20) carrying an xt::Error. Exceptions only at the CLI/daemon edge.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>
#include <fmt/format.h>

namespace xt {

// What went wrong, as far as a caller can act on it (an exit status, a retry, advice); the message
// says the rest.
enum class ErrorKind {
    invalid_input,  // a value from the operator, a file or the wire is wrong: fix it and retry
    not_found,      // what it names does not exist: an interface, a file, a rule, attached state
    busy,           // something else holds it: already attached, another controller is serving
    unsupported,    // well-formed, but beyond this program or this kernel (a limit, a feature)
    kernel,         // a system call or BPF operation failed for another reason (`code` says which)
};

constexpr std::string_view to_string(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::invalid_input: return "invalid input";
    case ErrorKind::not_found: return "not found";
    case ErrorKind::busy: return "busy";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::kernel: return "kernel";
    }
    return "?";
}

// The kind a failing system call's errno implies. Also the kind of the errno-first `fail` and
// `failf` forms below, whose `code` 0 means a bad value (invalid_input).
constexpr ErrorKind kind_of_errno(int code) {
    switch (code) {
    case 0:
    case EINVAL: return ErrorKind::invalid_input;
    case ENOENT:
    case ENODEV: return ErrorKind::not_found;
    case EBUSY:
    case EEXIST: return ErrorKind::busy;
    case EOPNOTSUPP: return ErrorKind::unsupported;
    default: return ErrorKind::kernel;
    }
}

struct Error {
    ErrorKind kind = ErrorKind::invalid_input;
    int code = 0;         // errno of the system call that failed (positive), else 0
    std::string message;  // complete sentence naming the bad value and where it came from

    Error() = default;
    Error(ErrorKind kind_, std::string message_) : kind(kind_), message(std::move(message_)) {}
    // Errno first, as `failf(code, ...)`: the kind follows from the errno.
    Error(int code_, std::string message_)
        : kind(kind_of_errno(code_)), code(code_), message(std::move(message_)) {}
};

template <typename T>
using Result = tl::expected<T, Error>;

using Status = tl::expected<void, Error>;

// Kind first: the caller knows what went wrong, and no system call's errno is involved.
inline tl::unexpected<Error> fail(ErrorKind kind, std::string message) {
    return tl::unexpected<Error>(Error{kind, std::move(message)});
}

template <typename... Args>
tl::unexpected<Error> failf(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
    return tl::unexpected<Error>(Error{kind, fmt::format(f, std::forward<Args>(args)...)});
}

// Errno first: a system call failed with `code` (0: a bad value); the kind follows from it.
inline tl::unexpected<Error> fail(std::string message, int code = 0) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

template <typename... Args>
tl::unexpected<Error> failf(int code, fmt::format_string<Args...> f, Args&&... args) {
    return tl::unexpected<Error>(Error{code, fmt::format(f, std::forward<Args>(args)...)});
}

// For map_error: the same error (kind and errno kept) with its message reworded, the old message
// as the last argument of `f`:
//     XT_TRY(parse_duration_ns(text).map_error(reword("--every {}")));
//     XT_TRY(matcher.add(method, pattern).map_error(reword("{}: {}", json_path)));
template <typename... Args>
auto reword(fmt::format_string<const Args&..., const std::string&> f, Args... args) {
    return [f, args...](Error e) {
        e.message = fmt::vformat(fmt::string_view(f),
                                 fmt::make_format_args(args..., std::as_const(e.message)));
        return e;
    };
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
