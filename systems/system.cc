#include "systems/system.h"

namespace faultline::systems {

Status System::ArmFailpoint(const std::string& node, const std::string& name,
                            const std::string& /*spec*/) {
  return Status::Unimplemented("system '" + std::string(kind()) + "' has no failpoints (" + name +
                               " on " + node + ")");
}

}  // namespace faultline::systems
