// Rule files: comments, blank lines, whitespace, and FILE:LINE errors that apply nothing.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "input/rule_file.hpp"

namespace xt {
namespace {

Result<std::vector<Cidr>> parse(const std::string& text) {
    std::istringstream in(text);
    return parse_rule_stream(in, "block.txt");
}

TEST(RuleFile, SkipsCommentsAndBlankLines) {
    auto rules = parse("# blocklist\n\n10.0.0.0/8\n  192.0.2.1   # one host\n\t2001:db8::/32\r\n#last\n");
    ASSERT_TRUE(rules) << rules.error().message;
    ASSERT_EQ(rules->size(), 3u);
    EXPECT_EQ(format_cidr((*rules)[0]), "10.0.0.0/8");
    EXPECT_EQ(format_cidr((*rules)[1]), "192.0.2.1/32");
    EXPECT_EQ(format_cidr((*rules)[2]), "2001:db8::/32");
}

TEST(RuleFile, EmptyInputIsNoRules) {
    auto rules = parse("");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(rules->empty());
}

TEST(RuleFile, BadLineNamesFileLineAndValue) {
    auto rules = parse("10.0.0.0/8\n# ok\n10.0.0.1/8\n");
    ASSERT_FALSE(rules);
    EXPECT_EQ(rules.error().message, "block.txt:3: 10.0.0.1/8: host bits set (did you mean 10.0.0.0/8?)");
}

TEST(RuleFile, CountsFurtherBadLines) {
    auto rules = parse("banana\n10.0.0.0/8\nkiwi\n1.2.3.4/40\n");
    ASSERT_FALSE(rules);
    EXPECT_EQ(rules.error().message,
              "block.txt:1: banana: not an IPv4 or IPv6 address (and 2 more bad lines)");
}

TEST(RuleFile, TwoValuesOnOneLineIsAnError) {
    auto rules = parse("10.0.0.0/8 10.1.0.0/16\n");
    ASSERT_FALSE(rules);
    EXPECT_NE(rules.error().message.find("block.txt:1: 10.0.0.0/8 10.1.0.0/16"), std::string::npos)
        << rules.error().message;
}

TEST(RuleFile, LoadsFromDiskAndNamesMissingFiles) {
    const std::string path = ::testing::TempDir() + "xt_rules_test.txt";
    {
        std::ofstream out(path);
        out << "# test\n198.51.100.0/24\n";
    }
    auto rules = load_rule_file(path);
    ASSERT_TRUE(rules) << rules.error().message;
    EXPECT_EQ(rules->size(), 1u);
    std::remove(path.c_str());
    auto missing = load_rule_file("/nonexistent/xt-rules.txt");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "/nonexistent/xt-rules.txt: cannot open: No such file or directory");
}

}  // namespace
}  // namespace xt
