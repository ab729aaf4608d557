// `attach --size TABLE=N`: which tables may be sized, and how a bad value is reported.
#include <gtest/gtest.h>

#include "maps/tables.hpp"

namespace xt {
namespace {

TEST(TableSize, NamesEveryResizableTable) {
    const auto spike = parse_table_size("--size", "spike=1048576");
    ASSERT_TRUE(spike) << spike.error().message;
    EXPECT_EQ(spike->table, "spike");
    EXPECT_EQ(spike->map, XT_NAME(XT_MAP_SPIKE));
    EXPECT_EQ(spike->entries, 1048576u);
    for (const char* table : {"syn", "bans", "deny_hosts", "allow_hosts", "deny_v4", "deny_v6",
                              "allow_v4", "allow_v6", "top_drops", "bypass"}) {
        const auto size = parse_table_size("--size", std::string(table) + "=4096");
        ASSERT_TRUE(size) << table << ": " << size.error().message;
        EXPECT_TRUE(table_resizable(size->map)) << table;
    }
    EXPECT_TRUE(parse_table_size("--size", "bans=1024"));
    EXPECT_TRUE(parse_table_size("--size", "bans=67108864"));
}

// The tables indexed by the 16-bit slot hash (abi.h) keep their 65,536 slots.
TEST(TableSize, HashIndexedTablesAreNotSizable) {
    for (const char* table : {"floors", "deny_host_table", "allow_host_table"}) {
        const auto size = parse_table_size("--size", std::string(table) + "=131072");
        ASSERT_FALSE(size) << table;
        EXPECT_NE(size.error().message.find("no table '" + std::string(table) + "' whose size can be chosen"),
                  std::string::npos)
            << size.error().message;
    }
    EXPECT_FALSE(table_resizable(XT_NAME(XT_MAP_FLOORS)));
    EXPECT_FALSE(table_resizable(XT_NAME(XT_MAP_BAN_FILTER)));
    EXPECT_FALSE(table_resizable(XT_NAME(XT_MAP_DENY_HOST_TABLE)));
}

TEST(TableSize, BadValuesNameTheOption) {
    struct Case {
        const char* text;
        const char* message;
    };
    for (const Case& c : {Case{"spike", "--size spike: expected TABLE=ENTRIES, e.g. spike=1048576"},
                          Case{"spike=", "--size spike : not a whole number"},
                          Case{"spike=1k", "--size spike 1k: not a whole number"},
                          Case{"spike=1023", "--size spike 1023: must be between 1024 and 67108864"},
                          Case{"spike=67108865", "--size spike 67108865: must be between 1024 and 67108864"},
                          Case{"=4096", "--size =4096: no table '' whose size can be chosen (one of: spike, "
                                        "syn, bans, deny_hosts, deny_v4, deny_v6, allow_hosts, allow_v4, "
                                        "allow_v6, top_drops, bypass)"}}) {
        const auto size = parse_table_size("--size", c.text);
        ASSERT_FALSE(size) << c.text;
        EXPECT_EQ(size.error().message, c.message) << c.text;
        EXPECT_EQ(size.error().kind, ErrorKind::invalid_input);
    }
}

}  // namespace
}  // namespace xt
