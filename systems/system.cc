#include "systems/system.h"

namespace faultline::systems {

std::string_view SendStatusName(SendStatus status) {
  switch (status) {
    case SendStatus::kOk:
      return "ok";
    case SendStatus::kFail:
      return "fail";
    case SendStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Status System::ArmFailpoint(const std::string& node, const std::string& name,
                            const std::string& /*spec*/) {
  return Status::Unimplemented("system '" + std::string(kind()) + "' has no failpoints (" + name +
                               " on " + node + ")");
}

}  // namespace faultline::systems
