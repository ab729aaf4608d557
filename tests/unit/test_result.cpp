// xt::Error's kind: derived from the errno for the errno-first forms, kept by XT_TRY and reword().
#include <gtest/gtest.h>

#include "common/result.hpp"
#include "input/address.hpp"
#include "input/rule_file.hpp"
#include "input/validation.hpp"

namespace {

using xt::ErrorKind;

xt::Result<int> positive(int x) {
    if (x < 0) return xt::failf(ErrorKind::invalid_input, "{}: expected 0 or more", x);
    return x;
}

xt::Status not_busy(int x) {
    if (x == 1) return xt::failf(EBUSY, "{} is busy", x);
    return {};
}

xt::Result<int> both(int x) {
    const int v = XT_TRY(positive(x).map_error(xt::reword("--count {}")));
    XT_TRY(not_busy(v).map_error(xt::reword("{}: {}", "here")));
    return v + 1;
}

}  // namespace

TEST(ErrorKind, ErrnoFirstFormsDeriveTheKind) {
    EXPECT_EQ(xt::Error(0, "x").kind, ErrorKind::invalid_input);
    EXPECT_EQ(xt::Error(EINVAL, "x").kind, ErrorKind::invalid_input);
    EXPECT_EQ(xt::Error(ENOENT, "x").kind, ErrorKind::not_found);
    EXPECT_EQ(xt::Error(ENODEV, "x").kind, ErrorKind::not_found);
    EXPECT_EQ(xt::Error(EBUSY, "x").kind, ErrorKind::busy);
    EXPECT_EQ(xt::Error(EEXIST, "x").kind, ErrorKind::busy);
    EXPECT_EQ(xt::Error(EOPNOTSUPP, "x").kind, ErrorKind::unsupported);
    EXPECT_EQ(xt::Error(EPERM, "x").kind, ErrorKind::kernel);
    auto legacy = xt::failf(ENOENT, "{} is gone", "eth9");
    EXPECT_EQ(legacy.value().kind, ErrorKind::not_found);
    EXPECT_EQ(legacy.value().code, ENOENT);
    EXPECT_EQ(legacy.value().message, "eth9 is gone");
    EXPECT_EQ(xt::fail("bad").value().kind, ErrorKind::invalid_input);
}

TEST(ErrorKind, KindFirstFormsCarryNoErrno) {
    auto e = xt::fail(ErrorKind::busy, "held").value();
    EXPECT_EQ(e.kind, ErrorKind::busy);
    EXPECT_EQ(e.code, 0);
}

TEST(ErrorKind, TryForwardsAndRewordKeepsKindAndErrno) {
    EXPECT_EQ(both(2), 3);
    auto bad = both(-1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(bad.error().message, "--count -1: expected 0 or more");
    auto busy = both(1);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().kind, ErrorKind::busy);
    EXPECT_EQ(busy.error().code, EBUSY);
    EXPECT_EQ(busy.error().message, "here: 1 is busy");
}

TEST(ErrorKind, LibraryErrorsSayWhatWentWrong) {
    EXPECT_EQ(xt::parse_cidr("10.0.0.1/33").error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(xt::parse_count("--rate", "x").error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(xt::load_rule_file("/nonexistent/rules.txt").error().kind, ErrorKind::not_found);
}
