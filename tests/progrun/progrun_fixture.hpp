// A fixture that loads the real XDP program (the generated skeleton) once per test, writes its
// configuration and runs frames through it with BPF_PROG_TEST_RUN. No kernel behaviour is mocked:
// the verifier, the maps and the program are the production ones, only the clock is injected
// (xt_config.clock_override_ns) so token buckets and ban deadlines are exact.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "abi.h"
#include "support/packet_builder.hpp"
#include "maps/bans.hpp"
#include "maps/config.hpp"
#include "maps/counters.hpp"
#include "maps/interface_maps.hpp"
#include "maps/rules.hpp"

struct xdp_throttle;  // generated skeleton (xdp_throttle.skel.h)

namespace xt::test {

// XDP actions as the tests compare them (linux/bpf.h's enum xdp_action).
inline constexpr int kXdpDrop = 1;
inline constexpr int kXdpPass = 2;
inline constexpr int kXdpTx = 3;
inline constexpr int kXdpRedirect = 4;

// An arbitrary, non-zero instant for the injected clock (0 means "use the kernel clock").
inline constexpr uint64_t kT0 = 1'000'000'000'000ULL;
inline constexpr uint64_t kSecond = 1'000'000'000ULL;
inline constexpr uint64_t kMillisecond = 1'000'000ULL;

struct SkeletonDeleter {
    void operator()(xdp_throttle* skel) const;
};
using SkeletonPtr = std::unique_ptr<xdp_throttle, SkeletonDeleter>;

// Opens and loads the skeleton; null (and the libbpf error printed) on failure.
SkeletonPtr load_skeleton();

// The key of every per-source map: IPv4 IPv4-mapped (abi.h). The library's parser (input/address.hpp).
xt_addr source_key(std::string_view ip);
Cidr cidr_of(std::string_view text);

// Counter of one verdict: the members after `seen` are in enum xt_verdict order (abi.h).
const xt_counter& verdict_counter(const xt_stats& stats, xt_verdict v);

// Where the tests' frames go: no rule ever names these.
inline constexpr const char* kDst4 = "198.51.100.1";
inline constexpr const char* kDst6 = "2001:db8:1::1";

// A frame from `src` (IPv4 or IPv6 literal) to kDst4 or kDst6: UDP 1000 -> 53 when `flags` is 0,
// else TCP 40000 -> 80 with these flags. What the stage tables send unless a step has its own.
Frame frame_from(std::string_view src, uint8_t tcp_flags = 0);

// Gateway mode: where a frame that passed went (both are XDP_REDIRECT; xt_stats tells them apart).
enum class Steer { none, bridge, controller };

// One packet of a stage test, as a row of its table: what is sent, at which instant, and what it
// must do. The runner checks every step: the XDP action (drop for a drop verdict; pass, or redirect
// when steered), the counters (seen and the verdict's counter grow by the frame, and `redirected`
// or `to_controller` when steered; every other counter stays) and the frame the program leaves.
struct Step {
    std::string src;               // source address of frame_from()
    uint8_t flags = 0;             // TCP flags of frame_from(); 0: UDP
    uint64_t at_ns = 0;            // the injected clock before this step; 0 keeps the current one
    xt_verdict verdict = XT_PASS;
    std::string note;              // why this step expects what it does
    Steer steer = Steer::none;
    std::optional<Frame> frame;    // a frame of its own instead of frame_from(src, flags)
    uint32_t ifindex = 0;          // the port it arrives on (gateway tests; 0: no ingress context)
    uint32_t rx_queue = 0;
    std::optional<Frame> output;   // the frame left on PASS/REDIRECT; default: the input unchanged
};
using Steps = std::vector<Step>;

// A token bucket of a stage test: `tokens` per `every_ns`, `burst` deep; tokens 0: the stage is off.
struct Bucket {
    uint64_t tokens = 0;
    uint64_t every_ns = 0;
    uint64_t burst = 0;
};

// The token buckets the parameterised bucket tests run through (test_spike.cpp, test_floors.cpp):
// `rate` tokens per `every_ns`, `burst` deep; bursts from 1, periods from 250 ms to a minute.
struct BucketCase {
    uint64_t rate = 0;
    uint64_t every_ns = 0;
    uint64_t burst = 0;
};
inline void PrintTo(const BucketCase& c, std::ostream* os) {
    *os << c.rate << "/" << c.every_ns << "ns burst " << c.burst;
}
std::vector<BucketCase> bucket_cases();
std::string bucket_case_name(const ::testing::TestParamInfo<BucketCase>& info);

// A whole stage test as data: the configuration and rules it starts from, its steps, and the rule
// hit counts after them (ProgRunTest::run_case; XT_STAGE_TABLE makes one test per case).
struct StageCase {
    std::string name;
    Bucket spike, syn, syn_global;
    uint32_t flags = 0;  // XT_CFG_* added to the configuration
    std::vector<std::string> deny, allow;
    Steps steps;
    std::vector<std::pair<std::string, uint64_t>> deny_hits, allow_hits;
};
inline void PrintTo(const StageCase& c, std::ostream* os) { *os << c.name; }

class ProgRunTest : public ::testing::Test {
protected:
    void SetUp() override;

    // Writes config_ through the library (xt::write_config, as the CLI does: with the rule index);
    // call after changing it.
    void apply_config();
    // Writes config_ as bpftool would: raw, without XT_CFG_INDEXED, so every rule map is looked up.
    void apply_config_unindexed();
    xt_config stored_config() const;
    void set_clock(uint64_t now_ns);
    // Token-bucket settings through the one derivation the CLI uses (xt::make_rate).
    static xt_rate rate(uint64_t tokens, uint64_t every_ns, uint64_t burst);

    // Runs one frame through the program; returns the XDP action (kXdpPass / kXdpDrop). On
    // PASS, TX and REDIRECT the frame the program leaves must be `output` (default: the input
    // unchanged), as Katran's fixtures check the packet they expect out.
    int run(const Frame& frame, const Frame* output = nullptr);
    // The same, as received on queue `rx_queue` of interface `ingress_ifindex` (it must exist in
    // this process's network namespace): gateway mode tells its ports apart by it.
    int run_on(const Frame& frame, uint32_t ingress_ifindex, uint32_t rx_queue = 0,
               const Frame* output = nullptr);
    // Runs a stage table step by step (see Step), stopping at the first step that fails.
    void run_steps(const Steps& steps);
    // Configures, writes the rules, runs the steps and checks the hit counts of a StageCase.
    void run_case(const StageCase& c);

    // Per-CPU counters summed over every possible CPU.
    xt_stats stats() const;
    uint64_t packets(xt_verdict v) const { return verdict_counter(stats(), v).packets; }

    // IP rules through the library (xt::add_rules, as the CLI does): CIDR "a.b.c.d/n" or "x::/n";
    // a bare address is a host rule.
    void deny(std::string_view cidr) { add_rule(cidr, false); }
    void allow(std::string_view cidr) { add_rule(cidr, true); }
    void undeny(std::string_view cidr) { del_rule(cidr, false); }
    void unallow(std::string_view cidr) { del_rule(cidr, true); }
    uint64_t deny_hits(std::string_view cidr) const { return rule_hits(cidr, false); }
    uint64_t allow_hits(std::string_view cidr) const { return rule_hits(cidr, true); }

    void ban(std::string_view ip, uint64_t deadline_ns);
    std::optional<xt_ban> ban_entry(std::string_view ip) const;

    // Drop tally of a source as `xdp-throttle top` reads it (xt::read_top_drops: the LRU plus the
    // pending runs, summed over CPUs), if it has one.
    std::optional<xt_drop_tally> drop_tally(std::string_view ip) const;
    // Whether a bucket exists for this key in a per-source map (XT_MAP_SPIKE, XT_MAP_SYN).
    bool spike_bucket_exists(std::string_view key_ip) const;
    // What an LRU eviction does to a source: its entry in `map_name` (XT_MAP_SPIKE or XT_MAP_SYN)
    // is deleted; the test fails if there was none.
    void evict(const char* map_name, std::string_view key_ip);
    // The debt floors of the slot of this key (XT_MAP_FLOORS at xt_addr_slot, abi.h).
    xt_source_buckets floors(std::string_view key_ip) const;

    int map_fd(const char* name) const;

    SkeletonPtr skel_;
    InterfaceMaps maps_;  // the skeleton's maps, for the library's typed access
    xt_config config_{};

private:
    void add_rule(std::string_view cidr, bool allow_list);
    void del_rule(std::string_view cidr, bool allow_list);
    uint64_t rule_hits(std::string_view cidr, bool allow_list) const;
};

// One parameterised test per case of `cases` (a std::vector<StageCase>), named after the cases.
#define XT_STAGE_TABLE(Suite, cases)                                                              \
    class Suite : public ::xt::test::ProgRunTest,                                                 \
                  public ::testing::WithParamInterface<::xt::test::StageCase> {};                \
    TEST_P(Suite, Steps) { run_case(GetParam()); }                                               \
    INSTANTIATE_TEST_SUITE_P(Cases, Suite, ::testing::ValuesIn(cases),                            \
                             [](const auto& info) { return info.param.name; })

}  // namespace xt::test
