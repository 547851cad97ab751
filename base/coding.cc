#include "base/coding.h"

namespace faultline {

void PutVarint64(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

void PutFixed32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

uint64_t Decoder::Varint64() {
  uint64_t v = 0;
  for (int shift = 0; ok_ && shift <= 63; shift += 7) {
    if (in_.empty()) break;
    auto byte = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  ok_ = false;
  return 0;
}

std::string_view Decoder::LengthPrefixed() {
  uint64_t n = Varint64();
  if (!ok_ || n > in_.size()) {
    ok_ = false;
    return {};
  }
  std::string_view s = in_.substr(0, n);
  in_.remove_prefix(n);
  return s;
}

uint32_t Decoder::Fixed32() {
  if (!ok_ || in_.size() < 4) {
    ok_ = false;
    return 0;
  }
  const auto* u = reinterpret_cast<const uint8_t*>(in_.data());
  uint32_t v = static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
               static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
  in_.remove_prefix(4);
  return v;
}

uint8_t Decoder::Byte() {
  if (!ok_ || in_.empty()) {
    ok_ = false;
    return 0;
  }
  auto b = static_cast<uint8_t>(in_.front());
  in_.remove_prefix(1);
  return b;
}

}  // namespace faultline
