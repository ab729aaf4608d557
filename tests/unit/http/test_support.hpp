// Shared helpers of the HTTP-layer unit tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "input/address.hpp"

namespace xt::test {

inline std::filesystem::path fixtures_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "fixtures";
}

// KrakenD's own integration-test config, kept outside the repository (../shared beside the clone).
inline std::filesystem::path krakend_ce_fixture() {
    auto repo = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
    return repo.parent_path() / "shared" / "fixtures" / "krakend-ce" / "krakend.json";
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
