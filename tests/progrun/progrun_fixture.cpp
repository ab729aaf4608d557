#include "progrun_fixture.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "xdp_throttle.skel.h"
#include "input/address.hpp"
#include "common/rate.hpp"

namespace xt::test {
namespace {

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

std::vector<BucketCase> bucket_cases() {
    return {{10, kSecond, 5}, {1, kSecond, 1}, {100, kSecond, 20}, {3, 250 * kMillisecond, 2},
            {1000, 60 * kSecond, 50}};
}

std::string bucket_case_name(const ::testing::TestParamInfo<BucketCase>& info) {
    const BucketCase& c = info.param;
    return fmt::format("Rate{}Per{}msBurst{}", c.rate, c.every_ns / kMillisecond, c.burst);
}

void SkeletonDeleter::operator()(xdp_throttle* skel) const { xdp_throttle__destroy(skel); }

SkeletonPtr load_skeleton() {
    libbpf_set_print(print_warnings_only);
    SkeletonPtr skel(xdp_throttle__open_and_load());
    if (!skel) ADD_FAILURE() << "xdp_throttle__open_and_load: " << std::strerror(errno);
    return skel;
}

xt_addr source_key(std::string_view ip) {
    auto key = xt::parse_address(ip);
    EXPECT_TRUE(key.has_value()) << ip << ": " << (key ? "" : key.error().message);
    return key.value_or(xt_addr{});
}

Cidr cidr_of(std::string_view text) {
    auto cidr = xt::parse_cidr(text);
    EXPECT_TRUE(cidr.has_value()) << text << ": " << (cidr ? "" : cidr.error().message);
    return cidr.value_or(Cidr{});
}

const xt_counter& verdict_counter(const xt_stats& stats, xt_verdict v) {
    return (&stats.passed)[v];
}

Frame frame_from(std::string_view src, uint8_t tcp_flags) {
    const bool v6 = src.find(':') != std::string_view::npos;
    PacketBuilder b;
    b.eth();
    if (v6) b.ipv6(src, kDst6);
    else b.ipv4(src, kDst4);
    if (tcp_flags) b.tcp(40000, 80, tcp_flags);
    else b.udp(1000, 53);
    return b.build();
}

void ProgRunTest::SetUp() {
    if (geteuid() != 0) GTEST_SKIP() << "BPF_PROG_TEST_RUN tests need root (CAP_BPF, CAP_NET_ADMIN)";
    skel_ = load_skeleton();
    ASSERT_TRUE(skel_);
    auto maps = InterfaceMaps::from_object(skel_->obj, "progrun");
    ASSERT_TRUE(maps.has_value()) << maps.error().message;
    maps_ = std::move(*maps);
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
    const auto ok = xt::write_config(maps_, config_);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
}

void ProgRunTest::apply_config_unindexed() {
    const uint32_t zero = 0;
    xt_config raw = config_;
    raw.flags &= ~static_cast<uint32_t>(XT_CFG_INDEXED);
    raw.present = 0;
    ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_CONFIG)), &zero, &raw, BPF_ANY), 0)
        << std::strerror(errno);
}

xt_config ProgRunTest::stored_config() const {
    auto config = xt::read_config(maps_);
    EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
    return config.value_or(xt_config{});
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

int ProgRunTest::run(const Frame& frame, const Frame* output) {
    return run_on(frame, 0, 0, output);
}

int ProgRunTest::run_on(const Frame& frame, uint32_t ingress_ifindex, uint32_t rx_queue,
                        const Frame* output) {
    // Without an ingress interface the kernel builds the context itself. With one, it resolves
    // ingress_ifindex in the caller's network namespace and wants the queue to exist; data and
    // data_end of the context are the frame's bounds.
    xdp_md ctx{};
    ctx.data_end = static_cast<__u32>(frame.size());
    ctx.ingress_ifindex = ingress_ifindex;
    ctx.rx_queue_index = rx_queue;
    Frame out(frame.size() + 256);  // room for a program that grows the frame
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_out = out.data(), .data_size_in = static_cast<__u32>(frame.size()),
                .data_size_out = static_cast<__u32>(out.size()), .repeat = 1);
    if (ingress_ifindex != 0) {
        opts.ctx_in = &ctx;
        opts.ctx_size_in = sizeof(ctx);
    }
    const int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xdp_throttle), &opts);
    EXPECT_EQ(err, 0) << "bpf_prog_test_run_opts (ingress ifindex " << ingress_ifindex
                      << ", rx queue " << rx_queue << "): " << std::strerror(errno);
    if (err) return -1;
    const int action = static_cast<int>(opts.retval);
    if (action == kXdpPass || action == kXdpTx || action == kXdpRedirect) {
        out.resize(opts.data_size_out);
        EXPECT_EQ(out, output ? *output : frame) << "the frame the program left (action " << action << ")";
    }
    return action;
}

void ProgRunTest::run_steps(const Steps& steps) {
    for (size_t i = 0; i < steps.size(); ++i) {
        const Step& step = steps[i];
        SCOPED_TRACE(fmt::format("step {} ({}{}{})", i, step.frame ? "own frame" : step.src,
                                 step.note.empty() ? "" : ": ", step.note));
        if (step.at_ns != 0) set_clock(step.at_ns);
        const Frame frame = step.frame ? *step.frame : frame_from(step.src, step.flags);
        const xt_stats before = stats();
        const int action = run_on(frame, step.ifindex, step.rx_queue,
                                  step.output ? &*step.output : nullptr);
        const xt_stats after = stats();

        const int expected_action = step.verdict != XT_PASS       ? kXdpDrop
                                    : step.steer == Steer::none ? kXdpPass
                                                                : kXdpRedirect;
        EXPECT_EQ(action, expected_action);
        xt_stats grown{};
        const xt_counter one{.packets = 1, .bytes = frame.size()};
        grown.seen = one;
        (&grown.passed)[step.verdict] = one;
        if (step.steer == Steer::bridge) grown.redirected = one;
        if (step.steer == Steer::controller) grown.to_controller = one;
        // abi.h's struct xt_stats, member by member.
        static constexpr const char* kCounters[] = {"seen",   "passed", "malformed",  "ip_deny",
                                                    "not_allowed", "banned", "spike", "syn_source",
                                                    "syn_global", "redirected", "to_controller"};
        static_assert(std::size(kCounters) == sizeof(xt_stats) / sizeof(xt_counter));
        const auto* b = &before.seen;
        const auto* a = &after.seen;
        const auto* g = &grown.seen;
        for (size_t c = 0; c < std::size(kCounters); ++c) {
            EXPECT_EQ(a[c].packets - b[c].packets, g[c].packets) << kCounters[c] << ".packets grew by";
            EXPECT_EQ(a[c].bytes - b[c].bytes, g[c].bytes) << kCounters[c] << ".bytes grew by";
        }
        if (HasFailure()) return;
    }
}

void ProgRunTest::run_case(const StageCase& c) {
    auto bucket = [](const Bucket& b) { return b.tokens ? rate(b.tokens, b.every_ns, b.burst) : rate_off(); };
    config_.spike = bucket(c.spike);
    config_.syn = bucket(c.syn);
    config_.syn_global = bucket(c.syn_global);
    config_.flags |= c.flags;
    apply_config();
    for (const auto& rule : c.deny) deny(rule);
    for (const auto& rule : c.allow) allow(rule);
    run_steps(c.steps);
    for (const auto& [rule, hits] : c.deny_hits) EXPECT_EQ(deny_hits(rule), hits) << "deny " << rule;
    for (const auto& [rule, hits] : c.allow_hits) EXPECT_EQ(allow_hits(rule), hits) << "allow " << rule;
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
        for (size_t i = 0; i < sizeof(xt_stats) / sizeof(xt_counter); ++i) {
            total[i].packets += c[i].packets;
            total[i].bytes += c[i].bytes;
        }
    }
    return sum;
}

void ProgRunTest::add_rule(std::string_view cidr, bool allow_list) {
    const Cidr rule = cidr_of(cidr);
    const auto added = xt::add_rules(maps_, allow_list ? RuleList::allow : RuleList::deny, {&rule, 1});
    ASSERT_TRUE(added.has_value()) << cidr << ": " << added.error().message;
}

void ProgRunTest::del_rule(std::string_view cidr, bool allow_list) {
    const Cidr rule = cidr_of(cidr);
    const auto ok = xt::delete_rules(maps_, allow_list ? RuleList::allow : RuleList::deny, {&rule, 1});
    ASSERT_TRUE(ok.has_value()) << cidr << ": " << ok.error().message;
}

uint64_t ProgRunTest::rule_hits(std::string_view cidr, bool allow_list) const {
    const Cidr rule = cidr_of(cidr);
    const auto rules = xt::list_rules(maps_, allow_list ? RuleList::allow : RuleList::deny);
    if (!rules) {
        ADD_FAILURE() << "listing rules: " << rules.error().message;
        return 0;
    }
    for (const RuleEntry& e : *rules)
        if (e.cidr == rule) return e.hits;
    ADD_FAILURE() << "no rule " << cidr;
    return 0;
}

void ProgRunTest::ban(std::string_view ip, uint64_t deadline_ns) {
    // Through the library, as the CLI bans (it keeps the ban filter in step), then the entry is
    // rewritten with the exact deadline the test wants.
    const xt_addr key = source_key(ip);
    const uint64_t now = xt::program_clock_ns(config_);
    const auto added = xt::add_bans(maps_, {&key, 1}, deadline_ns > now ? deadline_ns - now : 0,
                                    "progrun test", XT_BAN_BY_OPERATOR);
    ASSERT_TRUE(added.has_value()) << added.error().message;
    xt_ban value{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_BANS)), &key, &value), 0);
    value.deadline_ns = deadline_ns;
    value.created_ns = config_.clock_override_ns;
    ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_BANS)), &key, &value, BPF_EXIST), 0)
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
    const auto top = xt::read_top_drops(maps_, XT_TOP_DROPS_MAX);
    if (!top) {
        ADD_FAILURE() << "reading top drops: " << top.error().message;
        return std::nullopt;
    }
    for (const TopDropEntry& e : *top)
        if (e.source == key)
            return xt_drop_tally{.packets = e.packets, .bytes = e.bytes,
                                 .last_verdict = e.last_verdict, .last_jiffies = 0};
    return std::nullopt;
}

bool ProgRunTest::spike_bucket_exists(std::string_view key_ip) const {
    const xt_addr key = source_key(key_ip);
    xt_source_buckets buckets{};
    return bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SPIKE)), &key, &buckets) == 0;
}

void ProgRunTest::evict(const char* map_name, std::string_view key_ip) {
    const xt_addr key = source_key(key_ip);
    ASSERT_EQ(bpf_map_delete_elem(map_fd(map_name), &key), 0)
        << "evicting " << key_ip << " from " << map_name << ": " << std::strerror(errno);
}

xt_source_buckets ProgRunTest::floors(std::string_view key_ip) const {
    const xt_addr key = source_key(key_ip);
    const uint32_t slot = xt_addr_slot(&key);
    xt_source_buckets value{};
    EXPECT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_FLOORS)), &slot, &value), 0)
        << "floor slot " << slot << ": " << std::strerror(errno);
    return value;
}

}  // namespace xt::test
