// RAII owners of libxdp handles. libxdp returns ERR_PTR values on failure: adopt() turns those into
// an empty owner plus the negative errno, so no ERR_PTR ever reaches a deleter.
#pragma once

#include <xdp/libxdp.h>

#include <memory>
#include <utility>

namespace xt::detail {

struct MultiprogCloser {
    void operator()(xdp_multiprog* mp) const { xdp_multiprog__close(mp); }
};
using MultiprogPtr = std::unique_ptr<xdp_multiprog, MultiprogCloser>;

struct ProgramCloser {
    void operator()(xdp_program* prog) const { xdp_program__close(prog); }
};
using ProgramPtr = std::unique_ptr<xdp_program, ProgramCloser>;

// {owner, 0} on success; {empty, -errno} on an ERR_PTR or NULL.
template <typename Ptr, typename Raw>
std::pair<Ptr, int> adopt(Raw* raw) {
    if (!raw) return {Ptr{}, -ENOENT};
    if (const long err = libxdp_get_error(raw)) return {Ptr{}, static_cast<int>(err)};
    return {Ptr(raw), 0};
}

}  // namespace xt::detail
