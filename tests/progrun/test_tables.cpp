// The fill levels `xdp-throttle status` shows (maps/tables.hpp), read from the program's own maps
// after packets and rules put entries in them.
#include <algorithm>

#include "maps/tables.hpp"
#include "progrun_fixture.hpp"

namespace xt::test {
namespace {

using TablesTest = ProgRunTest;

const TableFill& table(const std::vector<TableFill>& tables, std::string_view name) {
    const auto it = std::find_if(tables.begin(), tables.end(), [&](const TableFill& t) { return t.table == name; });
    EXPECT_NE(it, tables.end()) << "no table " << name;
    static const TableFill none;
    return it == tables.end() ? none : *it;
}

TEST_F(TablesTest, CountsWhatEachTableHolds) {
    config_.spike = rate(10, kSecond, 4);
    apply_config();
    deny("198.51.100.7");
    deny("203.0.113.0/24");
    deny("2001:db8:bad::/48");
    allow("192.0.2.0/24");
    ban("192.0.2.99", kT0 + kSecond);
    Steps steps;
    for (const char* src : {"192.0.2.1", "192.0.2.2", "2001:db8::1"}) steps.push_back({src});
    for (int i = 0; i < 4; ++i) steps.push_back({"192.0.2.3"});  // 4 of 4: over half, a debtor
    steps.push_back({"192.0.2.3", 0, 0, XT_DROP_SPIKE});
    run_steps(steps);

    const auto tables = read_table_fill(maps_, nullptr);
    ASSERT_TRUE(tables) << tables.error().message;
    EXPECT_EQ(table(*tables, "spike").entries, 4u);
    EXPECT_EQ(table(*tables, "spike").max_entries, XT_SPIKE_MAX);
    EXPECT_EQ(table(*tables, "spike").map, XT_NAME(XT_MAP_SPIKE));
    EXPECT_GT(table(*tables, "spike").memlock_bytes, 0u);
    EXPECT_EQ(table(*tables, "syn").entries, 0u);
    EXPECT_EQ(table(*tables, "floors").entries, 1u) << "192.0.2.3's slot holds its debt";
    EXPECT_EQ(table(*tables, "floors").max_entries, XT_FLOOR_SLOTS);
    EXPECT_EQ(table(*tables, "bans").entries, 1u);
    EXPECT_EQ(table(*tables, "deny_host_table").entries, 1u);
    EXPECT_EQ(table(*tables, "deny_v4").entries, 1u);
    EXPECT_EQ(table(*tables, "deny_v6").entries, 1u);
    EXPECT_EQ(table(*tables, "allow_v4").entries, 1u);
    EXPECT_EQ(table(*tables, "top_drops").entries, 0u) << "top-drops tracking is off here";
    EXPECT_TRUE(std::none_of(tables->begin(), tables->end(), [](const TableFill& t) { return t.table == "bypass"; }))
        << "bypass only with the gateway maps";

    // The floor is "in debt" while it lies ahead of now: a burst's refill later it no longer counts.
    set_clock(kT0 + kSecond);
    const auto later = read_table_fill(maps_, nullptr);
    ASSERT_TRUE(later);
    EXPECT_EQ(table(*later, "floors").entries, 0u);
}

}  // namespace
}  // namespace xt::test
