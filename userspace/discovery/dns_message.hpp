// DNS answers in wire format (RFC 1035), read with libresolv's ns_initparse/ns_parserr: the SRV
// records of a service name and the A/AAAA records of a target, with their TTLs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "abi.h"
#include "common/result.hpp"

namespace xt::discovery {

struct SrvRecord {
    uint16_t priority = 0;
    uint16_t weight = 0;
    uint16_t port = 0;
    std::string target;  // without the trailing dot; "" for "." (RFC 2782: the service is not here)
    uint32_t ttl = 0;
};

struct AddressRecord {
    std::string name;  // owner name, without the trailing dot
    xt_addr addr{};    // IPv4 stored mapped, as everywhere
    uint32_t ttl = 0;
    bool additional = false;  // from the additional section (glue an SRV answer may carry)
};

struct DnsMessage {
    unsigned rcode = 0;                  // 0 NOERROR, 3 NXDOMAIN, ...
    std::vector<SrvRecord> srv;          // answer section
    std::vector<AddressRecord> addresses;  // A/AAAA of the answer and additional sections
};

// Fails on a message that is not well-formed DNS (truncated, bad name compression).
Result<DnsMessage> parse_dns_message(std::span<const uint8_t> wire);

}  // namespace xt::discovery
