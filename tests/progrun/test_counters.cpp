// Counters: seen == passed + every drop, bytes are frame lengths; the per-source drop tally.
// Packets are steps of a table (progrun_fixture.hpp, Step), whose runner checks every counter.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>

#include <map>
#include <vector>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

using CounterTest = ProgRunTest;

TEST_F(CounterTest, EveryPacketCountsSeenAndExactlyOneVerdict) {
    deny("192.0.2.66");
    ban("192.0.2.77", kT0 + kSecond);
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    const auto from = [](const char* src, Ipv4Fields fields = {}) {
        return PacketBuilder().eth().ipv4(src, kDst4, fields);
    };
    const Steps steps = {
        {.verdict = XT_PASS, .frame = from("192.0.2.1").tcp(1, 80, kSyn).build()},
        {.verdict = XT_DROP_SYN_SOURCE, .frame = from("192.0.2.1").tcp(1, 80, kSyn).payload(3).build()},
        {.verdict = XT_DROP_IP_DENY, .frame = from("192.0.2.66").udp(1, 2).payload(100).build()},
        {.verdict = XT_DROP_BANNED, .frame = from("192.0.2.77").udp(1, 2).build()},
        {.verdict = XT_DROP_MALFORMED, .frame = from("192.0.2.1", {.ihl = 3}).udp(1, 2).build()},
        {.verdict = XT_PASS, .frame = PacketBuilder().eth().arp_request("192.0.2.1", "192.0.2.2").build()},
    };
    run_steps(steps);
    std::vector<Frame> frames;
    uint64_t total_bytes = 0;
    for (const auto& step : steps) {
        frames.push_back(*step.frame);
        total_bytes += step.frame->size();
    }
    const xt_stats s = stats();
    EXPECT_EQ(s.seen.packets, frames.size());
    EXPECT_EQ(s.seen.bytes, total_bytes);
    uint64_t verdict_packets = 0, verdict_bytes = 0;
    for (int v = XT_PASS; v < XT_VERDICT_COUNT; ++v) {
        verdict_packets += verdict_counter(s, xt_verdict(v)).packets;
        verdict_bytes += verdict_counter(s, xt_verdict(v)).bytes;
    }
    EXPECT_EQ(verdict_packets, s.seen.packets);
    EXPECT_EQ(verdict_bytes, s.seen.bytes);
    EXPECT_EQ(s.passed.packets, 2u);
    EXPECT_EQ(s.passed.bytes, frames[0].size() + frames[5].size());
    EXPECT_EQ(s.syn_source.packets, 1u);
    EXPECT_EQ(s.ip_deny.bytes, frames[2].size());
    EXPECT_EQ(s.banned.packets, 1u);
    EXPECT_EQ(s.malformed.packets, 1u);
}

TEST_F(CounterTest, TopDropsTallyEveryDropButMalformed) {
    config_.flags |= XT_CFG_TRACK_TOP;
    config_.spike = rate(1, kSecond, 1);
    apply_config();
    deny("192.0.2.66");
    const Frame denied = frame_from("192.0.2.66");
    run_steps(Steps(3, Step{"192.0.2.66", 0, 0, XT_DROP_IP_DENY}));
    auto tally = drop_tally("192.0.2.66");
    ASSERT_TRUE(tally);
    EXPECT_EQ(tally->packets, 3u);
    EXPECT_EQ(tally->bytes, 3 * denied.size());
    EXPECT_EQ(tally->last_verdict, uint32_t(XT_DROP_IP_DENY));

    run_steps({{"2001:db8::5", 0, 0, XT_PASS}});
    EXPECT_FALSE(drop_tally("2001:db8::5")) << "passed packets are not tallied";
    run_steps({{"2001:db8::5", 0, 0, XT_DROP_SPIKE}});
    ASSERT_TRUE(drop_tally("2001:db8::5"));
    EXPECT_EQ(drop_tally("2001:db8::5")->last_verdict, uint32_t(XT_DROP_SPIKE));

    const Frame malformed =
        PacketBuilder().eth().ipv4("192.0.2.99", "198.51.100.1", {.total_length = 9000}).udp(1, 2).build();
    run_steps({{.verdict = XT_DROP_MALFORMED, .frame = malformed}});
    EXPECT_FALSE(drop_tally("192.0.2.99"));
}

// The tally of the source a CPU dropped last is pending in a per-CPU slot until that CPU drops
// another source (abi.h, struct xt_drop_pending); `top` (read_top_drops) adds both, so it is exact
// across any interleaving of sources, whichever CPU each test run lands on.
TEST_F(CounterTest, TopDropsExactAcrossSourceChanges) {
    config_.flags |= XT_CFG_TRACK_TOP;
    apply_config();
    deny("192.0.2.1");
    deny("192.0.2.2");
    deny("2001:db8::3");
    const Frame a = frame_from("192.0.2.1");
    const Frame b = PacketBuilder().eth().ipv4("192.0.2.2", "198.51.100.1").udp(1, 2).payload(50).build();
    const Frame c = frame_from("2001:db8::3");
    const std::vector<const Frame*> order = {&a, &a, &a, &b, &b, &a, &c, &b, &a, &a, &c};
    std::map<const Frame*, uint64_t> sent;
    for (const Frame* f : order) {
        run_steps({{.verdict = XT_DROP_IP_DENY, .frame = *f}});
        ASSERT_FALSE(HasFailure());
        ++sent[f];
        // Exact after every single drop, whatever is pending where.
        ASSERT_EQ(drop_tally("192.0.2.1").value_or(xt_drop_tally{}).packets, sent[&a]);
        ASSERT_EQ(drop_tally("192.0.2.2").value_or(xt_drop_tally{}).packets, sent[&b]);
        ASSERT_EQ(drop_tally("2001:db8::3").value_or(xt_drop_tally{}).packets, sent[&c]);
    }
    EXPECT_EQ(drop_tally("192.0.2.1")->bytes, sent[&a] * a.size());
    EXPECT_EQ(drop_tally("192.0.2.2")->bytes, sent[&b] * b.size());
    const auto top = xt::read_top_drops(maps_, 2);
    ASSERT_TRUE(top.has_value());
    ASSERT_EQ(top->size(), 2u);
    EXPECT_TRUE((*top)[0].source == source_key("192.0.2.1"));
    EXPECT_EQ((*top)[0].packets, 6u);
    EXPECT_EQ((*top)[1].packets, 3u);
}

// On one CPU: a run stays in the pending slot and reaches the LRU when the source changes.
TEST_F(CounterTest, PendingRunIsFlushedWhenTheSourceChanges) {
    cpu_set_t one, before;
    ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    config_.flags |= XT_CFG_TRACK_TOP;
    apply_config();
    deny("192.0.2.1");
    deny("192.0.2.2");
    auto in_lru = [&](std::string_view ip) {
        const xt_addr key = source_key(ip);
        std::vector<xt_drop_tally> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
        uint64_t packets = 0;
        if (bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_TOP_DROPS)), &key, per_cpu.data()) == 0)
            for (const auto& t : per_cpu) packets += t.packets;
        return packets;
    };
    const Step a{"192.0.2.1", 0, 0, XT_DROP_IP_DENY};
    const Step b{"192.0.2.2", 0, 0, XT_DROP_IP_DENY};
    run_steps({a, a, a});
    EXPECT_EQ(in_lru("192.0.2.1"), 0u) << "a run of one source costs no LRU update";
    run_steps({b});
    EXPECT_EQ(in_lru("192.0.2.1"), 3u);
    EXPECT_EQ(in_lru("192.0.2.2"), 0u);
    run_steps({a});
    EXPECT_EQ(in_lru("192.0.2.2"), 1u);
    EXPECT_EQ(drop_tally("192.0.2.1")->packets, 4u);
    sched_setaffinity(0, sizeof before, &before);
}

TEST_F(CounterTest, LastVerdictIsTheLatestDrop) {
    config_.flags |= XT_CFG_TRACK_TOP;
    config_.spike = rate(1, kSecond, 1);
    apply_config();
    run_steps({{"192.0.2.9", 0, 0, XT_PASS}, {"192.0.2.9", 0, 0, XT_DROP_SPIKE}});
    EXPECT_EQ(drop_tally("192.0.2.9")->last_verdict, uint32_t(XT_DROP_SPIKE));
    deny("192.0.2.9");
    run_steps({{"192.0.2.9", 0, 0, XT_DROP_IP_DENY}});
    EXPECT_EQ(drop_tally("192.0.2.9")->last_verdict, uint32_t(XT_DROP_IP_DENY));
    EXPECT_EQ(drop_tally("192.0.2.9")->packets, 2u);
}

TEST_F(CounterTest, TopDropsOffByDefault) {
    deny("192.0.2.66");
    run_steps({{"192.0.2.66", 0, 0, XT_DROP_IP_DENY}});
    EXPECT_FALSE(drop_tally("192.0.2.66"));
}

}  // namespace
}  // namespace xt::test
