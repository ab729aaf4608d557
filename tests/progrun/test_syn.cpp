// SYN limit: per-source bucket, then the global bucket; only TCP SYN without ACK, only in packets
// that carry the TCP header.
#include <bpf/bpf.h>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

Frame tcp_from(const char* src, uint8_t flags) {
    if (std::string_view(src).find(':') != std::string_view::npos)
        return PacketBuilder().eth().ipv6(src, "2001:db8:1::1").tcp(40000, 443, flags).build();
    return PacketBuilder().eth().ipv4(src, "198.51.100.1").tcp(40000, 80, flags).build();
}

using SynTest = ProgRunTest;

TEST_F(SynTest, PerSourceBurstThenRefill) {
    config_.syn = rate(1, kSecond, 2);
    apply_config();
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpDrop);
    EXPECT_EQ(run(tcp_from("192.0.2.2", kSyn)), kXdpPass) << "another source, its own bucket";
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE), 1u);
    set_clock(kT0 + kSecond);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE), 2u);
}

TEST_F(SynTest, PerSourceIpv6) {
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    EXPECT_EQ(run(tcp_from("2001:db8::1", kSyn)), kXdpPass);
    EXPECT_EQ(run(tcp_from("2001:db8::1", kSyn)), kXdpDrop);
    EXPECT_EQ(run(tcp_from("2001:db8::2", kSyn)), kXdpPass);
}

TEST_F(SynTest, OnlySynWithoutAckIsLimited) {
    config_.syn = rate(1, kSecond, 1);
    config_.syn_global = rate(1, kSecond, 1);
    apply_config();
    ASSERT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);  // both buckets now empty
    for (uint8_t flags : {uint8_t(kSyn | kAck), kAck, uint8_t(kAck | kPsh), kRst, uint8_t(kFin | kAck)})
        EXPECT_EQ(run(tcp_from("192.0.2.1", flags)), kXdpPass) << "flags " << int(flags);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE) + packets(XT_DROP_SYN_GLOBAL), 1u);
}

TEST_F(SynTest, GlobalBucketHoldsManyNewSources) {
    config_.syn = rate(100, kSecond, 10);  // every source alone is far below its limit
    config_.syn_global = rate(2, kSecond, 3);
    apply_config();
    int passed = 0;
    for (int i = 1; i <= 20; ++i) {
        const std::string src = "10.0.0." + std::to_string(i);
        if (run(tcp_from(src.c_str(), kSyn)) == kXdpPass) ++passed;
    }
    EXPECT_EQ(passed, 3);
    EXPECT_EQ(packets(XT_DROP_SYN_GLOBAL), 17u);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE), 0u);
    set_clock(kT0 + kSecond);  // two tokens earned
    passed = 0;
    for (int i = 21; i <= 30; ++i) {
        const std::string src = "10.0.0." + std::to_string(i);
        if (run(tcp_from(src.c_str(), kSyn)) == kXdpPass) ++passed;
    }
    EXPECT_EQ(passed, 2);
}

TEST_F(SynTest, SourceDropTakesNoGlobalToken) {
    config_.syn = rate(1, kSecond, 1);
    config_.syn_global = rate(1, kSecond, 2);
    apply_config();
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);  // global: 1 left
    for (int i = 0; i < 5; ++i) EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE), 5u);
    EXPECT_EQ(run(tcp_from("192.0.2.2", kSyn)), kXdpPass) << "the global token is still there";
    EXPECT_EQ(run(tcp_from("192.0.2.3", kSyn)), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_SYN_GLOBAL), 1u);
}

TEST_F(SynTest, NonFirstFragmentSkipsTheSynStage) {
    config_.syn = rate(1, kSecond, 1);
    config_.syn_global = rate(1, kSecond, 1);
    apply_config();
    ASSERT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
    // Offset != 0: the bytes where a TCP header would be are payload; they even look like a SYN.
    const Frame v4_frag = PacketBuilder().eth().ipv4("192.0.2.1", "198.51.100.1",
                                                     {.fragment_offset = 3, .protocol = kIpProtoTcp})
                              .payload(std::vector<uint8_t>{0x9c, 0x40, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50,
                                                            kSyn, 0xff, 0xff, 0, 0, 0, 0})
                              .build();
    EXPECT_EQ(run(v4_frag), kXdpPass);
    const Frame v6_frag = PacketBuilder().eth().ipv6("2001:db8::1", "2001:db8:1::1").ipv6_fragment(3, false)
                              .payload(20).build();
    EXPECT_EQ(run(v6_frag), kXdpPass);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE) + packets(XT_DROP_SYN_GLOBAL), 0u);
}

TEST_F(SynTest, SynInFirstFragmentIsLimited) {
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    const Frame first = PacketBuilder().eth().ipv6("2001:db8::1", "2001:db8:1::1").ipv6_fragment(0, true)
                            .tcp(1, 80, kSyn).payload(8).build();
    EXPECT_EQ(run(first), kXdpPass);
    EXPECT_EQ(run(first), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE), 1u);
}

TEST_F(SynTest, SpikeIsJudgedBeforeSyn) {
    config_.spike = rate(1, kSecond, 1);
    config_.syn = rate(1, kSecond, 5);
    apply_config();
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_SPIKE), 1u);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE), 0u);
}

// By address, a source's spike and SYN buckets share one XT_MAP_SPIKE entry (one lookup); both
// limits still hold exactly and independently.
TEST_F(SynTest, SpikeAndSynShareOneEntryPerAddress) {
    config_.spike = rate(10, kSecond, 3);
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
    const xt_addr key = source_key("192.0.2.1");
    xt_source_buckets buckets{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SPIKE)), &key, &buckets), 0);
    EXPECT_EQ(buckets.spike.tat_ns, kT0 + config_.spike.interval_ns);
    EXPECT_EQ(buckets.syn.tat_ns, kT0 + config_.syn.interval_ns) << "both charged at insertion";
    xt_gcra unused{};
    EXPECT_NE(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SYN)), &key, &unused), 0)
        << "XT_MAP_SYN is only for spike arrest per prefix";
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpDrop);
    EXPECT_EQ(packets(XT_DROP_SYN_SOURCE), 1u);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kAck)), kXdpPass) << "spike bucket has tokens left";
    EXPECT_EQ(run(tcp_from("192.0.2.1", kAck)), kXdpDrop) << "3 taken: burst spent";
    EXPECT_EQ(packets(XT_DROP_SPIKE), 1u);
    set_clock(kT0 + kSecond);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
}

TEST_F(SynTest, SynOnlyStillOneEntryAndSpikePerPrefixUsesTheSynMap) {
    config_.syn = rate(1, kSecond, 1);
    apply_config();
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpPass);
    EXPECT_EQ(run(tcp_from("192.0.2.1", kSyn)), kXdpDrop);
    EXPECT_TRUE(spike_bucket_exists("192.0.2.1"));

    config_.spike = rate(100, kSecond, 100);
    config_.flags |= XT_CFG_SPIKE_PER_PREFIX;
    apply_config();
    EXPECT_EQ(run(tcp_from("192.0.2.7", kSyn)), kXdpPass);
    EXPECT_EQ(run(tcp_from("192.0.2.7", kSyn)), kXdpDrop);
    EXPECT_EQ(run(tcp_from("192.0.2.8", kSyn)), kXdpPass) << "own SYN bucket, shared spike prefix";
    const xt_addr key = source_key("192.0.2.7");
    xt_gcra syn{};
    ASSERT_EQ(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_SYN)), &key, &syn), 0);
    EXPECT_TRUE(spike_bucket_exists("192.0.2.0"));
}

}  // namespace
}  // namespace xt::test
