#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace faultline {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(Status, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(5).ok());
}

TEST(Status, IoErrorKeepsErrnoAndContext) {
  Status s = Status::IoError("fsync /x", EIO).WithContext("checkpoint 3");
  EXPECT_EQ(s.error_number(), EIO);
  EXPECT_EQ(s.ToString(), "IO error: checkpoint 3: fsync /x: Input/output error");
}

}  // namespace
}  // namespace faultline
