#include "systems/system.h"

namespace faultline::systems {

Status System::ArmFailpoint(const std::string& node, const std::string& name,
                            const std::string& /*spec*/) {
  return Status::Unimplemented("system '" + std::string(kind()) + "' has no failpoints (" + name +
                               " on " + node + ")");
}

Status System::CheckRescale(const std::string& /*target*/, const nlohmann::json& /*params*/) const {
  return Status::Unimplemented("system '" + std::string(kind()) +
                               "' cannot rescale its job: only the built-in runtime can");
}

Result<nlohmann::json> System::Rescale(const std::string& target, const nlohmann::json& params,
                                       Rng /*rng*/) {
  RETURN_IF_ERROR(CheckRescale(target, params));
  return Status::Unimplemented("rescale");
}

}  // namespace faultline::systems
