// CIDR and address parsing: the values operators type, good and bad, and the exact messages.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "input/address.hpp"

namespace xt {
namespace {

// The CIDR as the library prints it back, or "error: " and its message.
std::string parsed_cidr(std::string_view text) {
    auto c = parse_cidr(text);
    return c ? format_cidr(*c) : "error: " + c.error().message;
}

TEST(Address, ParsesBothFamiliesAndPrintsCanonically) {
    EXPECT_EQ(format_address(*parse_address("192.0.2.1")), "192.0.2.1");
    EXPECT_EQ(format_address(*parse_address("::ffff:192.0.2.1")), "192.0.2.1");
    EXPECT_EQ(format_address(*parse_address("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
    EXPECT_EQ(format_address(*parse_address("2001:db8:0:1:0:0:0:1")), "2001:db8:0:1::1");
    EXPECT_EQ(format_address(*parse_address("2001:0:0:1:0:0:0:1")), "2001:0:0:1::1");  // first run
    EXPECT_EQ(format_address(*parse_address("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1");
    EXPECT_EQ(format_address(*parse_address("::")), "::");
    EXPECT_EQ(format_address(*parse_address("::1")), "::1");
    EXPECT_EQ(format_address(*parse_address("fe80::")), "fe80::");
    EXPECT_TRUE(is_v4_mapped(*parse_address("10.0.0.1")));
    EXPECT_FALSE(is_v4_mapped(*parse_address("2001:db8::1")));
    EXPECT_TRUE(*parse_address("10.0.0.1") == *parse_address("::ffff:10.0.0.1"));
}

TEST(Address, RejectsWithTheValue) {
    EXPECT_EQ(parse_address("banana").error().message, "banana: not an IPv4 or IPv6 address");
    EXPECT_EQ(parse_address("10.0.0.256").error().message, "10.0.0.256: not an IPv4 or IPv6 address");
    EXPECT_EQ(parse_address("10.0.0.1/32").error().message, "10.0.0.1/32: expected an address, not a prefix");
    EXPECT_FALSE(parse_address("010.0.0.1"));
    EXPECT_FALSE(parse_address("fe80::1%eth0"));
    EXPECT_FALSE(parse_address(" 10.0.0.1"));
    EXPECT_FALSE(parse_address(""));
}

// Good values come back normalised; bad ones are refused with a message that names them.
TEST(Cidr, NormalisesOrRejectsWithTheValue) {
    const std::pair<const char*, const char*> cases[] = {
        {"10.0.0.0/8", "10.0.0.0/8"},
        {"10.1.2.3", "10.1.2.3/32"},
        {"0.0.0.0/0", "0.0.0.0/0"},
        {"::/0", "::/0"},
        {"2001:db8::/32", "2001:db8::/32"},
        {"2001:db8::1", "2001:db8::1/128"},
        {"::ffff:10.0.0.0/104", "10.0.0.0/8"},
        {"::ffff:10.0.0.1", "10.0.0.1/32"},
        {"10.0.0.1/8", "error: 10.0.0.1/8: host bits set (did you mean 10.0.0.0/8?)"},
        {"2001:db8::1/32", "error: 2001:db8::1/32: host bits set (did you mean 2001:db8::/32?)"},
        {"10.0.0.0/33", "error: 10.0.0.0/33: prefix length 33 is out of range for IPv4 (0-32)"},
        {"fd00::/129", "error: fd00::/129: prefix length 129 is out of range for IPv6 (0-128)"},
        {"10.1.2.300/33", "error: 10.1.2.300/33: '10.1.2.300' is not an IPv4 or IPv6 address"},
        {"banana", "error: banana: not an IPv4 or IPv6 address"},
        {"10.0.0.0/", "error: 10.0.0.0/: prefix length '' is not a number"},
        {"10.0.0.0/+8", "error: 10.0.0.0/+8: prefix length '+8' is not a number"},
        {"10.0.0.0/8x", "error: 10.0.0.0/8x: prefix length '8x' is not a number"},
        {"10.0.0.0/99999999999", "error: 10.0.0.0/99999999999: prefix length '99999999999' is not a number"},
    };
    for (const auto& [text, expected] : cases) EXPECT_EQ(parsed_cidr(text), expected) << text;
}

TEST(Cidr, KnowsItsFamilyAndLength) {
    const auto v4 = *parse_cidr("192.168.0.0/16");
    EXPECT_TRUE(v4.v4);
    EXPECT_EQ(v4.prefix_len, 16u);
    const auto v6 = *parse_cidr("fd00::/8");
    EXPECT_FALSE(v6.v4);
    EXPECT_EQ(v6.prefix_len, 8u);
}

TEST(Cidr, LpmKeysRoundTrip) {
    for (const char* text : {"10.0.0.0/8", "192.0.2.128/25", "0.0.0.0/0", "2001:db8::/48", "::/0",
                             "2001:db8::1/128"}) {
        const auto c = *parse_cidr(text);
        const Cidr back = c.v4 ? from_lpm(to_lpm_v4(c)) : from_lpm(to_lpm_v6(c));
        EXPECT_EQ(format_cidr(back), text);
        EXPECT_TRUE(back == c) << text;
    }
    const auto key = to_lpm_v4(*parse_cidr("10.1.0.0/16"));
    EXPECT_EQ(key.prefixlen, 16u);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&key.addr);
    EXPECT_EQ(bytes[0], 10);  // network byte order
    EXPECT_EQ(bytes[1], 1);
}

TEST(IfName, RefusesPathLikeNames) {
    EXPECT_TRUE(validate_ifname("eth0"));
    EXPECT_TRUE(validate_ifname("veth-a.100"));
    EXPECT_FALSE(validate_ifname(""));
    EXPECT_FALSE(validate_ifname(".."));
    EXPECT_FALSE(validate_ifname("a/b"));
    EXPECT_FALSE(validate_ifname("0123456789abcdef"));
    EXPECT_EQ(validate_ifname("../etc").error().message, "../etc: not a valid interface name");
}

}  // namespace
}  // namespace xt
