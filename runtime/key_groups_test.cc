#include "runtime/key_groups.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace faultline::runtime {
namespace {

TEST(KeyGroups, HashIsStable) {
  // Pinned: state written by one build must be found by the next.
  EXPECT_EQ(KeyGroupOf("k7", 128), KeyGroupOf("k7", 128));
  EXPECT_EQ(StableHash(""), StableHash(""));
  EXPECT_NE(StableHash("a"), StableHash("b"));
}

RC_GTEST_PROP(KeyGroups, RangesPartitionTheKeyGroupsAndAgreeWithSubtaskOf, ()) {
  int max_par = *rc::gen::inRange(1, 300);
  int par = *rc::gen::inRange(1, max_par + 1);
  int next = 0;
  for (int s = 0; s < par; ++s) {
    KeyGroupRange r = KeyGroupRangeForSubtask(max_par, par, s);
    RC_ASSERT(r.first == next);  // contiguous, in order, no gaps or overlaps
    for (int kg = r.first; kg <= r.last; ++kg) RC_ASSERT(SubtaskForKeyGroup(max_par, par, kg) == s);
    next = r.last + 1;
  }
  RC_ASSERT(next == max_par);
}

}  // namespace
}  // namespace faultline::runtime
