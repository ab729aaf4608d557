// Exact-host rules (/32, /128 in the host hashes) and the rule index (XT_CFG_INDEXED: presence
// bits and per-/16 deny counts) through the library, as the CLI writes them: the program must
// give the same verdicts and hit counts as if every rule sat in a trie. Packets (UDP) are steps of
// a table (progrun_fixture.hpp, Step).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

class HostRuleTest : public ProgRunTest {
protected:
    // In the list's host table (abi.h: bucket xt_host_bucket, XT_HOST_TABLE_WAYS slots).
    bool in_table(const char* table, std::string_view ip) const {
        const xt_addr key = source_key(ip);
        for (uint32_t way = 0; way < XT_HOST_TABLE_WAYS; ++way) {
            const uint32_t index = xt_host_bucket(&key) * XT_HOST_TABLE_WAYS + way;
            xt_host_slot slot{};
            if (bpf_map_lookup_elem(map_fd(table), &index, &slot) == 0 && slot.addr == key)
                return true;
        }
        return false;
    }
    bool in_host_map(const char* map, std::string_view ip) const {
        const xt_addr key = source_key(ip);
        xt_ip_rule rule{};
        return bpf_map_lookup_elem(map_fd(map), &key, &rule) == 0;
    }
    uint32_t cover_of(const char* map, std::string_view ipv4) const {
        const xt_addr a = source_key(ipv4);
        const uint32_t slot = ntohl(a.w[3]) >> 16;
        uint32_t count = 0;
        EXPECT_EQ(bpf_map_lookup_elem(map_fd(map), &slot, &count), 0);
        return count;
    }
    // Deny host rules in the /16 of this address, and deny trie rules intersecting it (abi.h).
    uint32_t host_cover(std::string_view ipv4) const {
        return cover_of(XT_NAME(XT_MAP_DENY4_HOSTS_COVER), ipv4);
    }
    uint32_t prefix_cover(std::string_view ipv4) const {
        return cover_of(XT_NAME(XT_MAP_DENY4_PREFIX_COVER), ipv4);
    }
    uint16_t present() const { return stored_config().present; }
};



// A host rule lives in the list's host table, or in the host hash for :: (which marks a free table
// slot); either way it matches only its host, counts its hits, and is gone once deleted.
struct HostCase {
    std::string name;
    std::string host;
    bool in_hash;
    Steps steps;  // after `deny host`
};
void PrintTo(const HostCase& c, std::ostream* os) { *os << c.name; }

class HostPlacementTest : public HostRuleTest, public ::testing::WithParamInterface<HostCase> {};

TEST_P(HostPlacementTest, MatchesOnlyItsHostUntilDeleted) {
    const HostCase& c = GetParam();
    deny(c.host);
    if (c.in_hash) EXPECT_TRUE(in_host_map(XT_NAME(XT_MAP_DENY_HOSTS), c.host));
    else EXPECT_TRUE(in_table(XT_NAME(XT_MAP_DENY_HOST_TABLE), c.host));
    run_steps(c.steps);
    EXPECT_EQ(deny_hits(c.host), 1u);
    undeny(c.host);
    run_steps({{c.host, 0, 0, XT_PASS, "deleted"}});
}

INSTANTIATE_TEST_SUITE_P(
    Hosts, HostPlacementTest,
    ::testing::Values(HostCase{"V4InTheTable", "192.0.2.10", false,
                               {{"192.0.2.10", 0, 0, XT_DROP_IP_DENY},
                                {"192.0.2.11", 0, 0, XT_PASS, "same /16, not the host"},
                                {"198.18.0.1", 0, 0, XT_PASS, "another /16"}}},
                      HostCase{"V6InTheTable", "2001:db8::bad", false,
                               {{"2001:db8::bad", 0, 0, XT_DROP_IP_DENY}, {"2001:db8::bae", 0, 0, XT_PASS}}},
                      HostCase{"UnspecifiedInTheHash", "::", true,
                               {{"::", 0, 0, XT_DROP_IP_DENY}, {"::1", 0, 0, XT_PASS}}}),
    [](const auto& info) { return info.param.name; });

TEST_F(HostRuleTest, DeleteRestoresThePathAndTheIndex) {
    deny("192.0.2.10");
    deny("2001:db8::bad");
    EXPECT_EQ(host_cover("192.0.2.10"), 1u);
    EXPECT_EQ(prefix_cover("192.0.2.10"), 0u);
    EXPECT_TRUE(present() & XT_HAS_DENY_HOSTS);
    run_steps({{"192.0.2.10", 0, 0, XT_DROP_IP_DENY}});
    undeny("192.0.2.10/32");
    EXPECT_EQ(host_cover("192.0.2.10"), 0u);
    run_steps({{"192.0.2.10", 0, 0, XT_PASS}});
    EXPECT_TRUE(present() & XT_HAS_DENY_HOSTS) << "the IPv6 host is still there";
    undeny("2001:db8::bad");
    EXPECT_FALSE(present() & XT_HAS_DENY_HOSTS);
    run_steps({{"2001:db8::bad", 0, 0, XT_PASS}});
    const auto rules = xt::list_rules(maps_, RuleList::deny);
    ASSERT_TRUE(rules.has_value());
    EXPECT_TRUE(rules->empty());
}

TEST_F(HostRuleTest, DeletingAnAbsentHostIsRefused) {
    deny("192.0.2.0/24");
    const Cidr host = cidr_of("192.0.2.7");
    EXPECT_FALSE(xt::delete_rules(maps_, RuleList::deny, {&host, 1}).has_value())
        << "a covering prefix is not the host rule";
    run_steps({{"192.0.2.7", 0, 0, XT_DROP_IP_DENY}});
}

TEST_F(HostRuleTest, HostBeatsItsCoveringPrefixForTheHit) {
    deny("10.1.0.0/16");
    deny("10.1.2.3");
    run_steps({
        {"10.1.2.3", 0, 0, XT_DROP_IP_DENY},
        {"10.1.9.9", 0, 0, XT_DROP_IP_DENY},
    });
    EXPECT_EQ(deny_hits("10.1.2.3/32"), 1u);
    EXPECT_EQ(deny_hits("10.1.0.0/16"), 1u);
    EXPECT_EQ(host_cover("10.1.2.3"), 1u);
    EXPECT_EQ(prefix_cover("10.1.2.3"), 1u);
}

TEST_F(HostRuleTest, ListShowsHostsAndPrefixesAsOneList) {
    deny("10.0.0.0/8");
    deny("192.0.2.10");
    deny("2001:db8::/32");
    deny("2001:db8::1");
    const auto rules = xt::list_rules(maps_, RuleList::deny);
    ASSERT_TRUE(rules.has_value());
    std::vector<std::string> listed;
    for (const auto& r : *rules) listed.push_back(format_cidr(r.cidr));
    EXPECT_EQ(listed, (std::vector<std::string>{"10.0.0.0/8", "192.0.2.10/32", "2001:db8::/32",
                                                "2001:db8::1/128"}));
    const Cidr again = cidr_of("192.0.2.10");
    const auto outcome = xt::add_rules(maps_, RuleList::deny, {&again, 1});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_EQ(outcome->already_present, 1u);
    EXPECT_EQ(host_cover("192.0.2.10"), 1u) << "a rule already present is not counted twice";
}

TEST_F(HostRuleTest, ShortPrefixCoversEveryOneOfItsSlash16s) {
    deny("10.0.0.0/8");
    EXPECT_EQ(prefix_cover("10.0.0.1"), 1u);
    EXPECT_EQ(prefix_cover("10.255.255.255"), 1u);
    EXPECT_EQ(prefix_cover("11.0.0.0"), 0u);
    EXPECT_EQ(host_cover("10.0.0.1"), 0u);
    run_steps({{"10.200.1.1", 0, 0, XT_DROP_IP_DENY}});
    undeny("10.0.0.0/8");
    EXPECT_EQ(prefix_cover("10.200.1.1"), 0u);
    run_steps({{"10.200.1.1", 0, 0, XT_PASS}});
}

TEST_F(HostRuleTest, AllowPolicyWithHostRules) {
    config_.flags |= XT_CFG_POLICY_ALLOW;
    apply_config();
    allow("192.0.2.5");
    allow("2001:db8::5");
    allow("198.51.100.0/24");
    EXPECT_TRUE(in_table(XT_NAME(XT_MAP_ALLOW_HOST_TABLE), "192.0.2.5"));
    run_steps({
        {"192.0.2.5", 0, 0, XT_PASS},
        {"192.0.2.6", 0, 0, XT_DROP_NOT_ALLOWED},
        {"198.51.100.77", 0, 0, XT_PASS},
        {"2001:db8::5", 0, 0, XT_PASS},
        {"2001:db8::6", 0, 0, XT_DROP_NOT_ALLOWED},
    });
    EXPECT_EQ(allow_hits("192.0.2.5/32"), 1u);
    EXPECT_EQ(allow_hits("2001:db8::5/128"), 1u);
    EXPECT_EQ(allow_hits("198.51.100.0/24"), 1u);
    deny("192.0.2.5");
    run_steps({{"192.0.2.5", 0, 0, XT_DROP_IP_DENY, "deny wins over allow"}});
}

// A config written without the index (bpftool, an older CLI) must not make the program skip
// rules: every map is looked up, including rules written straight into a trie.
TEST_F(HostRuleTest, UnindexedConfigLooksEverythingUp) {
    deny("192.0.2.10");
    const xt_lpm_v4 legacy = to_lpm_v4(cidr_of("203.0.113.9"));  // a /32 in the trie, by hand
    const xt_ip_rule zero{};
    ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_DENY_V4)), &legacy, &zero, BPF_NOEXIST), 0);
    run_steps({{"203.0.113.9", 0, 0, XT_PASS, "indexed: its /16 counts no rule"}});
    apply_config_unindexed();
    run_steps({
        {"203.0.113.9", 0, 0, XT_DROP_IP_DENY},
        {"192.0.2.10", 0, 0, XT_DROP_IP_DENY},
    });
    // The next library write rebuilds the index from the lists: the hand-written host moves into
    // the host hash with its hits and counts in its /16.
    apply_config();
    EXPECT_TRUE(stored_config().flags & XT_CFG_INDEXED);
    EXPECT_TRUE(in_table(XT_NAME(XT_MAP_DENY_HOST_TABLE), "203.0.113.9"));
    xt_ip_rule left{};
    EXPECT_NE(bpf_map_lookup_elem(map_fd(XT_NAME(XT_MAP_DENY_V4)), &legacy, &left), 0);
    EXPECT_EQ(host_cover("203.0.113.9"), 1u);
    EXPECT_EQ(prefix_cover("203.0.113.9"), 0u) << "it left the trie";
    run_steps({{"203.0.113.9", 0, 0, XT_DROP_IP_DENY}});
    EXPECT_EQ(deny_hits("203.0.113.9/32"), 2u);
    undeny("203.0.113.9");
    run_steps({{"203.0.113.9", 0, 0, XT_PASS}});
}

TEST_F(HostRuleTest, BulkAddIsAllOrNothingForTheIndexToo) {
    std::vector<Cidr> rules;
    for (int i = 0; i < 600; ++i)  // more /16s than the per-slot path: the batch path
        rules.push_back(cidr_of(fmt::format("{}.{}.0.0/16", 20 + i / 256, i % 256)));
    const auto added = xt::add_rules(maps_, RuleList::deny, rules);
    ASSERT_TRUE(added.has_value()) << added.error().message;
    EXPECT_EQ(added->added, 600u);
    EXPECT_EQ(prefix_cover("20.0.1.1"), 1u);
    EXPECT_EQ(prefix_cover("22.87.1.1"), 1u);
    EXPECT_EQ(prefix_cover("22.88.1.1"), 0u);
    run_steps({{"21.3.4.5", 0, 0, XT_DROP_IP_DENY}});
    ASSERT_TRUE(xt::delete_rules(maps_, RuleList::deny, rules).has_value());
    EXPECT_EQ(prefix_cover("21.3.4.5"), 0u);
    run_steps({{"21.3.4.5", 0, 0, XT_PASS}});
}

// The covers really gate the lookups: a host written behind the library's back into the hash of a
// /16 the hosts cover counts 0 for is not looked up (so rules go through the library).
TEST_F(HostRuleTest, CoverZeroSkipsTheHostHash) {
    deny("198.18.0.0/24");  // 198.18/16 has a prefix rule (so its trie is walked), no host rule
    const xt_addr raw = source_key("198.18.5.5");
    const xt_ip_rule zero{};
    ASSERT_EQ(bpf_map_update_elem(map_fd(XT_NAME(XT_MAP_DENY_HOSTS)), &raw, &zero, BPF_NOEXIST), 0);
    apply_config();  // present: the host hash is not empty now
    EXPECT_EQ(prefix_cover("198.18.5.5"), 1u);
    EXPECT_EQ(host_cover("198.18.5.5"), 0u);
    run_steps({
        {"198.18.5.5", 0, 0, XT_PASS},
        {"198.18.0.1", 0, 0, XT_DROP_IP_DENY},
    });
    apply_config_unindexed();
    run_steps({{"198.18.5.5", 0, 0, XT_DROP_IP_DENY}});
}

// A host whose table bucket is full goes to the host hash: still denied, counted, deletable; its
// bucket takes the next one after a delete.
TEST_F(HostRuleTest, FullBucketOverflowsIntoTheHash) {
    const xt_addr first = source_key("10.0.0.1");
    std::vector<std::string> same_bucket{"10.0.0.1"};
    for (uint32_t i = 2; same_bucket.size() < XT_HOST_TABLE_WAYS + 1; ++i) {
        xt_addr a = first;
        a.w[3] = htonl((10u << 24) + i);
        if (xt_host_bucket(&a) == xt_host_bucket(&first)) same_bucket.push_back(format_address(a));
    }
    for (const auto& ip : same_bucket) deny(ip);
    const std::string& extra = same_bucket.back();
    EXPECT_FALSE(in_table(XT_NAME(XT_MAP_DENY_HOST_TABLE), extra));
    EXPECT_TRUE(in_host_map(XT_NAME(XT_MAP_DENY_HOSTS), extra));
    EXPECT_TRUE(stored_config().present & XT_HAS_DENY_HOSTS_HASH);
    Steps denied;
    for (const auto& ip : same_bucket) denied.push_back({ip, 0, 0, XT_DROP_IP_DENY});
    run_steps(denied);
    EXPECT_EQ(deny_hits(extra), 1u);
    EXPECT_EQ(deny_hits(same_bucket.front()), 1u);
    for (const auto& ip : same_bucket) EXPECT_GE(host_cover(ip), 1u) << ip;
    undeny(extra);
    EXPECT_FALSE(stored_config().present & XT_HAS_DENY_HOSTS_HASH);
    run_steps({{extra, 0, 0, XT_PASS}});
    undeny(same_bucket.front());
    deny(extra);
    EXPECT_TRUE(in_table(XT_NAME(XT_MAP_DENY_HOST_TABLE), extra)) << "the freed way is reused";
    run_steps({{extra, 0, 0, XT_DROP_IP_DENY}});
}


// Hosts beyond what the table and the hash hold spill into the trie: still denied, listed,
// deletable.
TEST_F(HostRuleTest, HostsSpillIntoTheTrieWhenTableAndHashAreFull) {
    const uint32_t count = XT_HOST_TABLE_SLOTS + XT_DENY_HOSTS_MAX + 2;
    std::vector<Cidr> hosts(count, cidr_of("10.0.0.0"));
    for (uint32_t i = 0; i < count; ++i) hosts[i].addr.w[3] = htonl((10u << 24) + i);
    const auto added = xt::add_rules(maps_, RuleList::deny, hosts);
    ASSERT_TRUE(added.has_value()) << added.error().message;
    EXPECT_EQ(added->added, hosts.size());
    // Only hosts are in the trie: take the first one.
    xt_lpm_v4 spilled{};
    ASSERT_EQ(bpf_map_get_next_key(map_fd(XT_NAME(XT_MAP_DENY_V4)), nullptr, &spilled), 0);
    const Cidr host = from_lpm(spilled);
    const std::string ip = format_address(host.addr);
    EXPECT_EQ(host.prefix_len, 32u);
    EXPECT_GE(prefix_cover(ip), 1u);
    run_steps({{ip, 0, 0, XT_DROP_IP_DENY}});
    EXPECT_EQ(deny_hits(format_cidr(host)), 1u);
    const uint32_t before = prefix_cover(ip);
    undeny(format_cidr(host));
    EXPECT_EQ(prefix_cover(ip), before - 1);
    run_steps({{ip, 0, 0, XT_PASS}});
}

}  // namespace
}  // namespace xt::test
