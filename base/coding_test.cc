#include "base/coding.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace faultline {
namespace {

RC_GTEST_PROP(Coding, RoundTrips, (uint64_t u, int64_t s, const std::string& str, uint32_t f)) {
  std::string buf;
  PutVarint64(&buf, u);
  PutVarsint64(&buf, s);
  PutLengthPrefixed(&buf, str);
  PutFixed32(&buf, f);
  Decoder d(buf);
  RC_ASSERT(d.Varint64() == u);
  RC_ASSERT(d.Varsint64() == s);
  RC_ASSERT(d.LengthPrefixed() == str);
  RC_ASSERT(d.Fixed32() == f);
  RC_ASSERT(d.ok());
  RC_ASSERT(d.done());
}

RC_GTEST_PROP(Coding, TruncatedInputNeverReadsPastTheEnd, (const std::string& str)) {
  std::string buf;
  PutLengthPrefixed(&buf, str);
  buf.pop_back();
  Decoder d(buf);
  d.LengthPrefixed();
  RC_ASSERT(!d.ok());
}

TEST(Coding, OverlongVarintIsAnError) {
  std::string buf(11, '\xff');
  Decoder d(buf);
  d.Varint64();
  EXPECT_FALSE(d.ok());
}

}  // namespace
}  // namespace faultline
