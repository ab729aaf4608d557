// Addresses and CIDRs as the operator writes them, and their kernel forms (bpf/abi.h).
// One representation for both families: struct xt_addr, IPv4 stored IPv4-mapped (::ffff:a.b.c.d),
// which is what every per-source map in the XDP program is keyed by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "abi.h"
#include "common/result.hpp"

namespace xt {

bool is_v4_mapped(const xt_addr& addr);
bool operator==(const xt_addr& a, const xt_addr& b);

// "192.0.2.1" or "2001:db8::1" (no zone ids, no prefixes). IPv4-mapped IPv6 ("::ffff:1.2.3.4") is
// the same source as the IPv4 address and parses to the same xt_addr.
Result<xt_addr> parse_address(std::string_view text);

// IPv4 (also when stored mapped) as a dotted quad, IPv6 in RFC 5952 form.
std::string format_address(const xt_addr& addr);

// A prefix. For IPv4, `prefix_len` counts bits of the IPv4 address (0-32); for IPv6, 0-128.
struct Cidr {
    xt_addr addr{};  // host bits are always zero
    unsigned prefix_len = 0;
    bool v4 = false;
    bool operator==(const Cidr&) const = default;
};

// "10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 or /128. Host bits set is an error that
// names the value and the network the operator probably meant. An IPv4-mapped IPv6 prefix of /96 or
// longer is the IPv4 prefix it covers.
Result<Cidr> parse_cidr(std::string_view text);

std::string format_cidr(const Cidr& cidr);

// Kernel LPM keys (network byte order). to_lpm_v4 requires cidr.v4, to_lpm_v6 requires !cidr.v4.
xt_lpm_v4 to_lpm_v4(const Cidr& cidr);
xt_lpm_v6 to_lpm_v6(const Cidr& cidr);
Cidr from_lpm(const xt_lpm_v4& key);
Cidr from_lpm(const xt_lpm_v6& key);

// Interface names end up in pin paths: refuse anything that is not a plausible Linux ifname.
Status validate_ifname(std::string_view name);

}  // namespace xt
