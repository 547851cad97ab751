#include "base/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace faultline::crc32c {
namespace internal {
uint32_t ExtendPortableForTest(uint32_t crc, const char* data, size_t n);
}

TEST(Crc32c, StandardVectors) {
  // RFC 3720, B.4
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62a8ab43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Value(inc), 0x46dd794eu);
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
}

TEST(Crc32c, MaskRoundTripsAndChangesValue) {
  uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

RC_GTEST_PROP(Crc32c, ExtendEqualsWholeAndHardwareEqualsPortable,
              (const std::string& a, const std::string& b)) {
  std::string ab = a + b;
  RC_ASSERT(Extend(Value(a), b.data(), b.size()) == Value(ab));
  RC_ASSERT(internal::ExtendPortableForTest(0, ab.data(), ab.size()) == Value(ab));
}

}  // namespace faultline::crc32c
