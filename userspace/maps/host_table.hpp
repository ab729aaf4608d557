// The host tables (abi.h, struct xt_host_slot): set-associative tables in ARRAY maps that hold the
// exact-host rules of a list, so the program finds them with inlined array reads. Private to
// userspace/maps; rules.cpp routes hosts here first, to the host hash when a bucket is full.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "input/address.hpp"
#include "maps/interface_maps.hpp"

namespace xt::detail {

// The slot holding `addr`, with its content.
Result<std::optional<std::pair<uint32_t, xt_host_slot>>> host_table_find(int fd,
                                                                         const xt_addr& addr);
// Stores `addr` (not already present, not ::) in a free way of its bucket; false if the bucket is
// full.
Result<bool> host_table_insert(int fd, const xt_addr& addr, uint64_t hits);
// Frees the slot of `addr`; false if it was not there.
Result<bool> host_table_erase(int fd, const xt_addr& addr);
// Every host in the table with its hits.
Result<std::vector<std::pair<xt_addr, uint64_t>>> host_table_entries(int fd);

}  // namespace xt::detail
