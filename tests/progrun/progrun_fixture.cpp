#include "progrun_fixture.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "xdp_throttle.skel.h"
#include "xdp_throttle/rate.hpp"

namespace xt::test {
namespace {

struct ParsedCidr {
    std::vector<uint8_t> addr;  // 4 or 16 bytes
    uint32_t prefix_len;
};

ParsedCidr parse_cidr(std::string_view cidr) {
    const auto slash = cidr.find('/');
    ParsedCidr out{parse_ip(cidr.substr(0, slash)), 0};
    const uint32_t full = static_cast<uint32_t>(out.addr.size() * 8);
    out.prefix_len = slash == std::string_view::npos
                         ? full
                         : static_cast<uint32_t>(std::stoul(std::string(cidr.substr(slash + 1))));
    return out;
}

// LPM keys are (prefixlen, address) with no padding in between for both families.
std::vector<uint8_t> lpm_key(const ParsedCidr& c) {
    std::vector<uint8_t> key(4 + c.addr.size());
    std::memcpy(key.data(), &c.prefix_len, 4);
    std::memcpy(key.data() + 4, c.addr.data(), c.addr.size());
    return key;
}

// libbpf's INFO lines (e.g. "skipping unrecognized data section .xdp_run_config": that section is
// libxdp's, not libbpf's) would print once per test; warnings and errors still show.
int print_warnings_only(libbpf_print_level level, const char* format, va_list args) {
    return level == LIBBPF_DEBUG || level == LIBBPF_INFO ? 0 : std::vfprintf(stderr, format, args);
}

size_t possible_cpus() {
    const int n = libbpf_num_possible_cpus();
    return n > 0 ? static_cast<size_t>(n) : 1;
}

}  // namespace

void SkeletonDeleter::operator()(xdp_throttle* skel) const { xdp_throttle__destroy(skel); }

SkeletonPtr load_skeleton() {
    libbpf_set_print(print_warnings_only);
    SkeletonPtr skel(xdp_throttle__open_and_load());
    if (!skel) ADD_FAILURE() << "xdp_throttle__open_and_load: " << std::strerror(errno);
    return skel;
}

xt_addr source_key(std::string_view ip) {
    const auto bytes = parse_ip(ip);
    xt_addr key{};
    auto* out = reinterpret_cast<uint8_t*>(key.w);
    if (bytes.size() == 4) {
        out[10] = 0xff;
        out[11] = 0xff;
        std::memcpy(out + 12, bytes.data(), 4);
    } else {
        std::memcpy(out, bytes.data(), 16);
    }
    return key;
}

const xt_counter& verdict_counter(const xt_stats& stats, xt_verdict v) {
    return (&stats.passed)[v];
}

void ProgRunTest::SetUp() {
    if (geteuid() != 0) GTEST_SKIP() << "BPF_PROG_TEST_RUN tests need root (CAP_BPF, CAP_NET_ADMIN)";
    skel_ = load_skeleton();
    ASSERT_TRUE(skel_);
    config_ = xt_config{};
    config_.spike_prefix_v4 = 24;
    config_.spike_prefix_v6 = 64;
    config_.clock_override_ns = kT0;
    apply_config();
}

int ProgRunTest::map_fd(const char* name) const {
    const bpf_map* map = bpf_object__find_map_by_name(skel_->obj, name);
    EXPECT_NE(map, nullptr) << "no map " << name;
    return map ? bpf_map__fd(map) : -1;
}

void ProgRunTest::apply_config() {
    const uint32_t zero = 0;
    ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_CONFIG)), &zero, &config_, BPF_ANY), 0)
        << std::strerror(errno);
}

void ProgRunTest::set_clock(uint64_t now_ns) {
    config_.clock_override_ns = now_ns;
    apply_config();
}

xt_rate ProgRunTest::rate(uint64_t tokens, uint64_t every_ns, uint64_t burst) {
    auto r = xt::make_rate(tokens, every_ns, burst);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r.value_or(xt::rate_off());
}

int ProgRunTest::run(const Frame& frame) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<__u32>(frame.size()), .repeat = 1);
    const int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xdp_throttle), &opts);
    EXPECT_EQ(err, 0) << "bpf_prog_test_run_opts: " << std::strerror(errno);
    return err ? -1 : static_cast<int>(opts.retval);
}

xt_stats ProgRunTest::stats() const {
    std::vector<xt_stats> per_cpu(possible_cpus());
    const uint32_t zero = 0;
    xt_stats sum{};
    if (bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_STATS)), &zero, per_cpu.data()) != 0) {
        ADD_FAILURE() << "reading stats: " << std::strerror(errno);
        return sum;
    }
    auto* total = &sum.seen;
    for (const auto& cpu : per_cpu) {
        const auto* c = &cpu.seen;
        for (size_t i = 0; i <= XT_VERDICT_COUNT; ++i) {
            total[i].packets += c[i].packets;
            total[i].bytes += c[i].bytes;
        }
    }
    return sum;
}

void ProgRunTest::add_rule(std::string_view cidr, bool allow_list) {
    const auto c = parse_cidr(cidr);
    const bool v6 = c.addr.size() == 16;
    const char* name = allow_list ? (v6 ? XT_NAME(XT_MAP_ALLOW_V6) : XT_NAME(XT_MAP_ALLOW_V4))
                                  : (v6 ? XT_NAME(XT_MAP_DENY_V6) : XT_NAME(XT_MAP_DENY_V4));
    const xt_ip_rule rule{};
    const auto key = lpm_key(c);
    ASSERT_EQ(bpf_map_update_elem(map_fd(name), key.data(), &rule, BPF_ANY), 0)
        << cidr << ": " << std::strerror(errno);
}

uint64_t ProgRunTest::rule_hits(std::string_view cidr, bool allow_list) const {
    const auto c = parse_cidr(cidr);
    const bool v6 = c.addr.size() == 16;
    const char* name = allow_list ? (v6 ? XT_NAME(XT_MAP_ALLOW_V6) : XT_NAME(XT_MAP_ALLOW_V4))
                                  : (v6 ? XT_NAME(XT_MAP_DENY_V6) : XT_NAME(XT_MAP_DENY_V4));
    // An LPM lookup of the rule's own prefix returns the rule (longest match of that key).
    xt_ip_rule rule{};
    const auto key = lpm_key(c);
    if (bpf_map_lookup_elem(map_fd(name), key.data(), &rule) != 0) {
        ADD_FAILURE() << "no rule " << cidr;
        return 0;
    }
    return rule.hits;
}

void ProgRunTest::ban(std::string_view ip, uint64_t deadline_ns) {
    const xt_addr key = source_key(ip);
    xt_ban value{};
    value.deadline_ns = deadline_ns;
    value.created_ns = config_.clock_override_ns;
    value.origin = XT_BAN_BY_OPERATOR;
    std::strncpy(value.reason, "progrun test", sizeof(value.reason));
    ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_BANS)), &key, &value, BPF_ANY), 0)
        << std::strerror(errno);
}

std::optional<xt_ban> ProgRunTest::ban_entry(std::string_view ip) const {
    const xt_addr key = source_key(ip);
    xt_ban value{};
    if (bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_BANS)), &key, &value) != 0) return std::nullopt;
    return value;
}

std::optional<xt_drop_tally> ProgRunTest::drop_tally(std::string_view ip) const {
    const xt_addr key = source_key(ip);
    std::vector<xt_drop_tally> per_cpu(possible_cpus());
    if (bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_TOP_DROPS)), &key, per_cpu.data()) != 0)
        return std::nullopt;
    xt_drop_tally sum{};
    for (const auto& cpu : per_cpu) {
        sum.packets += cpu.packets;
        sum.bytes += cpu.bytes;
        if (cpu.packets) sum.last_verdict = cpu.last_verdict;
    }
    return sum;
}

bool ProgRunTest::spike_bucket_exists(std::string_view key_ip) const {
    const xt_addr key = source_key(key_ip);
    xt_gcra bucket{};
    return bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SPIKE)), &key, &bucket) == 0;
}

}  // namespace xt::test
