#include "packet/checksum.hpp"

#include <cstring>

namespace xt::packet {

uint32_t checksum_add(std::span<const uint8_t> bytes, uint32_t sum) {
    std::size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2) sum += static_cast<uint32_t>(bytes[i] << 8 | bytes[i + 1]);
    if (i < bytes.size()) sum += static_cast<uint32_t>(bytes[i] << 8);
    // Fold early so a long chain of calls never overflows 32 bits.
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t checksum_finish(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum & 0xffff);
}

uint16_t ipv4_header_checksum(std::span<const uint8_t> header) {
    return checksum_finish(checksum_add(header));
}

uint16_t tcp_checksum(bool ipv6, const xt_addr& src, const xt_addr& dst,
                      std::span<const uint8_t> segment) {
    const auto* s = reinterpret_cast<const uint8_t*>(src.w);
    const auto* d = reinterpret_cast<const uint8_t*>(dst.w);
    uint32_t sum = 0;
    if (ipv6) {
        sum = checksum_add({s, 16}, sum);
        sum = checksum_add({d, 16}, sum);
        const uint32_t len = static_cast<uint32_t>(segment.size());
        const uint8_t tail[8] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                                 static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0, 0, 0, 6};
        sum = checksum_add(tail, sum);
    } else {
        sum = checksum_add({s + 12, 4}, sum);
        sum = checksum_add({d + 12, 4}, sum);
        const uint16_t len = static_cast<uint16_t>(segment.size());
        const uint8_t tail[4] = {0, 6, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)};
        sum = checksum_add(tail, sum);
    }
    return checksum_finish(checksum_add(segment, sum));
}

}  // namespace xt::packet
