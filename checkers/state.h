#pragma once

#include "checkers/context.h"
#include "checkers/history.h"
#include "checkers/index.h"
#include "checkers/result.h"

namespace faultline::checkers {

// The count job's state and order checkers. Both judge distinct (id, count) pairs among the
// committed outputs of known ids, so an identical re-delivered output is a delivery duplicate
// only. Pure functions; thread-safe for distinct results.

// state, per key: `count-repeat` (a count value carried by more than one id; each extra id
// counts 1), `count-gap` (each value missing below the key's highest count), `count-regression`
// (each pair whose count is below one already visible earlier in observation order),
// `overcount` (keys whose highest count exceeds their number of distinct inputs that may have
// been applied: sends `ok` or `unknown`, not `fail`).
CheckerResult CheckState(const History& history, const RecordIndex& index,
                         const ContextBuilder& context);

// order: per input partition and key, the delivered inputs taken in offset order must have
// been applied in that order; `violations` counts the inverted neighbouring pairs. The count
// job compares the counts of their first observed committed outputs (a pair with equal counts
// is no violation); the delivery job, whose outputs carry no count, compares when those
// outputs were observed (`t`, then line). Inputs without a partition are taken together under
// partition -1; inputs without an offset are placed by their id.
CheckerResult CheckOrder(const History& history, const RecordIndex& index,
                         const ContextBuilder& context, JobKind job = JobKind::kCount);

}  // namespace faultline::checkers
