// Go's time.ParseDuration grammar: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ , or "0". Whole-number part and
// fraction are accumulated in integer nanoseconds, with overflow checks, as Go does.
#include <array>
#include <cctype>
#include <utility>

#include "input/duration.hpp"

namespace xt {
namespace {

struct Unit {
    std::string_view name;
    uint64_t ns;
};
constexpr std::array<Unit, 8> kUnits{{{"ns", 1},
                                      {"us", 1000},
                                      {"\xc2\xb5s", 1000},  // U+00B5 micro sign
                                      {"\xce\xbcs", 1000},  // U+03BC Greek mu
                                      {"ms", 1000000},
                                      {"s", 1000000000},
                                      {"m", 60ull * 1000000000},
                                      {"h", 3600ull * 1000000000}}};

}  // namespace

Result<uint64_t> parse_duration_ns(std::string_view text) {
    const std::string original(text);
    auto bad = [&](std::string_view why) {
        return failf(ErrorKind::invalid_input, "{}: {} (durations look like 250ms, 10s, 5m, 1h or 1m30s)",
                     original, why);
    };
    if (text.empty())
        return fail(ErrorKind::invalid_input,
                    "empty duration (durations look like 250ms, 10s, 5m, 1h or 1m30s)");
    if (text[0] == '-') return bad("negative durations are not allowed");
    if (text[0] == '+') text.remove_prefix(1);
    if (text == "0") return uint64_t{0};
    if (text.empty()) return bad("not a duration");

    uint64_t total = 0;
    while (!text.empty()) {
        // Whole part.
        uint64_t whole = 0;
        size_t i = 0;
        bool overflow = false;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            if (whole > (UINT64_MAX - 9) / 10) overflow = true;
            whole = whole * 10 + static_cast<uint64_t>(text[i] - '0');
            ++i;
        }
        const bool had_whole = i > 0;
        // Fraction: kept as digits / scale, at most 18 significant digits (finer than 1 ns anyway).
        uint64_t frac = 0, scale = 1;
        bool had_frac = false;
        if (i < text.size() && text[i] == '.') {
            ++i;
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
                had_frac = true;
                if (scale < 1000000000000000000ull) {
                    frac = frac * 10 + static_cast<uint64_t>(text[i] - '0');
                    scale *= 10;
                }
                ++i;
            }
        }
        if (!had_whole && !had_frac) return bad("expected a number");
        if (overflow) return bad("too large");
        // Unit: the longest run of non-digit, non-dot characters.
        size_t j = i;
        while (j < text.size() && text[j] != '.' && !std::isdigit(static_cast<unsigned char>(text[j])))
            ++j;
        const std::string_view unit_text = text.substr(i, j - i);
        if (unit_text.empty()) return bad("missing unit (ns, us, ms, s, m or h)");
        const Unit* unit = nullptr;
        for (const auto& u : kUnits)
            if (u.name == unit_text) unit = &u;
        if (!unit) return bad(fmt::format("unknown unit '{}' (use ns, us, ms, s, m or h)", unit_text));
        if (whole > UINT64_MAX / unit->ns) return bad("too large");
        uint64_t value = whole * unit->ns;
        // frac/scale of a unit, rounded down to whole nanoseconds; long double keeps 64 bits.
        const auto frac_ns = static_cast<uint64_t>(static_cast<long double>(frac) * unit->ns / scale);
        if (value > UINT64_MAX - frac_ns) return bad("too large");
        value += frac_ns;
        if (total > UINT64_MAX - value) return bad("too large");
        total += value;
        text.remove_prefix(j);
    }
    return total;
}

std::string format_duration(uint64_t ns) {
    if (ns == 0) return "0s";
    constexpr std::array<std::pair<std::string_view, uint64_t>, 6> units{{{"h", 3600000000000ull},
                                                                         {"m", 60000000000ull},
                                                                         {"s", 1000000000ull},
                                                                         {"ms", 1000000ull},
                                                                         {"us", 1000ull},
                                                                         {"ns", 1ull}}};
    for (const auto& [name, size] : units)
        if (ns % size == 0) return fmt::format("{}{}", ns / size, name);
    return fmt::format("{}ns", ns);
}

}  // namespace xt
