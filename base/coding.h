#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace faultline {

// Little binary encoders for frames and state files: LEB128 varints, zigzag for signed values,
// length-prefixed strings. Decoder never reads past its input: a short or malformed input makes
// ok() false and every later Get a no-op. Value types; thread-compatible.

void PutVarint64(std::string* out, uint64_t v);
inline void PutVarsint64(std::string* out, int64_t v) {
  PutVarint64(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
void PutLengthPrefixed(std::string* out, std::string_view s);
void PutFixed32(std::string* out, uint32_t v);

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  uint64_t Varint64();
  int64_t Varsint64() {
    uint64_t u = Varint64();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::string_view LengthPrefixed();
  uint32_t Fixed32();
  uint8_t Byte();
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace faultline
