#include "base/mode.h"

namespace faultline {

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kAtMostOnce:
      return "at-most-once";
    case Mode::kAtLeastOnce:
      return "at-least-once";
    case Mode::kExactlyOnce:
      return "exactly-once";
  }
  return "?";
}

std::optional<Mode> ParseMode(std::string_view name) {
  for (Mode m : {Mode::kAtMostOnce, Mode::kAtLeastOnce, Mode::kExactlyOnce}) {
    if (name == ModeName(m)) return m;
  }
  return std::nullopt;
}

const std::vector<std::string>& ModeNames() {
  static const std::vector<std::string> names = {
      ModeName(Mode::kAtMostOnce), ModeName(Mode::kAtLeastOnce), ModeName(Mode::kExactlyOnce)};
  return names;
}

}  // namespace faultline
