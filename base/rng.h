#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

namespace faultline {

// Rng is the one seeded source of randomness of a run: every random choice (keys, fault times,
// targets) is drawn from it or from a Fork() of it, so the same seed replays the same run.
// Not thread-safe: give each thread its own Fork().
class Rng {
 public:
  explicit Rng(uint64_t seed) : seed_(seed), engine_(seed) {}

  uint64_t seed() const { return seed_; }

  uint64_t Next() { return engine_(); }
  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n) {
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(engine_);
  }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }
  double UniformDouble() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }
  bool Bernoulli(double p) { return UniformDouble() < p; }
  // Exponentially distributed with the given mean (seeded random fault times).
  double Exponential(double mean) {
    return std::exponential_distribution<double>(1.0 / mean)(engine_);
  }

  // An independent stream derived from this one and a label, so that adding draws to one part
  // (say, the generator) does not shift another part's choices (the nemesis schedule).
  Rng Fork(std::string_view label) const;

 private:
  uint64_t seed_;
  std::mt19937_64 engine_;
};

// Zipf-distributed integers in [0, n) with exponent s, by inverse CDF over a precomputed
// table (n is the key count: thousands, not billions). Thread-compatible.
class ZipfDistribution {
 public:
  ZipfDistribution(uint64_t n, double s);
  uint64_t operator()(Rng& rng) const;

 private:
  std::vector<double> cdf_;
};

// The run's seed: `explicit_seed` if given, else the FAULTLINE_SEED environment variable, else
// drawn from the OS. Callers print it so that the run can be replayed.
uint64_t ChooseSeed(std::optional<uint64_t> explicit_seed);

}  // namespace faultline
