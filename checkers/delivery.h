#pragma once

#include "checkers/context.h"
#include "checkers/history.h"
#include "checkers/index.h"
#include "checkers/result.h"

namespace faultline::checkers {

// The record-level checkers of the count and delivery jobs, over committed outputs. Pure
// functions of the history and its index; thread-safe for distinct results.

// delivery: `lost` (ids sent `ok` with no committed output; an `unknown` send may or may not
// be delivered, a `fail` one must not be), `duplicated` (committed outputs of an id beyond its
// first, whatever its status: two copies count 1), `unexpected` (distinct output ids never
// input), `delivered-after-fail` (ids whose every send failed, with a committed output).
// `details`: `failed` (ids whose sends all failed), `unknown_delivered` and `unknown_missing`
// (ids of unknown outcome, delivered or not).
CheckerResult CheckDelivery(const History& history, const RecordIndex& index,
                            const ContextBuilder& context);

// visibility: `aborted-reads`, the distinct (id, count) pairs seen uncommitted that were never
// committed; an output without a count (the delivery job) is matched by its id alone.
CheckerResult CheckVisibility(const History& history, const RecordIndex& index,
                              const ContextBuilder& context);

}  // namespace faultline::checkers
