#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace faultline {

// How one send to a system under test ended (docs/design.md, "Send outcomes"): acknowledged,
// certainly not applied, or unknown (timed out: it may or may not be applied, Jepsen's :info).
// One definition for the systems that report it and the checkers that judge it.
enum class SendStatus : uint8_t { kOk, kFail, kUnknown };

std::optional<SendStatus> ParseSendStatus(std::string_view name);  // "ok", "fail", "unknown"
std::string_view SendStatusName(SendStatus status);

}  // namespace faultline
