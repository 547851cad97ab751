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
// `overcount` (keys whose highest count exceeds their number of distinct inputs).
CheckerResult CheckState(const History& history, const RecordIndex& index,
                         const ContextBuilder& context);

// order: per input partition and key, the first observed counts of the delivered inputs taken
// in offset order must increase; `violations` counts the inverted neighbouring pairs.
CheckerResult CheckOrder(const History& history, const RecordIndex& index,
                         const ContextBuilder& context);

}  // namespace faultline::checkers
