#pragma once

#include <cstdint>
#include <string_view>

namespace faultline::runtime {

// Keys map to key groups (0 .. max_parallelism-1) by a stable hash, and key groups map to
// operator subtasks by contiguous ranges, as in Flink. State is snapshotted per key group, so a
// checkpoint taken at one parallelism can be restored at another.

inline constexpr int kDefaultMaxParallelism = 128;

// Inclusive range of key groups [first, last]. Empty when first > last.
struct KeyGroupRange {
  int first = 0;
  int last = -1;
  bool Contains(int key_group) const { return key_group >= first && key_group <= last; }
  bool empty() const { return first > last; }
  bool operator==(const KeyGroupRange&) const = default;
};

// Stable across processes, builds and runs (FNV-1a + a finaliser), never std::hash.
uint64_t StableHash(std::string_view key);
int KeyGroupOf(std::string_view key, int max_parallelism);
// The key groups owned by `subtask` of `parallelism` (Flink's formula).
KeyGroupRange KeyGroupRangeForSubtask(int max_parallelism, int parallelism, int subtask);
int SubtaskForKeyGroup(int max_parallelism, int parallelism, int key_group);

}  // namespace faultline::runtime
