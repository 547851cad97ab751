#include "checkers/json_line.h"

#include <array>
#include <charconv>
#include <cstring>

namespace faultline::checkers {
namespace {

constexpr int kMaxDepth = 64;
constexpr int kMaxExactDigits = 18;  // any 18-digit integer fits an int64

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Bytes that end the fast run through a string: the closing quote, an escape, a control byte.
constexpr std::array<bool, 256> kStringStop = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

// The scanning functions take the position of their token's first byte and return the
// position just past it, or nullptr after recording in `*err` where and what was expected.
// Positions live in registers: nothing here touches memory but the line and the members.
struct ScanError {
  const char* at = nullptr;
  const char* what = "";
};

[[gnu::always_inline]] inline const char* Fail(const char* at, const char* what, ScanError* err) {
  err->at = at;
  err->what = what;
  return nullptr;
}

[[gnu::always_inline]] inline const char* SkipSpace(const char* p, const char* end) {
  while (p < end && static_cast<unsigned char>(*p) <= ' ' &&
         (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
    ++p;
  }
  return p;
}

const char* ScanEscape(const char* p, const char* end, ScanError* err) {
  // p is at the backslash.
  if (++p == end) return Fail(p, "line ends inside a string (truncated?)", err);
  switch (*p) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
      return p + 1;
    case 'u':
      for (int i = 0; i < 4; ++i) {
        if (++p == end || HexValue(*p) < 0) return Fail(p, "bad \\u escape in a string", err);
      }
      return p + 1;
    default:
      return Fail(p, "bad escape in a string", err);
  }
}

uint64_t Load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// The high bit of the first byte of `x` that ends a run of plain string bytes is set
// (bytes above it may be flagged spuriously).
uint64_t StringStopBits(uint64_t x) {
  auto zero_bytes = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const uint64_t quote = zero_bytes(x ^ (kOnes * '"'));
  const uint64_t backslash = zero_bytes(x ^ (kOnes * '\\'));
  const uint64_t control = (x - kOnes * 0x20) & ~x & kHighs;
  return quote | backslash | control;
}

// p is just past the opening quote. Eight bytes at a time while the line has them.
[[gnu::always_inline]] inline const char* ScanString(const char* p, const char* end,
                                                     std::string_view* raw, bool* escaped,
                                                     ScanError* err) {
  const char* start = p;
  *escaped = false;
  while (true) {
    while (end - p >= 8) {
      const uint64_t stop = StringStopBits(Load8(p));
      if (stop != 0) {
        p += __builtin_ctzll(stop) / 8;
        break;
      }
      p += 8;
    }
    while (p < end && !kStringStop[static_cast<unsigned char>(*p)]) ++p;
    if (p == end) return Fail(p, "line ends inside a string (truncated?)", err);
    if (*p == '"') {
      *raw = std::string_view(start, static_cast<size_t>(p - start));
      return p + 1;
    }
    if (*p != '\\') return Fail(p, "control character inside a string", err);
    *escaped = true;
    p = ScanEscape(p, end, err);
    if (p == nullptr) return nullptr;
  }
}

// How many of the 8 bytes of `x` are digits before the first that is not (0 to 8).
int LeadingDigits(uint64_t x) {
  const uint64_t v = x ^ (kOnes * '0');  // digits become 0..9
  const uint64_t not_digit = ((v + kOnes * 0x76) | v) & kHighs;
  return not_digit == 0 ? 8 : __builtin_ctzll(not_digit) / 8;
}

// The value of the first `n` (1 to 8) digit bytes of `x` (simdjson's eight-digit trick, with
// leading zeros shifted in).
uint64_t DigitsValue(uint64_t x, int n) {
  uint64_t v = (x - kOnes * '0') << (8 * (8 - n));
  v = v * 10 + (v >> 8);
  return (((v & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
          (((v >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
         32;
}

constexpr uint64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

const char* ScanDigits(const char* p, const char* end) {
  if (p == end || !IsDigit(*p)) return nullptr;
  while (p < end && IsDigit(*p)) ++p;
  return p;
}

// A number per RFC 8259; `*is_int` when it is an integer of at most 18 digits (`*value`).
[[gnu::always_inline]] inline const char* ScanNumber(const char* p, const char* end, bool* is_int,
                                                     int64_t* value, ScanError* err) {
  const bool negative = *p == '-';
  if (negative) ++p;
  if (p == end) return Fail(p, "line ends inside a number (truncated?)", err);
  const char* digits = p;
  uint64_t v = 0;
  if (*p == '0') {
    ++p;
  } else if (IsDigit(*p)) {
    while (end - p >= 8) {
      const uint64_t x = Load8(p);
      const int n = LeadingDigits(x);
      if (n == 0) break;
      v = v * kPow10[n] + DigitsValue(x, n);
      p += n;
      if (n < 8) break;
    }
    while (p < end && IsDigit(*p)) v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  } else {
    return Fail(p, "expected a value (string, number, object, array, true, false or null)", err);
  }
  *is_int = p - digits <= kMaxExactDigits;
  if (p < end && *p == '.') {
    *is_int = false;
    p = ScanDigits(p + 1, end);
    if (p == nullptr) return Fail(end, "expected digits after '.' in a number", err);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    *is_int = false;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    const char* q = ScanDigits(p, end);
    if (q == nullptr) return Fail(p, "expected digits in a number's exponent", err);
    p = q;
  }
  *value = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return p;
}

const char* ScanLiteral(const char* p, const char* end, std::string_view lit, ScanError* err) {
  if (static_cast<size_t>(end - p) < lit.size() || std::string_view(p, lit.size()) != lit) {
    return Fail(p, "expected a value (string, number, object, array, true, false or null)", err);
  }
  return p + lit.size();
}

const char* ScanValue(const char* p, const char* end, int depth, JsonMember::Kind* kind,
                      ScanError* err);

// p is at the opening bracket; validates and skips the container.
const char* SkipContainer(const char* p, const char* end, int depth, char close, ScanError* err) {
  if (depth > kMaxDepth) return Fail(p, "values nested too deeply", err);
  p = SkipSpace(p + 1, end);
  if (p < end && *p == close) return p + 1;
  while (true) {
    if (close == '}') {
      if (p == end || *p != '"') return Fail(p, "expected a member name in quotes", err);
      std::string_view ignored;
      bool ignored_escaped;
      p = ScanString(p + 1, end, &ignored, &ignored_escaped, err);
      if (p == nullptr) return nullptr;
      p = SkipSpace(p, end);
      if (p == end || *p != ':') return Fail(p, "expected ':' after the member name", err);
      p = SkipSpace(p + 1, end);
    }
    JsonMember::Kind kind;
    p = ScanValue(p, end, depth, &kind, err);
    if (p == nullptr) return nullptr;
    p = SkipSpace(p, end);
    if (p < end && *p == ',') {
      p = SkipSpace(p + 1, end);
      continue;
    }
    if (p < end && *p == close) return p + 1;
    if (p == end) return Fail(p, "line ends inside a nested value (truncated?)", err);
    return Fail(p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'", err);
  }
}

// Any value; strings and integers are not decoded.
const char* ScanValue(const char* p, const char* end, int depth, JsonMember::Kind* kind,
                      ScanError* err) {
  if (p == end) return Fail(p, "line ends where a value was expected (truncated?)", err);
  std::string_view ignored;
  bool flag;
  int64_t value;
  switch (*p) {
    case '"':
      *kind = JsonMember::Kind::kString;
      return ScanString(p + 1, end, &ignored, &flag, err);
    case '{':
      *kind = JsonMember::Kind::kObject;
      return SkipContainer(p, end, depth + 1, '}', err);
    case '[':
      *kind = JsonMember::Kind::kArray;
      return SkipContainer(p, end, depth + 1, ']', err);
    case 't':
      *kind = JsonMember::Kind::kTrue;
      return ScanLiteral(p, end, "true", err);
    case 'f':
      *kind = JsonMember::Kind::kFalse;
      return ScanLiteral(p, end, "false", err);
    case 'n':
      *kind = JsonMember::Kind::kNull;
      return ScanLiteral(p, end, "null", err);
    default:
      *kind = JsonMember::Kind::kNumber;
      return ScanNumber(p, end, &flag, &value, err);
  }
}

// A top-level member's value: strings and integers are decoded on the way.
[[gnu::always_inline]] inline const char* ScanMemberValue(const char* p, const char* end,
                                                          JsonMember* m, ScanError* err) {
  if (p == end) return Fail(p, "line ends where a value was expected (truncated?)", err);
  const char* value_begin = p;
  if (*p == '"') {
    m->kind = JsonMember::Kind::kString;
    return ScanString(p + 1, end, &m->raw, &m->escaped, err);
  }
  if (*p == '-' || IsDigit(*p)) {
    m->kind = JsonMember::Kind::kNumber;
    p = ScanNumber(p, end, &m->is_int, &m->int_value, err);
  } else if (end - p >= 5 && std::memcmp(p, "true", 4) == 0) {
    m->kind = JsonMember::Kind::kTrue;
    p += 4;
  } else if (end - p >= 6 && std::memcmp(p, "false", 5) == 0) {
    m->kind = JsonMember::Kind::kFalse;
    p += 5;
  } else {
    p = ScanValue(p, end, 0, &m->kind, err);
  }
  if (p != nullptr) m->raw = std::string_view(value_begin, static_cast<size_t>(p - value_begin));
  return p;
}

// Compact JSON (no whitespace between tokens) takes the fast path: each structural byte is
// checked where it is expected before any whitespace is skipped.
const char* ScanObject(const char* p, const char* end, std::vector<JsonMember>* members,
                       ScanError* err) {
  p = SkipSpace(p, end);
  if (p == end) return Fail(p, "empty line, expected a JSON object", err);
  if (*p != '{') return Fail(p, "expected '{'", err);
  p = SkipSpace(p + 1, end);
  if (p < end && *p == '}') return p + 1;
  while (true) {
    if (p == end || *p != '"') return Fail(p, "expected a member name in quotes", err);
    JsonMember& m = members->emplace_back();
    p = ScanString(p + 1, end, &m.name, &m.name_escaped, err);
    if (p == nullptr) return nullptr;
    if (p == end || *p != ':') {
      p = SkipSpace(p, end);
      if (p == end || *p != ':') return Fail(p, "expected ':' after the member name", err);
    }
    ++p;
    if (p < end && static_cast<unsigned char>(*p) <= ' ') p = SkipSpace(p, end);
    p = ScanMemberValue(p, end, &m, err);
    if (p == nullptr) return nullptr;
    if (p == end || (*p != ',' && *p != '}')) p = SkipSpace(p, end);
    if (p < end && *p == ',') {
      ++p;
      if (p < end && *p != '"') p = SkipSpace(p, end);
      continue;
    }
    if (p < end && *p == '}') return p + 1;
    return Fail(p, p == end ? "line ends inside the object (truncated?)" : "expected ',' or '}'",
                err);
  }
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads the 4 hex digits at raw[i..i+3]; -1 if they are not there.
int32_t ReadHex4(std::string_view raw, size_t i) {
  if (i + 4 > raw.size()) return -1;
  int32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    int h = HexValue(raw[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

}  // namespace

Status ScanJsonObjectLine(std::string_view line, std::vector<JsonMember>* members) {
  const char* end = line.data() + line.size();
  ScanError err;
  const char* p = ScanObject(line.data(), end, members, &err);
  if (p != nullptr && SkipSpace(p, end) != end) {
    err = {SkipSpace(p, end), "unexpected text after the object"};
    p = nullptr;
  }
  if (p != nullptr) return Status::Ok();
  return Status::Corruption("column " + std::to_string(err.at - line.data() + 1) + ": " + err.what);
}

void DecodeJsonString(std::string_view raw, std::string* out) {
  out->clear();
  out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out->push_back(c);
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        int32_t cp = ReadHex4(raw, i + 1);
        if (cp < 0) {
          out->push_back('?');
          break;
        }
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          int32_t low = (i + 2 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u')
                            ? ReadHex4(raw, i + 3)
                            : -1;
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        AppendUtf8(static_cast<uint32_t>(cp), out);
        break;
      }
      default:
        out->push_back(e);
        break;  // '"', '\\', '/'
    }
  }
}

bool ParseJsonInt64(std::string_view text, int64_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool ParseJsonUint64(std::string_view text, uint64_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace faultline::checkers
