#include "base/json.h"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(JsonObject, ReadsFieldsAndKeepsDefaults) {
  auto j =
      *ParseJson(R"({"n": 3, "name": "x", "on": true, "mode": "b", "sub": {"d": 1.5}})", "t.json");
  JsonObject o(j, "$", "t.json");
  int64_t n = 0, absent = 9;
  std::string name, mode = "a";
  bool on = false;
  ASSERT_TRUE(o.Int("n", &n, {.min = 1}).ok());
  ASSERT_TRUE(o.Int("absent", &absent).ok());
  ASSERT_TRUE(o.String("name", &name).ok());
  ASSERT_TRUE(o.Bool("on", &on).ok());
  ASSERT_TRUE(o.Enum("mode", &mode, {"a", "b"}).ok());
  auto sub = o.Object("sub");
  ASSERT_TRUE(sub.ok() && sub->has_value());
  double d = 0;
  ASSERT_TRUE((*sub)->Double("d", &d).ok());
  EXPECT_TRUE((*sub)->Finish().ok());
  EXPECT_TRUE(o.Finish().ok());
  EXPECT_EQ(n, 3);
  EXPECT_EQ(absent, 9);
  EXPECT_EQ(mode, "b");
  EXPECT_DOUBLE_EQ(d, 1.5);
}

TEST(JsonObject, ErrorsNameTheSourceThePathAndWhatWasExpected) {
  auto j =
      *ParseJson(R"({"job": {"parallelism": "two", "extra": 1, "mode": "sometimes"}})", "c.json");
  JsonObject root(j, "$", "c.json");
  auto job = *root.Object("job", JsonObject::Need::kRequired);
  int p = 1;
  Status s = job->Int("parallelism", &p);
  EXPECT_EQ(s.message(), "c.json: $.job.parallelism: expected an integer, got a string \"two\"");
  std::string mode;
  Status e = job->Enum("mode", &mode, {"exactly-once", "at-least-once"});
  EXPECT_NE(e.message().find("$.job.mode: expected one of \"exactly-once\""), std::string::npos);
  Status f = job->Finish();
  EXPECT_NE(f.message().find("$.job.extra: unknown key"), std::string::npos) << f.message();
  int64_t missing = 0;
  EXPECT_NE(
      job->Int("workers", &missing, {}, JsonObject::Need::kRequired).message().find("missing"),
      std::string::npos);
  int64_t small = 0;
  auto k = *ParseJson(R"({"n": 0})", "x");
  EXPECT_NE(JsonObject(k, "$", "x").Int("n", &small, {.min = 1}).message().find(">= 1"),
            std::string::npos);
}

TEST(JsonObject, SyntaxErrorsGiveTheByteOffset) {
  auto r = ParseJson("{\"a\": ", "s.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("s.json: invalid JSON at byte"), std::string::npos);
}

TEST(JsonObject, NonObjectIsAnError) {
  auto j = *ParseJson("[1]", "a.json");
  JsonObject o(j, "$", "a.json");
  int64_t x = 0;
  EXPECT_NE(o.Int("x", &x).message().find("expected an object, got an array"), std::string::npos);
}

}  // namespace
}  // namespace faultline
