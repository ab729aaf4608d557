#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cctype>
#include <cstring>

#include "input/address.hpp"

namespace xt {
namespace {

std::array<uint8_t, 16> bytes_of(const xt_addr& addr) {
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), addr.w, 16);
    return b;
}

xt_addr addr_from_bytes(const std::array<uint8_t, 16>& b) {
    xt_addr addr{};
    std::memcpy(addr.w, b.data(), 16);
    return addr;
}

xt_addr v4_mapped(const uint8_t v4[4]) {
    std::array<uint8_t, 16> b{};
    b[10] = 0xff;
    b[11] = 0xff;
    std::memcpy(&b[12], v4, 4);
    return addr_from_bytes(b);
}

// Zeroes every bit after the first `bits` bits of the 16-byte address.
xt_addr mask_bits(const xt_addr& addr, unsigned bits) {
    auto b = bytes_of(addr);
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned keep = bits > i * 8 ? std::min(8u, bits - i * 8) : 0;
        b[i] &= static_cast<uint8_t>(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
    }
    return addr_from_bytes(b);
}

// RFC 5952: lower case, leading zeros dropped, the longest run (first if tied) of two or more zero
// groups shortened to "::".
std::string format_v6(const std::array<uint8_t, 16>& b) {
    uint16_t groups[8];
    for (int i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
    int best_start = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (groups[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && groups[j] == 0) ++j;
        if (j - i > best_len && j - i >= 2) {
            best_start = i;
            best_len = j - i;
        }
        i = j;
    }
    std::string out;
    for (int i = 0; i < 8; ++i) {
        if (i == best_start) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        out += fmt::format("{:x}", groups[i]);
    }
    return out;
}

}  // namespace

bool is_v4_mapped(const xt_addr& addr) {
    const auto b = bytes_of(addr);
    return std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; }) &&
           b[10] == 0xff && b[11] == 0xff;
}

bool operator==(const xt_addr& a, const xt_addr& b) {
    return std::memcmp(a.w, b.w, sizeof a.w) == 0;
}

Result<xt_addr> parse_address(std::string_view text) {
    const std::string s(text);
    if (s.empty()) return fail(ErrorKind::invalid_input, "empty address");
    uint8_t buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4_mapped(buf);
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
        std::array<uint8_t, 16> b;
        std::memcpy(b.data(), buf, 16);
        return addr_from_bytes(b);
    }
    if (s.find('/') != std::string::npos)
        return failf(ErrorKind::invalid_input, "{}: expected an address, not a prefix", s);
    return failf(ErrorKind::invalid_input, "{}: not an IPv4 or IPv6 address", s);
}

std::string format_address(const xt_addr& addr) {
    const auto b = bytes_of(addr);
    if (is_v4_mapped(addr)) return fmt::format("{}.{}.{}.{}", b[12], b[13], b[14], b[15]);
    return format_v6(b);
}

Result<Cidr> parse_cidr(std::string_view text) {
    const std::string s(text);
    const auto slash = text.find('/');
    const std::string_view addr_text = text.substr(0, slash);
    auto addr = parse_address(addr_text);
    if (!addr) {
        if (slash == std::string_view::npos) return tl::unexpected(std::move(addr).error());
        return failf(ErrorKind::invalid_input, "{}: '{}' is not an IPv4 or IPv6 address", s, addr_text);
    }
    // IPv4 written as such, or IPv6; an IPv4-mapped IPv6 spelling is treated as IPv6 text with a
    // 128-bit prefix length, converted to IPv4 below when it covers only mapped addresses.
    const bool written_v4 = addr_text.find(':') == std::string_view::npos;
    const unsigned max_len = written_v4 ? 32 : 128;
    unsigned len = max_len;
    if (slash != std::string_view::npos) {
        const std::string_view len_text = text.substr(slash + 1);
        const char* end = len_text.data() + len_text.size();
        auto [ptr, ec] = std::from_chars(len_text.data(), end, len);
        if (len_text.empty() || ec != std::errc() || ptr != end || !std::isdigit(len_text[0]))
            return failf(ErrorKind::invalid_input, "{}: prefix length '{}' is not a number", s, len_text);
        if (len > max_len)
            return failf(ErrorKind::invalid_input, "{}: prefix length {} is out of range for {} (0-{})", s,
                         len, written_v4 ? "IPv4" : "IPv6", max_len);
    }
    const unsigned bits = written_v4 ? len + 96 : len;
    const xt_addr network = mask_bits(*addr, bits);
    Cidr cidr;
    cidr.addr = network;
    if (written_v4 || (is_v4_mapped(*addr) && len >= 96)) {
        cidr.v4 = true;
        cidr.prefix_len = bits - 96;
    } else {
        cidr.prefix_len = len;
    }
    if (!(network == *addr)) {
        Cidr meant = cidr;
        return failf(ErrorKind::invalid_input, "{}: host bits set (did you mean {}?)", s,
                     format_cidr(meant));
    }
    return cidr;
}

std::string format_cidr(const Cidr& cidr) {
    if (cidr.v4) {
        const auto b = bytes_of(cidr.addr);
        return fmt::format("{}.{}.{}.{}/{}", b[12], b[13], b[14], b[15], cidr.prefix_len);
    }
    return fmt::format("{}/{}", format_v6(bytes_of(cidr.addr)), cidr.prefix_len);
}

xt_lpm_v4 to_lpm_v4(const Cidr& cidr) {
    xt_lpm_v4 key{};
    key.prefixlen = cidr.prefix_len;
    key.addr = cidr.addr.w[3];
    return key;
}

xt_lpm_v6 to_lpm_v6(const Cidr& cidr) {
    xt_lpm_v6 key{};
    key.prefixlen = cidr.prefix_len;
    std::memcpy(key.addr, cidr.addr.w, sizeof key.addr);
    return key;
}

Cidr from_lpm(const xt_lpm_v4& key) {
    uint8_t v4[4];
    std::memcpy(v4, &key.addr, 4);
    Cidr cidr;
    cidr.v4 = true;
    cidr.prefix_len = std::min<unsigned>(key.prefixlen, 32);
    cidr.addr = mask_bits(v4_mapped(v4), cidr.prefix_len + 96);
    return cidr;
}

Cidr from_lpm(const xt_lpm_v6& key) {
    Cidr cidr;
    cidr.prefix_len = std::min<unsigned>(key.prefixlen, 128);
    std::memcpy(cidr.addr.w, key.addr, sizeof key.addr);
    cidr.addr = mask_bits(cidr.addr, cidr.prefix_len);
    return cidr;
}

Status validate_ifname(std::string_view name) {
    if (name.empty()) return fail(ErrorKind::invalid_input, "empty interface name");
    if (name.size() >= IFNAMSIZ)
        return failf(ErrorKind::invalid_input, "{}: interface names are at most {} characters", name,
                     IFNAMSIZ - 1);
    if (name == "." || name == ".." ||
        std::any_of(name.begin(), name.end(),
                    [](char c) { return c == '/' || c == ':' || std::isspace((unsigned char)c); }))
        return failf(ErrorKind::invalid_input, "{}: not a valid interface name", name);
    return {};
}

}  // namespace xt
