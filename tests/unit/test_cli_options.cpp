// Option validation of the CLI verbs (input/validation.hpp): what the operator types, checked
// before anything is applied, without privileges.
#include <gtest/gtest.h>

#include "input/validation.hpp"
#include "loader/attachment.hpp"
#include "maps/config.hpp"
#include "maps/counters.hpp"
#include "common/rate.hpp"

namespace xt {
namespace {

TEST(ParseCount, NumbersAndRanges) {
    EXPECT_EQ(*parse_count("--rate", "100"), 100u);
    EXPECT_EQ(parse_count("--rate", "abc").error().message, "--rate abc: not a whole number");
    EXPECT_EQ(parse_count("--rate", "-1").error().message, "--rate -1: not a whole number");
    EXPECT_EQ(parse_count("--rate", "1.5").error().message, "--rate 1.5: not a whole number");
    EXPECT_EQ(parse_count("--rate", "").error().message, "--rate : not a whole number");
    EXPECT_EQ(parse_count("--rate", "0", 1).error().message, "--rate 0: must be at least 1");
    EXPECT_EQ(parse_count("-n", "5000", 1, 4096).error().message, "-n 5000: must be between 1 and 4096");
    EXPECT_FALSE(parse_count("--rate", "99999999999999999999999", 1));
}

TEST(CidrList, AllOrNothing) {
    auto ok = parse_cidr_list({"10.0.0.0/8", "2001:db8::1"});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->size(), 2u);
    auto bad = parse_cidr_list({"10.0.0.0/8", "banana", "10.0.0.1/8"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "banana: not an IPv4 or IPv6 address; nothing was applied");
    EXPECT_FALSE(parse_cidr_list({}));
}

TEST(Spike, ValidRequests) {
    auto s = validate_spike({"100", std::nullopt, "200", std::nullopt, std::nullopt, std::nullopt});
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->rate.rate, 100u);
    EXPECT_EQ(s->rate.every_ns, 1000000000u);  // default --every 1s
    EXPECT_EQ(s->rate.burst, 200u);
    EXPECT_FALSE(s->per_prefix);

    auto p = validate_spike({"10", "1m", "5", "prefix", "16", std::nullopt});
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_TRUE(p->per_prefix);
    EXPECT_EQ(p->rate.every_ns, 60000000000ull);
    EXPECT_EQ(*p->prefix_v4, 16);
    EXPECT_FALSE(p->prefix_v6);

    xt_config c = default_config();
    apply_spike(c, *p);
    EXPECT_TRUE(c.flags & XT_CFG_SPIKE_PER_PREFIX);
    EXPECT_EQ(c.spike_prefix_v4, 16);
    EXPECT_EQ(c.spike_prefix_v6, 64);  // kept
    EXPECT_TRUE(c.flags & XT_CFG_TRACK_TOP);
    apply_spike(c, *s);
    EXPECT_FALSE(c.flags & XT_CFG_SPIKE_PER_PREFIX);
    apply_limit_off(c, LimitStage::spike);
    EXPECT_FALSE(rate_enabled(c.spike));
}

TEST(Spike, BadRequestsNameTheOption) {
    auto msg = [](SpikeRequest r) { auto s = validate_spike(r); return s ? "OK" : s.error().message; };
    EXPECT_EQ(msg({std::nullopt, {}, "5", {}, {}, {}}), "limit spike needs --rate N");
    EXPECT_EQ(msg({"5", {}, std::nullopt, {}, {}, {}}), "limit spike needs --burst N");
    EXPECT_EQ(msg({"0", {}, "5", {}, {}, {}}), "--rate 0: must be at least 1");
    EXPECT_EQ(msg({"5", {}, "0", {}, {}, {}}), "--burst 0: must be at least 1");
    EXPECT_EQ(msg({"5", "10", "5", {}, {}, {}}),
              "--every 10: missing unit (ns, us, ms, s, m or h) (durations look like 250ms, 10s, 5m, 1h or 1m30s)");
    EXPECT_EQ(msg({"5", "0s", "5", {}, {}, {}}), "--every 0s: the period must be longer than 0");
    EXPECT_EQ(msg({"5", {}, "5", "host", {}, {}}), "--per host: expected 'address' or 'prefix'");
    EXPECT_EQ(msg({"5", {}, "5", {}, "24", {}}), "--prefix-v4/--prefix-v6 only apply with --per prefix");
    EXPECT_EQ(msg({"5", {}, "5", "prefix", "33", {}}), "--prefix-v4 33: must be between 1 and 32");
    EXPECT_EQ(msg({"5", {}, "5", "prefix", {}, "129"}), "--prefix-v6 129: must be between 1 and 128");
    EXPECT_EQ(msg({"5", {}, "5", "prefix", "0", {}}), "--prefix-v4 0: must be between 1 and 32");
    EXPECT_NE(msg({"100000000", {}, "5", {}, {}, {}}).find("too fast"), std::string::npos);
}

TEST(Syn, PerSourceAndGlobal) {
    auto s = validate_syn({"20", "40", std::nullopt, "5000", "10000"});
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->per_source.rate, 20u);
    EXPECT_EQ(s->global.rate, 5000u);
    EXPECT_EQ(s->global.burst, 10000u);
    auto only = validate_syn({"20", "40", "10s", std::nullopt, std::nullopt});
    ASSERT_TRUE(only);
    EXPECT_EQ(only->per_source.every_ns, 10000000000ull);
    EXPECT_FALSE(rate_enabled(only->global));  // the command sets the whole stage

    xt_config c = default_config();
    apply_syn(c, *s);
    EXPECT_TRUE(rate_enabled(c.syn) && rate_enabled(c.syn_global));
    apply_limit_off(c, LimitStage::syn);
    EXPECT_FALSE(rate_enabled(c.syn) || rate_enabled(c.syn_global));
}

TEST(Syn, BadRequests) {
    EXPECT_EQ(validate_syn({"20", "40", {}, "5000", std::nullopt}).error().message,
              "--global-rate and --global-burst go together");
    EXPECT_EQ(validate_syn({"20", std::nullopt, {}, {}, {}}).error().message, "limit syn needs --burst N");
    EXPECT_EQ(validate_syn({"20", "40", {}, "x", "5"}).error().message, "--global-rate x: not a whole number");
    EXPECT_FALSE(parse_limit_stage("spikes"));
    EXPECT_EQ(parse_limit_stage("spikes").error().message, "limit spikes: expected 'spike' or 'syn'");
}

TEST(Ban, ValidatesEverythingBeforeApplying) {
    auto b = validate_ban({{"192.0.2.1", "2001:db8::1"}, "10m", "abuse"});
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->addresses.size(), 2u);
    EXPECT_EQ(b->duration_ns, 600000000000ull);
    EXPECT_EQ(b->reason, "abuse");
    EXPECT_EQ(validate_ban({{"192.0.2.1", "nope"}, "10m", {}}).error().message,
              "nope: not an IPv4 or IPv6 address; nothing was applied");
    EXPECT_EQ(validate_ban({{"192.0.2.0/24"}, "10m", {}}).error().message,
              "192.0.2.0/24: expected an address, not a prefix; nothing was applied");
    EXPECT_EQ(validate_ban({{"192.0.2.1"}, std::nullopt, {}}).error().message,
              "ban add needs --for DURATION (e.g. --for 10m)");
    EXPECT_EQ(validate_ban({{"192.0.2.1"}, "0s", {}}).error().message, "--for 0s: a ban must last longer than 0");
    EXPECT_EQ(validate_ban({{"192.0.2.1"}, "forever", {}}).error().message,
              "--for forever: expected a number (durations look like 250ms, 10s, 5m, 1h or 1m30s)");
    EXPECT_EQ(validate_ban({{"192.0.2.1"}, "1h", std::string(33, 'x')}).error().message,
              "--reason '" + std::string(33, 'x') + "': at most 32 bytes");
    EXPECT_FALSE(validate_ban({{}, "1h", {}}));
}

TEST(Policy, ParsesAndApplies) {
    xt_config c = default_config();
    EXPECT_EQ(kPolicy.read(c), Policy::deny);
    kPolicy.write(c, *kPolicy.parse("allow"));
    EXPECT_EQ(kPolicy.read(c), Policy::allow);
    EXPECT_TRUE(c.flags & XT_CFG_TRACK_TOP);
    kPolicy.write(c, *kPolicy.parse("deny"));
    EXPECT_EQ(kPolicy.read(c), Policy::deny);
    EXPECT_EQ(kPolicy.parse("block").error().message, "policy block: expected 'deny' or 'allow'");
}

TEST(Clock, ParsesAppliesAndKeepsTheRest) {
    xt_config c = default_config();
    EXPECT_EQ(kClockMode.read(c), ClockMode::exact);  // the default: buckets exact
    auto s = validate_spike({"100", std::nullopt, "200", std::nullopt, std::nullopt, std::nullopt});
    ASSERT_TRUE(s) << s.error().message;
    apply_spike(c, *s);
    kPolicy.write(c, Policy::allow);
    const xt_config before = c;

    kClockMode.write(c, *kClockMode.parse("coarse"));
    EXPECT_EQ(kClockMode.read(c), ClockMode::coarse);
    EXPECT_EQ(c.flags, before.flags | XT_CFG_COARSE_CLOCK);  // only the clock flag changed
    EXPECT_EQ(c.spike.rate, 100u);
    EXPECT_EQ(kClockMode.name(kClockMode.read(c)), "coarse");
    kClockMode.write(c, *kClockMode.parse("coarse"));  // idempotent
    EXPECT_EQ(c.flags, before.flags | XT_CFG_COARSE_CLOCK);

    kClockMode.write(c, *kClockMode.parse("exact"));
    EXPECT_EQ(kClockMode.read(c), ClockMode::exact);
    EXPECT_EQ(c.flags, before.flags);
    EXPECT_EQ(kClockMode.name(ClockMode::exact), "exact");

    EXPECT_EQ(kClockMode.parse("fast").error().message, "limit clock fast: expected 'exact' or 'coarse'");
    EXPECT_EQ(kClockMode.parse("").error().message, "limit clock : expected 'exact' or 'coarse'");
    EXPECT_FALSE(kClockMode.parse("Coarse"));
}

TEST(Misc, WatchTopAndMode) {
    EXPECT_EQ(*validate_watch_seconds("2"), 2u);
    EXPECT_EQ(validate_watch_seconds("0").error().message, "--watch 0: must be between 1 and 86400");
    EXPECT_EQ(*validate_top_count("3"), 3u);
    EXPECT_FALSE(validate_top_count("0"));
    EXPECT_EQ(*parse_attach_mode("skb"), AttachMode::skb);
    EXPECT_EQ(*parse_attach_mode("native"), AttachMode::native);
    EXPECT_EQ(parse_attach_mode("hw").error().message, "--mode hw: expected 'native' or 'skb'");
}

TEST(DefaultConfig, MatchesTheDocumentedDefaults) {
    const xt_config c = default_config();
    EXPECT_EQ(c.flags, static_cast<uint32_t>(XT_CFG_TRACK_TOP));
    EXPECT_EQ(c.spike_prefix_v4, 24);
    EXPECT_EQ(c.spike_prefix_v6, 64);
    EXPECT_EQ(c.clock_override_ns, 0u);
    EXPECT_FALSE(rate_enabled(c.spike) || rate_enabled(c.syn) || rate_enabled(c.syn_global));
}

}  // namespace
}  // namespace xt

namespace xt {
namespace {

// The JSON keys of `stats --json` come from here; the e2e tests and bpftool users rely on them.
TEST(Counters, NamesFollowTheAbiOrder) {
    xt_stats s{};
    s.seen.packets = 1;
    s.passed.packets = 2;
    s.syn_global.packets = 9;
    const auto named = named_counters(s);
    std::vector<std::string> names;
    for (const auto& c : named) names.emplace_back(c.name);
    EXPECT_EQ(names, (std::vector<std::string>{"seen", "passed", "malformed", "ip_deny", "not_allowed",
                                               "banned", "spike", "syn_source", "syn_global",
                                               "redirected", "to_controller"}));
    EXPECT_EQ(named.front().counter.packets, 1u);
    EXPECT_EQ(named[1].counter.packets, 2u);
    EXPECT_EQ(named[8].counter.packets, 9u);
    EXPECT_EQ(verdict_name(XT_DROP_SPIKE), "spike");
    EXPECT_EQ(verdict_name(XT_VERDICT_COUNT), "unknown");
}

}  // namespace
}  // namespace xt
