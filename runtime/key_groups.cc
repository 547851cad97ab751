#include "runtime/key_groups.h"

namespace faultline::runtime {

uint64_t StableHash(std::string_view key) {
  uint64_t h = 1469598103934665603ull;
  for (char c : key) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

int KeyGroupOf(std::string_view key, int max_parallelism) {
  return static_cast<int>(StableHash(key) % static_cast<uint64_t>(max_parallelism));
}

KeyGroupRange KeyGroupRangeForSubtask(int max_parallelism, int parallelism, int subtask) {
  int first = (subtask * max_parallelism + parallelism - 1) / parallelism;
  int last = ((subtask + 1) * max_parallelism - 1) / parallelism;
  return {first, last};
}

int SubtaskForKeyGroup(int max_parallelism, int parallelism, int key_group) {
  return key_group * parallelism / max_parallelism;
}

}  // namespace faultline::runtime
