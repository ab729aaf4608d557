// SYN limit: per-source bucket, then the global bucket; only TCP SYN without ACK, only in packets
// that carry the TCP header. Each case is a table of steps (progrun_fixture.hpp, StageCase).
#include <bpf/bpf.h>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

constexpr Bucket kOnePerSecond{1, kSecond, 1};

Steps many_new_sources() {
    // 20 new sources: 3 pass (the global burst); then, a second later, 10 more: 2 pass.
    Steps steps;
    for (int i = 1; i <= 30; ++i) {
        const bool passes = i <= 3 || i == 21 || i == 22;
        steps.push_back({"10.0.0." + std::to_string(i), kSyn, i == 21 ? kT0 + kSecond : 0,
                         passes ? XT_PASS : XT_DROP_SYN_GLOBAL});
    }
    return steps;
}

Steps source_drops_then_global() {
    Steps steps{{"192.0.2.1", kSyn, 0, XT_PASS, "global: 1 left"}};
    for (int i = 0; i < 5; ++i) steps.push_back({"192.0.2.1", kSyn, 0, XT_DROP_SYN_SOURCE});
    steps.push_back({"192.0.2.2", kSyn, 0, XT_PASS, "the global token is still there"});
    steps.push_back({"192.0.2.3", kSyn, 0, XT_DROP_SYN_GLOBAL});
    return steps;
}

// Offset != 0: the bytes where a TCP header would be are payload; they even look like a SYN.
Frame v4_non_first_fragment() {
    return PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1", {.fragment_offset = 3, .protocol = kIpProtoTcp})
        .payload(std::vector<uint8_t>{0x9c, 0x40, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, kSyn, 0xff, 0xff, 0, 0, 0, 0})
        .build();
}

Frame v6_first_fragment_syn() {
    return PacketBuilder().eth().ipv6("2001:db8::1", "2001:db8:1::1").ipv6_fragment(0, true).tcp(1, 80, kSyn)
        .payload(8).build();
}

std::vector<StageCase> syn_cases() {
    return {
        {.name = "PerSourceBurstThenRefill",
         .syn = {1, kSecond, 2},
         .steps = {{"192.0.2.1", kSyn, 0, XT_PASS},
                   {"192.0.2.1", kSyn, 0, XT_PASS},
                   {"192.0.2.1", kSyn, 0, XT_DROP_SYN_SOURCE},
                   {"192.0.2.2", kSyn, 0, XT_PASS, "another source, its own bucket"},
                   {"192.0.2.1", kSyn, kT0 + kSecond, XT_PASS, "one token earned"},
                   {"192.0.2.1", kSyn, 0, XT_DROP_SYN_SOURCE}}},
        {.name = "PerSourceIpv6",
         .syn = kOnePerSecond,
         .steps = {{"2001:db8::1", kSyn, 0, XT_PASS},
                   {"2001:db8::1", kSyn, 0, XT_DROP_SYN_SOURCE},
                   {"2001:db8::2", kSyn, 0, XT_PASS}}},
        {.name = "OnlySynWithoutAckIsLimited",
         .syn = kOnePerSecond,
         .syn_global = kOnePerSecond,
         .steps = {{"192.0.2.1", kSyn, 0, XT_PASS, "both buckets now empty"},
                   {"192.0.2.1", kSyn | kAck, 0, XT_PASS},
                   {"192.0.2.1", kAck, 0, XT_PASS},
                   {"192.0.2.1", kAck | kPsh, 0, XT_PASS},
                   {"192.0.2.1", kRst, 0, XT_PASS},
                   {"192.0.2.1", kFin | kAck, 0, XT_PASS},
                   {"192.0.2.1", kSyn, 0, XT_DROP_SYN_SOURCE}}},
        {.name = "GlobalBucketHoldsManyNewSources",
         .syn = {100, kSecond, 10},  // every source alone is far below its limit
         .syn_global = {2, kSecond, 3},
         .steps = many_new_sources()},
        {.name = "SourceDropTakesNoGlobalToken",
         .syn = kOnePerSecond,
         .syn_global = {1, kSecond, 2},
         .steps = source_drops_then_global()},
        {.name = "NonFirstFragmentSkipsTheSynStage",
         .syn = kOnePerSecond,
         .syn_global = kOnePerSecond,
         .steps = {{"192.0.2.1", kSyn, 0, XT_PASS},
                   {.note = "IPv4 non-first fragment", .frame = v4_non_first_fragment()},
                   {.note = "IPv6 non-first fragment",
                    .frame = PacketBuilder().eth().ipv6("2001:db8::1", "2001:db8:1::1").ipv6_fragment(3, false)
                                 .payload(20).build()}}},
        {.name = "SynInFirstFragmentIsLimited",
         .syn = kOnePerSecond,
         .steps = {{.frame = v6_first_fragment_syn()},
                   {.verdict = XT_DROP_SYN_SOURCE, .frame = v6_first_fragment_syn()}}},
        {.name = "SpikeIsJudgedBeforeSyn",
         .spike = kOnePerSecond,
         .syn = {1, kSecond, 5},
         .steps = {{"192.0.2.1", kSyn, 0, XT_PASS}, {"192.0.2.1", kSyn, 0, XT_DROP_SPIKE}}},
    };
}

XT_STAGE_TABLE(SynTable, syn_cases());

using SynTest = ProgRunTest;

// By address, a source's spike and SYN buckets share one XT_MAP_SPIKE entry (one lookup); both
// limits still hold exactly and independently.
TEST_F(SynTest, SpikeAndSynShareOneEntryPerAddress) {
    config_.spike = rate(10, kSecond, 3);
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    run_steps({{"192.0.2.1", kSyn, 0, XT_PASS}});
    const xt_addr key = source_key("192.0.2.1");
    xt_source_buckets buckets{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SPIKE)), &key, &buckets), 0);
    EXPECT_EQ(buckets.spike.tat_ns, kT0 + config_.spike.interval_ns);
    EXPECT_EQ(buckets.syn.tat_ns, kT0 + config_.syn.interval_ns) << "both charged at insertion";
    xt_gcra unused{};
    EXPECT_NE(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SYN)), &key, &unused), 0)
        << "XT_MAP_SYN is only for spike arrest per prefix";
    run_steps({
        {"192.0.2.1", kSyn, 0, XT_DROP_SYN_SOURCE},
        {"192.0.2.1", kAck, 0, XT_PASS, "spike bucket has tokens left"},
        {"192.0.2.1", kAck, 0, XT_DROP_SPIKE, "3 taken: burst spent"},
        {"192.0.2.1", kSyn, kT0 + kSecond, XT_PASS},
    });
}

TEST_F(SynTest, SynOnlyStillOneEntryAndSpikePerPrefixUsesTheSynMap) {
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    run_steps({
        {"192.0.2.1", kSyn, 0, XT_PASS},
        {"192.0.2.1", kSyn, 0, XT_DROP_SYN_SOURCE},
    });
    EXPECT_TRUE(spike_bucket_exists("192.0.2.1"));

    config_.spike = rate(100, kSecond, 100);
    config_.flags |= XT_CFG_SPIKE_PER_PREFIX;
    apply_config();
    run_steps({
        {"192.0.2.7", kSyn, 0, XT_PASS},
        {"192.0.2.7", kSyn, 0, XT_DROP_SYN_SOURCE},
        {"192.0.2.8", kSyn, 0, XT_PASS, "own SYN bucket, shared spike prefix"},
    });
    const xt_addr key = source_key("192.0.2.7");
    xt_gcra syn{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SYN)), &key, &syn), 0);
    EXPECT_TRUE(spike_bucket_exists("192.0.2.0"));
}

}  // namespace
}  // namespace xt::test
