#pragma once

#include "checkers/context.h"
#include "checkers/history.h"
#include "checkers/index.h"
#include "checkers/result.h"

namespace faultline::checkers {

// The record-level checkers of the count job, over committed outputs. Pure functions of the
// history and its index; thread-safe for distinct results.

// delivery: `lost` (input ids with no committed output), `duplicated` (committed outputs of an
// id beyond its first: two copies count 1), `unexpected` (distinct output ids never input).
CheckerResult CheckDelivery(const History& history, const RecordIndex& index,
                            const ContextBuilder& context);

// visibility: `aborted-reads`, the distinct (id, count) pairs seen uncommitted that were never
// committed.
CheckerResult CheckVisibility(const History& history, const RecordIndex& index,
                              const ContextBuilder& context);

}  // namespace faultline::checkers
