// Shared helpers of the HTTP-layer unit tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "input/address.hpp"

namespace xt::test {

// XT_SOURCE_DIR comes from tests/CMakeLists.txt: __FILE__ would be relative under a compiler
// launcher that rewrites paths (ccache's base_dir), and then resolve against the wrong directory.
inline std::filesystem::path fixtures_dir() {
    return std::filesystem::path(XT_SOURCE_DIR) / "tests" / "unit" / "http" / "fixtures";
}

// KrakenD's own integration-test config, kept outside the repository (../shared beside the clone).
inline std::filesystem::path krakend_ce_fixture() {
    return std::filesystem::path(XT_SOURCE_DIR).parent_path() / "shared" / "fixtures" / "krakend-ce" /
           "krakend.json";
}

// A clock the test moves by hand.
struct ManualClock {
    uint64_t now_ns = 1'000'000'000;
    void advance_ms(uint64_t ms) { now_ns += ms * 1'000'000; }
    void advance_ns(uint64_t ns) { now_ns += ns; }
};

inline xt_addr addr(const char* text) {
    auto a = parse_address(text);
    if (!a) throw std::runtime_error(a.error().message);
    return *a;
}

}  // namespace xt::test
