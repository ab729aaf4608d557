// DNS answers in wire format, crafted byte by byte, through parse_dns_message.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "discovery/dns_message.hpp"
#include "input/address.hpp"

using namespace xt::discovery;
using xt::operator==;

namespace {

// A DNS message builder: names written uncompressed unless `pointer_to` is given.
struct Wire {
    std::vector<uint8_t> bytes;

    void u16(uint16_t v) {
        bytes.push_back(static_cast<uint8_t>(v >> 8));
        bytes.push_back(static_cast<uint8_t>(v));
    }
    void u32(uint32_t v) {
        u16(static_cast<uint16_t>(v >> 16));
        u16(static_cast<uint16_t>(v));
    }
    std::size_t name(const std::string& dotted) {
        const std::size_t at = bytes.size();
        std::size_t start = 0;
        while (start < dotted.size()) {
            std::size_t dot = dotted.find('.', start);
            if (dot == std::string::npos) dot = dotted.size();
            bytes.push_back(static_cast<uint8_t>(dot - start));
            bytes.insert(bytes.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(dot));
            start = dot + 1;
        }
        bytes.push_back(0);
        return at;
    }
    void pointer(std::size_t offset) { u16(static_cast<uint16_t>(0xC000 | offset)); }

    // Header: id 1, QR RD RA, `rcode`; one question.
    std::size_t header(unsigned rcode, uint16_t an, uint16_t ar, const std::string& qname, uint16_t qtype) {
        u16(1);
        u16(static_cast<uint16_t>(0x8180 | rcode));
        u16(1);
        u16(an);
        u16(0);
        u16(ar);
        const std::size_t q = name(qname);
        u16(qtype);
        u16(1);
        return q;
    }
    // An SRV RR (priority 0, weight 0) whose target `target()` writes.
    template <typename F>
    void srv(std::size_t owner, uint32_t ttl, uint16_t port, F target) {
        rr(owner, 33, ttl, [&] {
            u16(0);
            u16(0);
            u16(port);
            target();
        });
    }
    // An RR whose owner is a pointer to `owner`, with rdata appended by `rdata`.
    template <typename F>
    void rr(std::size_t owner, uint16_t type, uint32_t ttl, F rdata) {
        pointer(owner);
        u16(type);
        u16(1);
        u32(ttl);
        const std::size_t len_at = bytes.size();
        u16(0);
        const std::size_t start = bytes.size();
        rdata();
        const std::size_t len = bytes.size() - start;
        bytes[len_at] = static_cast<uint8_t>(len >> 8);
        bytes[len_at + 1] = static_cast<uint8_t>(len);
    }
};

constexpr uint16_t kA = 1, kAAAA = 28, kSRV = 33;

xt_addr addr(const char* text) { return *xt::parse_address(text); }

}  // namespace

TEST(DnsMessage, SrvAnswerWithGlue) {
    Wire w;
    const std::size_t q = w.header(0, 2, 2, "_api._tcp.example", kSRV);
    std::size_t target1 = 0;
    w.rr(q, kSRV, 30, [&] {
        w.u16(10);
        w.u16(5);
        w.u16(8080);
        target1 = w.name("api1.example");
    });
    w.rr(q, kSRV, 20, [&] {
        w.u16(20);
        w.u16(0);
        w.u16(9090);
        w.name("api2.example");
    });
    w.rr(target1, kA, 7, [&] { w.bytes.insert(w.bytes.end(), {10, 0, 0, 2}); });
    w.rr(target1, kAAAA, 8, [&] {
        const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
        w.bytes.insert(w.bytes.end(), v6, v6 + 16);
    });
    auto m = parse_dns_message(w.bytes);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->rcode, 0u);
    ASSERT_EQ(m->srv.size(), 2u);
    EXPECT_EQ(m->srv[0].priority, 10);
    EXPECT_EQ(m->srv[0].weight, 5);
    EXPECT_EQ(m->srv[0].port, 8080);
    EXPECT_EQ(m->srv[0].target, "api1.example");
    EXPECT_EQ(m->srv[0].ttl, 30u);
    EXPECT_EQ(m->srv[1].port, 9090);
    EXPECT_EQ(m->srv[1].target, "api2.example");
    ASSERT_EQ(m->addresses.size(), 2u);
    EXPECT_EQ(m->addresses[0].name, "api1.example");  // the owner behind a compression pointer
    EXPECT_TRUE(m->addresses[0].addr == addr("10.0.0.2"));
    EXPECT_EQ(m->addresses[0].ttl, 7u);
    EXPECT_TRUE(m->addresses[0].additional);
    EXPECT_TRUE(m->addresses[1].addr == addr("2001:db8::2"));
}

TEST(DnsMessage, CompressedSrvTarget) {
    Wire w;
    const std::size_t q = w.header(0, 1, 0, "_api._tcp.example", kSRV);
    // The target "example" is the tail of the question name: a pointer into it.
    w.srv(q, 5, 80, [&] { w.pointer(q + 1 + 4 + 1 + 4); });  // past "\x04_api\x04_tcp"
    auto m = parse_dns_message(w.bytes);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->srv.size(), 1u);
    EXPECT_EQ(m->srv[0].target, "example");
}

TEST(DnsMessage, RootTargetMeansNotOffered) {
    Wire w;
    const std::size_t q = w.header(0, 1, 0, "_api._tcp.example", kSRV);
    w.srv(q, 5, 0, [&] { w.bytes.push_back(0); });  // "."
    auto m = parse_dns_message(w.bytes);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->srv.size(), 1u);
    EXPECT_EQ(m->srv[0].target, "");
}

TEST(DnsMessage, AddressAnswer) {
    Wire w;
    const std::size_t q = w.header(0, 2, 0, "api.example", kA);
    w.rr(q, kA, 60, [&] { w.bytes.insert(w.bytes.end(), {192, 0, 2, 7}); });
    w.rr(q, kA, 30, [&] { w.bytes.insert(w.bytes.end(), {192, 0, 2, 8}); });
    auto m = parse_dns_message(w.bytes);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->addresses.size(), 2u);
    EXPECT_FALSE(m->addresses[0].additional);
    EXPECT_TRUE(m->addresses[1].addr == addr("192.0.2.8"));
    EXPECT_EQ(m->addresses[1].ttl, 30u);
}

TEST(DnsMessage, NxdomainHasItsRcode) {
    Wire w;
    w.header(3, 0, 0, "_nope._tcp.example", kSRV);
    auto m = parse_dns_message(w.bytes);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->rcode, 3u);
    EXPECT_TRUE(m->srv.empty());
}

TEST(DnsMessage, MalformedMessagesFail) {
    Wire w;
    const std::size_t q = w.header(0, 1, 0, "api.example", kA);
    w.rr(q, kA, 60, [&] { w.bytes.insert(w.bytes.end(), {192, 0, 2, 7}); });
    std::vector<uint8_t> truncated(w.bytes.begin(), w.bytes.end() - 2);
    EXPECT_FALSE(parse_dns_message(truncated));
    EXPECT_FALSE(parse_dns_message(std::vector<uint8_t>{1, 2, 3}));
    // An A record of 3 bytes.
    Wire bad;
    const std::size_t q2 = bad.header(0, 1, 0, "api.example", kA);
    bad.rr(q2, kA, 60, [&] { bad.bytes.insert(bad.bytes.end(), {192, 0, 2}); });
    EXPECT_FALSE(parse_dns_message(bad.bytes));
}
