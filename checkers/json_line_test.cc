#include "checkers/json_line.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace faultline::checkers {
namespace {

std::vector<JsonMember> Scan(std::string_view line) {
  std::vector<JsonMember> members;
  Status s = ScanJsonObjectLine(line, &members);
  EXPECT_TRUE(s.ok()) << line << ": " << s.ToString();
  return members;
}

std::string ScanError(std::string_view line) {
  std::vector<JsonMember> members;
  Status s = ScanJsonObjectLine(line, &members);
  EXPECT_FALSE(s.ok()) << line;
  EXPECT_TRUE(s.IsCorruption());
  return s.message();
}

TEST(JsonLine, ScansEveryKindOfMember) {
  auto m = Scan(
      R"({"s":"k7","n":-42,"f":1.5e3,"yes":true,"no":false,"nil":null,"o":{"a":[1,{"b":2}]},"a":[]})");
  ASSERT_EQ(m.size(), 8u);
  EXPECT_EQ(m[0].name, "s");
  EXPECT_EQ(m[0].kind, JsonMember::Kind::kString);
  EXPECT_EQ(m[0].raw, "k7");
  EXPECT_EQ(m[1].kind, JsonMember::Kind::kNumber);
  EXPECT_TRUE(m[1].is_int);
  EXPECT_EQ(m[1].int_value, -42);
  EXPECT_EQ(m[2].raw, "1.5e3");
  EXPECT_FALSE(m[2].is_int);
  EXPECT_EQ(m[3].kind, JsonMember::Kind::kTrue);
  EXPECT_EQ(m[4].kind, JsonMember::Kind::kFalse);
  EXPECT_EQ(m[5].kind, JsonMember::Kind::kNull);
  EXPECT_EQ(m[6].kind, JsonMember::Kind::kObject);
  EXPECT_EQ(m[6].raw, R"({"a":[1,{"b":2}]})");
  EXPECT_EQ(m[7].kind, JsonMember::Kind::kArray);
  EXPECT_EQ(m[7].raw, "[]");
}

TEST(JsonLine, AcceptsWhitespaceAnywhereJsonDoes) {
  auto m = Scan(" \t{ \"a\" : 1 , \"b\" :\t[ 1 , 2 ] , \"c\" : \"x\" }\r");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].int_value, 1);
  EXPECT_EQ(m[1].raw, "[ 1 , 2 ]");
  EXPECT_EQ(m[2].raw, "x");
  EXPECT_TRUE(Scan("{}").empty());
  EXPECT_TRUE(Scan(" { } ").empty());
}

TEST(JsonLine, FindsTheEndOfStringsOfEveryLengthAndEscape) {
  // The scanner reads eight bytes at a time: try the closing quote at every position.
  for (size_t len = 0; len < 40; ++len) {
    std::string value(len, 'x');
    std::string line = "{\"k\":\"" + value + "\",\"z\":1}";  // members point into it
    auto m = Scan(line);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].raw, value);
    EXPECT_FALSE(m[0].escaped);
    EXPECT_EQ(m[1].int_value, 1);
    if (len >= 1) {
      std::string escaped = value;
      escaped.insert(len / 2, "\\\"");
      std::string escaped_line = "{\"k\":\"" + escaped + "\"}";
      auto e = Scan(escaped_line);
      EXPECT_EQ(e[0].raw, escaped);
      EXPECT_TRUE(e[0].escaped);
    }
  }
  std::string utf8_line = "{\"k\":\"h\xC3\xA9llo w\xC3\xB6rld\"}";
  auto utf8 = Scan(utf8_line);
  EXPECT_EQ(utf8[0].raw, "h\xC3\xA9llo w\xC3\xB6rld");
}

TEST(JsonLine, ParsesIntegersOfEveryLength) {
  int64_t expected = 0;
  for (int digits = 1; digits <= 18; ++digits) {
    expected = expected * 10 + digits % 10;
    std::string text = std::to_string(expected);
    for (const std::string& line :
         {"{\"n\":" + text + "}", "{\"n\":" + text + ",\"m\":0}", "{\"n\":-" + text + "}"}) {
      auto m = Scan(line);
      ASSERT_TRUE(m[0].is_int) << line;
      EXPECT_EQ(m[0].int_value, line[5] == '-' ? -expected : expected) << line;
    }
  }
  const std::string big_line = "{\"n\":18446744073709551615}";
  auto big = Scan(big_line);  // 20 digits: left to the slow path
  EXPECT_FALSE(big[0].is_int);
  uint64_t u;
  EXPECT_TRUE(ParseJsonUint64(big[0].raw, &u));
  EXPECT_EQ(u, 18446744073709551615ULL);
  int64_t i;
  EXPECT_FALSE(ParseJsonInt64(big[0].raw, &i));
  EXPECT_FALSE(ParseJsonInt64("1.5", &i));
  EXPECT_EQ(Scan("{\"n\":0}")[0].int_value, 0);
  EXPECT_EQ(Scan("{\"n\":-0}")[0].int_value, 0);
}

TEST(JsonLine, RejectsMalformedLinesNamingTheColumn) {
  EXPECT_EQ(ScanError(""), "column 1: empty line, expected a JSON object");
  EXPECT_EQ(ScanError("[1]"), "column 1: expected '{'");
  EXPECT_EQ(ScanError(R"({"t":1)"), "column 7: line ends inside the object (truncated?)");
  EXPECT_EQ(ScanError(R"({"t":12,"type":"inp)"),
            "column 20: line ends inside a string (truncated?)");
  EXPECT_EQ(ScanError(R"({"t":)"), "column 6: line ends where a value was expected (truncated?)");
  EXPECT_EQ(ScanError(R"({"t":1}x)"), "column 8: unexpected text after the object");
  EXPECT_EQ(ScanError(R"({"t":1}{"t":2})"), "column 8: unexpected text after the object");
  EXPECT_EQ(ScanError(R"({"t" 1})"), "column 6: expected ':' after the member name");
  EXPECT_EQ(ScanError(R"({t:1})"), "column 2: expected a member name in quotes");
  EXPECT_EQ(ScanError(R"({"t":1,})"), "column 8: expected a member name in quotes");
  EXPECT_EQ(ScanError(R"({"t":tru})"),
            "column 6: expected a value (string, number, object, array, true, false or null)");
  EXPECT_EQ(ScanError(R"({"t":01})"), "column 7: expected ',' or '}'");
  EXPECT_EQ(ScanError(R"({"t":1.})"), "column 9: expected digits after '.' in a number");
  EXPECT_EQ(ScanError(R"({"t":"a\qb"})"), "column 9: bad escape in a string");
  EXPECT_EQ(ScanError("{\"t\":\"a\tb\"}"), "column 8: control character inside a string");
  EXPECT_EQ(ScanError(R"({"t":[1,2)"), "column 10: line ends inside a nested value (truncated?)");
  EXPECT_EQ(ScanError(R"({"t":[1,2})"), "column 10: expected ',' or ']'");
  EXPECT_EQ(ScanError(R"({"t":{"a" 1}})"), "column 11: expected ':' after the member name");
  std::string deep = "{\"t\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_NE(ScanError(deep).find("nested too deeply"), std::string::npos);
}

TEST(JsonLine, DecodesEscapes) {
  std::string out;
  DecodeJsonString(R"(a\"b\\c\/d\n\t\u00e9\ud83d\ude00\ud800x)", &out);
  EXPECT_EQ(out, "a\"b\\c/d\n\t\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBDx");
}

}  // namespace
}  // namespace faultline::checkers
