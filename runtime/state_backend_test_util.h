#pragma once

// Test helpers for state backends (tests only).

#include <map>
#include <string>
#include <utility>

#include "runtime/state_backend.h"

namespace faultline::runtime {

using StateEntries = std::map<std::pair<int, std::string>, std::string>;

// Every entry of `backend`, by (key group, key). Internal error if ForEach fails or visits the
// key groups out of order.
inline Result<StateEntries> DumpState(KeyedStateBackend& backend) {
  StateEntries out;
  int last_group = -1;
  bool ordered = true;
  Status s = backend.ForEach([&](int key_group, std::string_view key, std::string_view value) {
    ordered = ordered && key_group >= last_group;
    last_group = key_group;
    out[{key_group, std::string(key)}] = std::string(value);
    return true;
  });
  RETURN_IF_ERROR(s);
  if (!ordered) return Status::Internal("ForEach visited key groups out of order");
  return out;
}

}  // namespace faultline::runtime
