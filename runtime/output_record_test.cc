#include "runtime/output_record.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

namespace faultline::runtime {
namespace {

OutputRecord Count(uint64_t id, std::string key, int64_t count) {
  OutputRecord r;
  r.kind = OutputRecord::Kind::kCount;
  r.id = id;
  r.key = std::move(key);
  r.count = count;
  return r;
}

OutputRecord Window(std::string key, int64_t start, int64_t end, int64_t count) {
  OutputRecord r;
  r.kind = OutputRecord::Kind::kWindow;
  r.key = std::move(key);
  r.window_start = start;
  r.window_end = end;
  r.count = count;
  return r;
}

OutputRecord RoundTrip(const OutputRecord& r) {
  std::string bytes;
  EncodeOutputRecord(r, &bytes);
  Result<OutputRecord> back = DecodeOutputRecord(bytes);
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  return back.ok() ? *back : OutputRecord{};
}

TEST(OutputRecordTest, RoundTripsExtremes) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (const OutputRecord& r :
       {Count(0, "", 0), Count(42, "k7", 3), Count(UINT64_MAX, std::string("a\0b", 3), kMin),
        Window("k", kMin, kMax, -1), Window(std::string(1000, 'x'), 0, 1, kMax)}) {
    EXPECT_EQ(RoundTrip(r), r);
  }
}

TEST(OutputRecordTest, EncodeAppends) {
  std::string bytes = "prefix";
  EncodeOutputRecord(Count(1, "k", 1), &bytes);
  EXPECT_TRUE(bytes.starts_with("prefix"));
  EXPECT_TRUE(DecodeOutputRecord(std::string_view(bytes).substr(6)).ok());
}

TEST(OutputRecordTest, EveryTruncationIsCorruption) {
  std::string bytes;
  EncodeOutputRecord(Window("key", -5, 300, 1 << 20), &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<OutputRecord> r = DecodeOutputRecord(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  }
}

TEST(OutputRecordTest, MalformedPayloadsAreCorruption) {
  std::string good;
  EncodeOutputRecord(Count(7, "k", 1), &good);
  std::string unknown_kind = good;
  unknown_kind[0] = 9;
  std::string key_too_long = good;
  key_too_long[2] = 100;  // kind, id (1 byte), key length
  const std::string overlong_varint = std::string(1, '\x01') + std::string(11, '\xff');
  for (const std::string& bad : {unknown_kind, good + "x", key_too_long, overlong_varint}) {
    Result<OutputRecord> r = DecodeOutputRecord(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  }
}

TEST(OutputRecordTest, JsonLines) {
  EXPECT_EQ(OutputRecordToJson(Count(42, "k7", 3)), R"({"id":42,"key":"k7","count":3})");
  EXPECT_EQ(OutputRecordToJson(Window("k7", 1000, 2000, 17)),
            R"({"key":"k7","start":1000,"end":2000,"count":17})");
  EXPECT_EQ(OutputRecordToJson(Window("k", -2000, -1000, 0)),
            R"({"key":"k","start":-2000,"end":-1000,"count":0})");
}

TEST(OutputRecordTest, JsonEscapesKeys) {
  EXPECT_EQ(OutputRecordToJson(Count(1, "a\"b\\c\n\t\x01", 2)),
            R"({"id":1,"key":"a\"b\\c\n\t\u0001","count":2})");
  EXPECT_EQ(OutputRecordToJson(Count(1, "\xc3\xa9", 2)),
            "{\"id\":1,\"key\":\"\xc3\xa9\",\"count\":2}");
  // Invalid UTF-8 becomes U+FFFD rather than an exception or invalid JSON.
  EXPECT_EQ(OutputRecordToJson(Count(1, "a\xff", 2)),
            "{\"id\":1,\"key\":\"a\xef\xbf\xbd\",\"count\":2}");
}

RC_GTEST_PROP(OutputRecordProperty, EncodeDecodeRoundTrips,
              (uint64_t id, std::string key, int64_t count, int64_t start, int64_t end)) {
  OutputRecord r;
  r.kind = *rc::gen::element(OutputRecord::Kind::kCount, OutputRecord::Kind::kWindow);
  r.id = id;
  r.key = key;
  r.count = count;
  r.window_start = start;
  r.window_end = end;
  std::string bytes;
  EncodeOutputRecord(r, &bytes);
  Result<OutputRecord> back = DecodeOutputRecord(bytes);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == r);
}

}  // namespace
}  // namespace faultline::runtime
