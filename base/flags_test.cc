#include "base/flags.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(Flags, ParsesValuesSwitchesAndPositionals) {
  Flags f;
  f.Value("seed").Value("mode").Switch("keep-data");
  ASSERT_TRUE(f.Parse({"scn.json", "--seed", "7", "--mode=exactly-once", "--keep-data", "x"}).ok());
  EXPECT_EQ(f.positional(), (std::vector<std::string>{"scn.json", "x"}));
  EXPECT_EQ(**f.GetInt("seed"), 7);
  EXPECT_EQ(f.GetOr("mode", ""), "exactly-once");
  EXPECT_TRUE(f.Has("keep-data"));
  EXPECT_FALSE(f.GetInt("missing")->has_value());
}

TEST(Flags, RejectsUnknownFlagsMissingValuesAndNonIntegers) {
  Flags a;
  a.Value("seed");
  EXPECT_NE(a.Parse({"--sed", "1"}).message().find("--sed"), std::string::npos);
  Flags b;
  b.Value("seed");
  EXPECT_FALSE(b.Parse({"--seed"}).ok());
  Flags c;
  c.Value("seed");
  ASSERT_TRUE(c.Parse({"--seed", "x1"}).ok());
  EXPECT_FALSE(c.GetInt("seed").ok());
}

}  // namespace
}  // namespace faultline
