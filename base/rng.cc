#include "base/rng.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace faultline {
namespace {

// SplitMix64 finaliser: spreads a label hash and a seed into a well-mixed 64-bit value.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t HashLabel(std::string_view label) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : label) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

}  // namespace

Rng Rng::Fork(std::string_view label) const { return Rng(Mix(seed_ ^ Mix(HashLabel(label)))); }

ZipfDistribution::ZipfDistribution(uint64_t n, double s) {
  cdf_.resize(n == 0 ? 1 : n);
  double sum = 0;
  for (uint64_t i = 0; i < cdf_.size(); ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    cdf_[i] = sum;
  }
  for (double& c : cdf_) c /= sum;
}

uint64_t ZipfDistribution::operator()(Rng& rng) const {
  double u = rng.UniformDouble();
  auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
  if (it == cdf_.end()) return cdf_.size() - 1;
  return static_cast<uint64_t>(it - cdf_.begin());
}

uint64_t ChooseSeed(std::optional<uint64_t> explicit_seed) {
  if (explicit_seed) return *explicit_seed;
  if (const char* env = std::getenv("FAULTLINE_SEED"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    uint64_t v = std::strtoull(env, &end, 10);
    if (end != nullptr && *end == '\0') return v;
  }
  std::random_device rd;
  // Keep seeds short enough to type back in.
  return (static_cast<uint64_t>(rd()) << 32 | rd()) % 1'000'000'000ull;
}

}  // namespace faultline
