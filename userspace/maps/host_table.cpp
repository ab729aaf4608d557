// Host tables: bucket b is slots [b * WAYS, (b + 1) * WAYS); a slot with an all-zero address is
// free. Writers hold the pin-directory lock, so a bucket has one writer; the program only reads
// slots and bumps `hits` atomically. A slot is written whole: filling a free slot loses nothing,
// and clearing a slot drops only the hits of the rule being deleted.
#include "host_table.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

namespace xt::detail {
namespace {

bool is_free(const xt_host_slot& slot) {
    const xt_addr zero{};
    return slot.addr == zero;
}

Status read_slot(int fd, uint32_t index, xt_host_slot& out) {
    if (bpf_map_lookup_elem(fd, &index, &out) != 0)
        return failf(errno, "cannot read host table slot {}: {}", index, std::strerror(errno));
    return {};
}

Status write_slot(int fd, uint32_t index, const xt_host_slot& slot) {
    if (bpf_map_update_elem(fd, &index, &slot, BPF_ANY) != 0)
        return failf(errno, "cannot write host table slot {}: {}", index, std::strerror(errno));
    return {};
}

uint32_t first_slot(const xt_addr& addr) { return xt_host_bucket(&addr) * XT_HOST_TABLE_WAYS; }

}  // namespace

Result<std::optional<std::pair<uint32_t, xt_host_slot>>> host_table_find(int fd,
                                                                         const xt_addr& addr) {
    const uint32_t first = first_slot(addr);
    for (uint32_t index = first; index < first + XT_HOST_TABLE_WAYS; ++index) {
        xt_host_slot slot{};
        XT_TRY(read_slot(fd, index, slot));
        if (!is_free(slot) && slot.addr == addr) return std::pair{index, slot};
    }
    return std::nullopt;
}

Result<bool> host_table_insert(int fd, const xt_addr& addr, uint64_t hits) {
    const uint32_t first = first_slot(addr);
    for (uint32_t index = first; index < first + XT_HOST_TABLE_WAYS; ++index) {
        xt_host_slot slot{};
        XT_TRY(read_slot(fd, index, slot));
        if (!is_free(slot)) continue;
        XT_TRY(write_slot(fd, index, xt_host_slot{addr, hits}));
        return true;
    }
    return false;
}

Result<bool> host_table_erase(int fd, const xt_addr& addr) {
    auto found = XT_TRY(host_table_find(fd, addr));
    if (!found) return false;
    XT_TRY(write_slot(fd, found->first, xt_host_slot{}));
    return true;
}

Result<std::vector<std::pair<xt_addr, uint64_t>>> host_table_entries(int fd) {
    std::vector<uint32_t> keys(XT_HOST_TABLE_SLOTS);
    std::vector<xt_host_slot> slots(XT_HOST_TABLE_SLOTS);
    uint32_t out_batch = 0, count = XT_HOST_TABLE_SLOTS;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    const int rc = bpf_map_lookup_batch(fd, nullptr, &out_batch, keys.data(), slots.data(), &count,
                                        &opts);
    if ((rc != 0 && errno != ENOENT) || count != XT_HOST_TABLE_SLOTS)
        return failf(errno, "cannot read a host table: {}", std::strerror(errno));
    std::vector<std::pair<xt_addr, uint64_t>> out;
    for (const xt_host_slot& slot : slots)
        if (!is_free(slot)) out.emplace_back(slot.addr, slot.hits);
    return out;
}

}  // namespace xt::detail
