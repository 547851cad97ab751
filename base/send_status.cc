#include "base/send_status.h"

namespace faultline {

std::optional<SendStatus> ParseSendStatus(std::string_view name) {
  if (name == "ok") return SendStatus::kOk;
  if (name == "fail") return SendStatus::kFail;
  if (name == "unknown") return SendStatus::kUnknown;
  return std::nullopt;
}

std::string_view SendStatusName(SendStatus status) {
  switch (status) {
    case SendStatus::kOk:
      return "ok";
    case SendStatus::kFail:
      return "fail";
    case SendStatus::kUnknown:
      return "unknown";
  }
  return "ok";
}

}  // namespace faultline
