// Debt floors (bpf/abi.h, "debt floors"): a bucket evicted from its LRU map comes back from its
// slot's floor, so a source that was being limited gets what it refilled, not a fresh burst. The
// LRU evicts under a flood of new sources; these tests delete the entry, which is what an eviction
// leaves behind (e2e.spike_flood shows the same under a real --rand-source flood).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fmt/format.h>

#include <algorithm>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

constexpr const char* kSpikeMap = XT_NAME(XT_MAP_SPIKE);
constexpr const char* kSynMap = XT_NAME(XT_MAP_SYN);

// `passes` packets from `src` that pass, then one that `drop`s, the first at `at_ns` (0: the clock
// as it is).
void add_run(Steps& steps, const std::string& src, uint8_t flags, uint64_t at_ns, uint64_t passes,
             xt_verdict drop, const std::string& note) {
    for (uint64_t i = 0; i <= passes; ++i)
        steps.push_back({src, flags, i == 0 ? at_ns : 0, i < passes ? XT_PASS : drop, note});
}

// The `nth` IPv4 address (from 10.0.0.1 up) other than `ip` whose key falls in the same slot as
// ip's (xt_addr_slot, the hash the program indexes the floors by): a new source sharing its floor.
std::string colliding_ipv4(std::string_view ip, int nth = 1) {
    const xt_addr key = source_key(ip);
    const uint32_t slot = xt_addr_slot(&key);
    xt_addr other = key;
    for (uint32_t host = 1; host < (1u << 24); ++host) {
        other.w[3] = htonl(0x0a000000u | host);
        if (other.w[3] == key.w[3] || xt_addr_slot(&other) != slot || --nth > 0) continue;
        char text[INET_ADDRSTRLEN];
        return inet_ntop(AF_INET, &other.w[3], text, sizeof text);
    }
    ADD_FAILURE() << "no address of 10.0.0.0/8 shares the slot of " << ip;
    return "";
}

// What an eviction may hand back beyond what the bucket held (abi.h, "debt floors"): nothing when
// the bucket was a debtor, else up to max(1, ceil((burst - 1) / 2)) tokens.
uint64_t eviction_allowance(const xt_rate& r) { return std::max<uint64_t>(1, r.burst / 2); }

using FloorTest = ProgRunTest;

TEST_F(FloorTest, EvictedSpikeBucketComesBackWithWhatItRefilled) {
    config_.spike = rate(10, kSecond, 10);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    const std::string src = "192.0.2.10";
    Steps steps;
    add_run(steps, src, 0, 0, 10, XT_DROP_SPIKE, "the burst");
    run_steps(steps);
    EXPECT_EQ(floors(src).spike.tat_ns, kT0 + 10 * interval) << "the last take left it in debt";
    EXPECT_EQ(floors(src).syn.tat_ns, 0u) << "no SYN bucket was taken from";

    evict(kSpikeMap, src);
    steps.clear();
    add_run(steps, src, 0, kT0 + 3 * interval, 3, XT_DROP_SPIKE,
            "evicted: 3 tokens refilled in 3 intervals, not a fresh burst of 10");
    run_steps(steps);
    EXPECT_TRUE(spike_bucket_exists(src));

    // Once the floor lies in the past it is a full bucket again, as a new bucket always was.
    evict(kSpikeMap, src);
    steps.clear();
    add_run(steps, src, 0, kT0 + 16 * interval, 10, XT_DROP_SPIKE,
            "the floor (kT0 + 13 intervals) is in the past: full");
    run_steps(steps);
}

// The threshold: a take writes only when it leaves more than half the burst (and more than one
// token) spent. Below it nothing is written, and an eviction may hand back what was spent: at most
// the allowance abi.h states.
TEST_F(FloorTest, SourceUnderHalfItsBurstWritesNoFloor) {
    config_.spike = rate(10, kSecond, 10);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    const std::string light = "192.0.2.4", heavy = "192.0.2.5";
    const xt_addr light_key = source_key(light), heavy_key = source_key(heavy);
    ASSERT_NE(xt_addr_slot(&light_key), xt_addr_slot(&heavy_key));
    Steps steps(4, Step{light, 0, 0, XT_PASS, "4 of 10: not over half"});
    steps.resize(9, Step{heavy, 0, 0, XT_PASS, "5 of 10: over half"});
    run_steps(steps);
    EXPECT_EQ(floors(light).spike.tat_ns, 0u) << "under half its burst: no write";
    EXPECT_EQ(floors(heavy).spike.tat_ns, kT0 + 5 * interval);

    evict(kSpikeMap, light);
    evict(kSpikeMap, heavy);
    steps.clear();
    add_run(steps, light, 0, 0, 10, XT_DROP_SPIKE, "no floor: full again, 4 more than it had");
    add_run(steps, heavy, 0, 0, 5, XT_DROP_SPIKE, "its floor: the 5 it had left");
    run_steps(steps);
    EXPECT_LE(4u, eviction_allowance(config_.spike)) << "the gain is within the stated bound";
}

// A flood of one-packet sources (what --rand-source sends) writes nothing: each new bucket is one
// token in debt, never more. With burst 1 no bucket is ever more than one token in debt, so the
// floors never engage (an eviction hands back that one token, as before).
TEST_F(FloorTest, OnePacketSourcesNeverWrite) {
    for (uint64_t burst : {1u, 2u, 10u}) {
        config_.spike = rate(10, kSecond, burst);
        config_.syn = rate(10, kSecond, burst);
        apply_config();
        Steps steps;
        for (int i = 1; i <= 200; ++i)
            steps.push_back({fmt::format("10.{}.{}.{}", burst, i / 100, i % 100 + 1), kSyn});
        run_steps(steps);
        for (const auto& step : steps) {
            const xt_source_buckets f = floors(step.src);
            EXPECT_EQ(f.spike.tat_ns, 0u) << step.src << " burst " << burst;
            EXPECT_EQ(f.syn.tat_ns, 0u) << step.src << " burst " << burst;
        }
    }
}

// The collateral abi.h states: a new source whose slot holds a debtor's floor starts with that
// debt (at worst an empty bucket refilling at its rate), for at most burst / rate.
TEST_F(FloorTest, CollidingNewSourceInheritsTheDebt) {
    config_.spike = rate(10, kSecond, 10);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    const std::string heavy = "192.0.2.10";
    const std::string collider = colliding_ipv4(heavy, 1), later = colliding_ipv4(heavy, 2);
    const std::string bystander = "192.0.2.11";
    const xt_addr heavy_key = source_key(heavy), bystander_key = source_key(bystander);
    ASSERT_NE(xt_addr_slot(&bystander_key), xt_addr_slot(&heavy_key));
    Steps steps;
    add_run(steps, heavy, 0, 0, 10, XT_DROP_SPIKE, "the heavy source spends its burst");
    add_run(steps, collider, 0, kT0 + 2 * interval, 2, XT_DROP_SPIKE,
            "a new source in the heavy one's slot: its debt, 2 tokens refilled");
    add_run(steps, bystander, 0, 0, 10, XT_DROP_SPIKE, "another slot: a full bucket");
    add_run(steps, heavy, 0, 0, 2, XT_DROP_SPIKE, "the heavy source's own bucket is untouched");
    // The collider's 2 tokens raised the slot's floor to kT0 + 12 intervals; from then on the
    // slot gives full buckets again.
    add_run(steps, later, 0, kT0 + 12 * interval, 10, XT_DROP_SPIKE, "the floor is in the past");
    run_steps(steps);
}

TEST_F(FloorTest, SynBucketComesBackFromItsFloor) {
    config_.syn = rate(1, kSecond, 4);
    apply_config();
    const std::string src = "192.0.2.20";
    Steps steps;
    add_run(steps, src, kSyn, 0, 4, XT_DROP_SYN_SOURCE, "the SYN burst");
    run_steps(steps);
    EXPECT_EQ(floors(src).syn.tat_ns, kT0 + 4 * kSecond);
    EXPECT_EQ(floors(src).spike.tat_ns, 0u) << "spike arrest is off";

    evict(kSpikeMap, src);
    steps.clear();
    add_run(steps, src, kSyn, kT0 + kSecond, 1, XT_DROP_SYN_SOURCE, "evicted: one SYN refilled");
    run_steps(steps);

    // With spike arrest on, any packet creates the source's entry: it takes the SYN floor along,
    // so coming back with an ACK first wins no SYN burst.
    config_.spike = rate(1000, kSecond, 1000);
    apply_config();
    evict(kSpikeMap, src);
    run_steps({{src, kAck, kT0 + 2 * kSecond, XT_PASS, "a new entry, created by spike arrest"},
               {src, kSyn, 0, XT_PASS, "the one SYN refilled since"},
               {src, kSyn, 0, XT_DROP_SYN_SOURCE, "not a fresh SYN burst"}});
}

// Spike arrest per prefix: the spike bucket (and its floor) is keyed by the prefix, the SYN bucket
// lives in XT_MAP_SYN keyed by the address; both come back from their floors.
TEST_F(FloorTest, PerPrefixBucketsComeBackFromTheirFloors) {
    config_.spike = rate(10, kSecond, 10);
    config_.syn = rate(1, kSecond, 3);
    config_.flags |= XT_CFG_SPIKE_PER_PREFIX;
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    Steps steps;
    add_run(steps, "192.0.2.7", kSyn, 0, 3, XT_DROP_SYN_SOURCE, "the SYN burst (3 spike tokens)");
    add_run(steps, "192.0.2.8", 0, 0, 6, XT_DROP_SPIKE,
            "the /24's spike burst: the refused SYN kept its spike token, 4 + 6 = 10");
    run_steps(steps);
    EXPECT_EQ(floors("192.0.2.0").spike.tat_ns, kT0 + 10 * interval) << "keyed by the prefix";
    EXPECT_EQ(floors("192.0.2.7").syn.tat_ns, kT0 + 3 * kSecond) << "keyed by the address";

    evict(kSpikeMap, "192.0.2.0");
    evict(kSynMap, "192.0.2.7");
    steps.clear();
    add_run(steps, "192.0.2.200", 0, kT0 + 3 * interval, 3, XT_DROP_SPIKE,
            "the /24's bucket evicted: 3 tokens refilled");
    add_run(steps, "192.0.2.7", kSyn, kT0 + kSecond, 1, XT_DROP_SYN_SOURCE,
            "the SYN bucket evicted: 1 SYN refilled (the /24 has spike tokens again)");
    run_steps(steps);
}

// The price of writing only past the threshold, as abi.h states it: a source evicted each time
// before it has spent half its burst gets up to that allowance back per eviction. (Each eviction
// takes a flood of about XT_SPIKE_MAX new sources; the flood's own packets pass by the thousand.)
TEST_F(FloorTest, EvictionsUnderHalfABurstHandBackAtMostTheAllowance) {
    config_.spike = rate(10, kSecond, 20);
    apply_config();
    const std::string src = "192.0.2.40";
    const uint64_t allowance = eviction_allowance(config_.spike);  // 10
    uint64_t passed = 0;
    for (int cycle = 0; cycle < 5; ++cycle) {
        for (int i = 0; i < 9; ++i) passed += run(frame_from(src)) == kXdpPass;
        EXPECT_EQ(floors(src).spike.tat_ns, 0u) << "9 of 20 spent: never a debtor";
        evict(kSpikeMap, src);
    }
    EXPECT_EQ(passed, 45u) << "all at one instant: 25 more than the burst";
    EXPECT_LE(passed, config_.spike.burst + 5 * allowance) << "burst + evictions * allowance";
    Steps steps;
    add_run(steps, src, 0, 0, 20, XT_DROP_SPIKE, "one more cycle spends past half: now recorded");
    run_steps(steps);
    evict(kSpikeMap, src);
    run_steps({{src, 0, 0, XT_DROP_SPIKE, "evicted once deep in debt: nothing back"}});
}

class FloorWindowTest : public ProgRunTest, public ::testing::WithParamInterface<BucketCase> {};

// A source flooding at 3x its rate, its bucket evicted every 2 * burst + 1 packets (by then it is
// being limited): in the whole window it gets burst + rate * t, plus the allowance only of the
// evictions whose floor had not recorded the bucket's last take (abi.h's bound). With burst 1 that
// is every eviction (the floors never engage); otherwise none: a limited source gains nothing.
TEST_P(FloorWindowTest, WindowBoundHoldsAcrossEvictions) {
    const auto& c = GetParam();
    config_.spike = rate(c.rate, c.every_ns, c.burst);
    apply_config();
    const uint64_t interval = config_.spike.interval_ns;
    const std::string src = "192.0.2.30";
    const xt_addr key = source_key(src);
    const Frame frame = frame_from(src);
    const uint64_t step = interval / 3 + 1;
    const uint64_t window = (2 * c.burst + 40) * interval;
    const uint64_t period = 2 * c.burst + 1;
    uint64_t passed = 0, evictions = 0, allowance = 0, arrivals = 0;
    for (uint64_t t = 0; t <= window; t += step) {
        set_clock(kT0 + t);
        if (++arrivals % period == 0) {
            xt_source_buckets b{};
            ASSERT_EQ(bpf_map_lookup_elem(map_fd(kSpikeMap), &key, &b), 0);
            if (floors(src).spike.tat_ns < b.spike.tat_ns) allowance += eviction_allowance(config_.spike);
            evict(kSpikeMap, src);
            ++evictions;
        }
        if (run(frame) == kXdpPass) ++passed;
    }
    const uint64_t bound = c.burst + window / interval;
    fmt::print("{} per {} ms, burst {}: {} passed in {} arrivals, {} evictions, bound {} + allowance {}\n",
               c.rate, c.every_ns / kMillisecond, c.burst, passed, arrivals, evictions, bound, allowance);
    EXPECT_LE(passed, bound + allowance);
    EXPECT_GE(passed, bound - 1) << "no under-admission either";
    EXPECT_GT(evictions, 2u);
    if (c.burst > 1) {
        EXPECT_EQ(allowance, 0u) << "every eviction found the floor up to date";
    }
}

INSTANTIATE_TEST_SUITE_P(Rates, FloorWindowTest, ::testing::ValuesIn(bucket_cases()), bucket_case_name);

}  // namespace
}  // namespace xt::test
