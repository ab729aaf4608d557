#include "client_identity.hpp"

#include <algorithm>
#include <cstring>

#include "input/address.hpp"

namespace xt::policy {

namespace {

// The address with the bits beyond its family's prefix cleared (IPv4 is mapped: its prefix
// counts from bit 96).
std::string address_key(xt_addr addr, const config::ClientPrefixes& prefixes) {
    const unsigned keep = is_v4_mapped(addr) ? 96u + prefixes.v4 : prefixes.v6;
    auto* bytes = reinterpret_cast<unsigned char*>(&addr);
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned first_bit = i * 8;
        if (first_bit >= keep) bytes[i] = 0;
        else if (keep - first_bit < 8) bytes[i] &= static_cast<unsigned char>(0xff << (8 - (keep - first_bit)));
    }
    return std::string(reinterpret_cast<const char*>(&addr), sizeof addr);
}

bool trusted(const std::vector<Cidr>& proxies, const xt_addr& addr) {
    for (const auto& c : proxies)
        if (cidr_contains(c, addr)) return true;
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// X-Forwarded-For: "client, proxy1, proxy2" -- each proxy appends the address it received from.
// Only the entries appended by proxies we trust are believable, so read from the right and stop at
// the first address that is not a trusted proxy (KrakenD takes the left-most, which the client
// itself can write).
xt_addr forwarded_client(std::string_view header, const xt_addr& fallback,
                         const std::vector<Cidr>& proxies) {
    xt_addr current = fallback;
    while (!header.empty()) {
        auto comma = header.rfind(',');
        std::string_view entry = trim(comma == std::string_view::npos ? header : header.substr(comma + 1));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(0, comma);
        // "[2001:db8::1]:443" and "192.0.2.1:5000" carry ports; drop them.
        if (!entry.empty() && entry.front() == '[') {
            entry = entry.substr(1, entry.find(']') == std::string_view::npos ? 0 : entry.find(']') - 1);
        } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
            entry = entry.substr(0, entry.find(':'));
        }
        auto addr = parse_address(entry);
        if (!addr) return current;  // garbage: believe nothing further left
        current = *addr;
        if (!trusted(proxies, current)) return current;
    }
    return current;
}

}  // namespace

bool cidr_contains(const Cidr& cidr, const xt_addr& addr) {
    if (cidr.v4 && !is_v4_mapped(addr)) return false;
    const unsigned bits = cidr.v4 ? 96 + cidr.prefix_len : cidr.prefix_len;
    const auto* a = reinterpret_cast<const unsigned char*>(&addr);
    const auto* n = reinterpret_cast<const unsigned char*>(&cidr.addr);
    const unsigned full = bits / 8, rest = bits % 8;
    if (std::memcmp(a, n, full) != 0) return false;
    if (rest == 0) return true;
    const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (a[full] & mask) == (n[full] & mask);
}

std::optional<std::string> client_identity(const config::ClientRateLimit& limit,
                                           const RequestInfo& request, const http::EndpointMatch* match,
                                           const std::vector<Cidr>& trusted_proxies,
                                           const config::ClientPrefixes& prefixes) {
    switch (limit.strategy) {
    case config::ClientStrategy::ip: {
        if (!limit.key.empty() && request.headers && trusted(trusted_proxies, request.client)) {
            if (auto forwarded = http::find_header(*request.headers, limit.key))
                return address_key(forwarded_client(*forwarded, request.client, trusted_proxies), prefixes);
        }
        return address_key(request.client, prefixes);
    }
    case config::ClientStrategy::header: {
        if (!request.headers) return std::nullopt;
        auto value = http::find_header(*request.headers, limit.key);
        if (!value || value->empty()) return std::nullopt;
        return std::string(*value);
    }
    case config::ClientStrategy::param: {
        if (!match) return std::nullopt;
        auto value = match->param(limit.key);
        if (!value || value->empty()) return std::nullopt;
        return std::string(*value);
    }
    }
    return std::nullopt;
}

}  // namespace xt::policy
