// Internet checksums (RFC 1071) for the frames the controller synthesizes.
#pragma once

#include <cstdint>
#include <span>

#include "abi.h"

namespace xt::packet {

// One's-complement sum of 16-bit big-endian words, not yet folded or inverted; chainable.
uint32_t checksum_add(std::span<const uint8_t> bytes, uint32_t sum = 0);
// Folds and inverts: the value to store in a header's checksum field (network byte order bytes
// hi, lo = result >> 8, result & 0xff).
uint16_t checksum_finish(uint32_t sum);

// The IPv4 header checksum of `header` (its checksum field must be zero).
uint16_t ipv4_header_checksum(std::span<const uint8_t> header);

// The TCP checksum over the pseudo-header (IPv4 or IPv6, addresses as xt_addr) and `segment`
// (TCP header with a zero checksum field, plus payload).
uint16_t tcp_checksum(bool ipv6, const xt_addr& src, const xt_addr& dst,
                      std::span<const uint8_t> segment);

}  // namespace xt::packet
