#include "maps/tables.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/ranges.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "maps/bans.hpp"
#include "maps/config.hpp"
#include "maps/host_table.hpp"
#include "maps/paths.hpp"
#include "input/validation.hpp"

namespace xt {
namespace {

// Every table status shows, in its order: one place for the names and for which sizes an operator
// may choose (parse_table_size).
struct KernelTable {
    const char* table;
    const char* map;
    bool resizable;
};
constexpr KernelTable kTables[] = {
    {"spike", XT_NAME(XT_MAP_SPIKE), true},
    {"syn", XT_NAME(XT_MAP_SYN), true},
    {"floors", XT_NAME(XT_MAP_FLOORS), false},
    {"bans", XT_NAME(XT_MAP_BANS), true},
    {"deny_host_table", XT_NAME(XT_MAP_DENY_HOST_TABLE), false},
    {"deny_hosts", XT_NAME(XT_MAP_DENY_HOSTS), true},
    {"deny_v4", XT_NAME(XT_MAP_DENY_V4), true},
    {"deny_v6", XT_NAME(XT_MAP_DENY_V6), true},
    {"allow_host_table", XT_NAME(XT_MAP_ALLOW_HOST_TABLE), false},
    {"allow_hosts", XT_NAME(XT_MAP_ALLOW_HOSTS), true},
    {"allow_v4", XT_NAME(XT_MAP_ALLOW_V4), true},
    {"allow_v6", XT_NAME(XT_MAP_ALLOW_V6), true},
    {"top_drops", XT_NAME(XT_MAP_TOP_DROPS), true},
    {"bypass", XT_NAME(XT_MAP_BYPASS), true},
};

Result<bpf_map_info> map_info(int fd, std::string_view what) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
        return failf(errno, "cannot read the map info of {}: {}", what, std::strerror(errno));
    return info;
}

// The kernel's memory charge for a map, as /proc shows it for our fd; 0 when it cannot be read.
uint64_t memlock_of(int fd) {
    std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
    std::string key;
    uint64_t value = 0;
    while (in >> key) {
        if (key == "memlock:" && in >> value) return value;
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    return 0;
}

// Entries of a hash (plain, LRU, per-CPU) by batched reads: the kernel walks its buckets once,
// whatever is inserted or evicted meanwhile, so this ends after at most max_entries entries.
Result<uint64_t> count_hash(int fd, const bpf_map_info& info, std::string_view what) {
    const bool per_cpu = info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
    const size_t value_size = per_cpu ? ((info.value_size + 7) / 8 * 8) * libbpf_num_possible_cpus()
                                      : info.value_size;
    uint32_t chunk = 4096;
    std::vector<unsigned char> keys, values;
    uint32_t token = 0;
    bool first = true;
    uint64_t total = 0;
    for (;;) {
        keys.resize(size_t{chunk} * info.key_size);
        values.resize(size_t{chunk} * value_size);
        uint32_t count = chunk, next = 0;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        const int rc = bpf_map_lookup_batch(fd, first ? nullptr : &token, &next, keys.data(),
                                            values.data(), &count, &opts);
        if (rc != 0 && errno == ENOSPC && chunk < (1u << 20)) {  // one bucket holds more than chunk
            chunk *= 2;
            continue;
        }
        if (rc != 0 && errno != ENOENT)
            return failf(errno, "cannot read {}: {}", what, std::strerror(errno));
        total += count;
        if (rc != 0) return total;  // ENOENT: the last bucket was read
        token = next;
        first = false;
    }
}

// Entries of an LPM trie (no batch reads), key by key; bounded by its size should keys be
// deleted during the walk (which restarts it).
Result<uint64_t> count_trie(int fd, const bpf_map_info& info, std::string_view what) {
    std::vector<unsigned char> key(info.key_size), next(info.key_size);
    const void* prev = nullptr;
    uint64_t total = 0;
    while (total < info.max_entries && bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        ++total;
        key.swap(next);
        prev = key.data();
    }
    if (total < info.max_entries && errno != ENOENT)
        return failf(errno, "cannot read {}: {}", what, std::strerror(errno));
    return total;
}

// Floor slots whose spike or SYN floor lies ahead of now: the slots where a new source would start
// with a debt (abi.h, "debt floors").
Result<uint64_t> count_floors(const InterfaceMaps& maps, std::string_view what) {
    const xt_config config = XT_TRY(read_config(maps));
    const uint64_t now = program_clock_ns(config);
    std::vector<uint32_t> keys(XT_FLOOR_SLOTS);
    std::vector<xt_source_buckets> floors(XT_FLOOR_SLOTS);
    uint32_t out_batch = 0, count = XT_FLOOR_SLOTS;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    const int rc = bpf_map_lookup_batch(maps.floors.get(), nullptr, &out_batch, keys.data(),
                                        floors.data(), &count, &opts);
    if (rc != 0 && errno != ENOENT)
        return failf(errno, "cannot read {}: {}", what, std::strerror(errno));
    uint64_t in_debt = 0;
    for (uint32_t i = 0; i < count; ++i)
        in_debt += floors[i].spike.tat_ns > now || floors[i].syn.tat_ns > now;
    return in_debt;
}

}  // namespace

Result<uint32_t> map_max_entries(int fd, std::string_view what) {
    return XT_TRY(map_info(fd, what)).max_entries;
}

Result<std::vector<TableFill>> read_table_fill(const InterfaceMaps& maps, const GatewayMaps* gateway) {
    std::vector<TableFill> out;
    for (const KernelTable& t : kTables) {
        const bool bypass = std::string_view(t.map) == XT_NAME(XT_MAP_BYPASS);
        if (bypass && !gateway) continue;
        const int fd = bypass ? gateway->bypass.get() : maps.fd_of(t.map);
        const std::string what = fmt::format("{} of {}", t.map, maps.iface);
        const bpf_map_info info = XT_TRY(map_info(fd, what));
        TableFill fill{.table = t.table, .map = t.map, .max_entries = info.max_entries,
                       .memlock_bytes = memlock_of(fd)};
        if (fd == maps.floors.get())
            fill.entries = XT_TRY(count_floors(maps, what));
        else if (info.type == BPF_MAP_TYPE_ARRAY)  // the host tables: slots in use
            fill.entries = XT_TRY(detail::host_table_entries(fd).map_error(reword("{}: {}", what))).size();
        else if (info.type == BPF_MAP_TYPE_LPM_TRIE)
            fill.entries = XT_TRY(count_trie(fd, info, what));
        else
            fill.entries = XT_TRY(count_hash(fd, info, what));
        out.push_back(std::move(fill));
    }
    return out;
}

bool table_resizable(std::string_view map) {
    for (const KernelTable& t : kTables)
        if (t.map == map) return t.resizable;
    return false;
}

Result<TableSize> parse_table_size(std::string_view option, std::string_view text) {
    const auto eq = text.find('=');
    const std::string_view name = text.substr(0, eq);
    std::vector<std::string_view> names;
    for (const KernelTable& t : kTables) {
        if (!t.resizable) continue;
        names.push_back(t.table);
        if (name != t.table) continue;
        if (eq == std::string_view::npos)
            return failf(ErrorKind::invalid_input, "{} {}: expected TABLE=ENTRIES, e.g. {}=1048576", option,
                         text, t.table);
        const uint64_t n = XT_TRY(parse_count(fmt::format("{} {}", option, name), text.substr(eq + 1),
                                              kMinTableSize, kMaxTableSize));
        return TableSize{t.table, t.map, static_cast<uint32_t>(n)};
    }
    return failf(ErrorKind::invalid_input, "{} {}: no table '{}' whose size can be chosen (one of: {})",
                 option, text, name, fmt::join(names, ", "));
}

Result<std::optional<uint32_t>> pinned_map_size(std::string_view iface, std::string_view map) {
    const auto path = pin_dir(iface) / std::string(map);
    const int fd = bpf_obj_get(path.c_str());
    if (fd < 0 && errno == ENOENT) return std::optional<uint32_t>{};
    if (fd < 0) return failf(errno, "cannot open {}: {}", path.string(), std::strerror(errno));
    const UniqueFd owned(fd);
    return std::optional<uint32_t>{XT_TRY(map_max_entries(fd, path.string()))};
}

}  // namespace xt
