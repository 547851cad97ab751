#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace faultline::crc32c {

// CRC32C (Castagnoli), as used by iSCSI, ext4 and LevelDB. Uses the SSE4.2 instruction when
// the CPU has it and a table otherwise; both give the same value. Thread-safe.

// Returns the CRC32C of concat(A, data[0,n-1]) where init_crc is the CRC32C of A.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// A stored CRC is masked so that the CRC of a string that itself holds CRCs stays strong
// (LevelDB's rationale).
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return ((rot >> 17) | (rot << 15));
}

}  // namespace faultline::crc32c
