#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

// The delivery modes (docs/design.md, "Delivery modes"): what a job promises, and what a history is
// judged against. One definition for the runtime, the checkers and the harness.
enum class Mode { kAtMostOnce, kAtLeastOnce, kExactlyOnce };

const char* ModeName(Mode mode);                       // "at-most-once", ...
std::optional<Mode> ParseMode(std::string_view name);  // nullopt for anything else
const std::vector<std::string>& ModeNames();           // every mode's name, in enum order

}  // namespace faultline
