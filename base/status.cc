#include "base/status.h"

#include <cstring>

namespace faultline {

Status Status::IoError(std::string context, int err) {
  Status s(Code::kIoError, std::move(context) + ": " + std::strerror(err));
  s.errno_ = err;
  return s;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  Status s = *this;
  s.message_ = std::string(prefix) + ": " + message_;
  return s;
}

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kAlreadyExists:
      return "already exists";
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kIoError:
      return "IO error";
    case Status::Code::kTimeout:
      return "timeout";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kAborted:
      return "aborted";
    case Status::Code::kUnimplemented:
      return "unimplemented";
    case Status::Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace faultline
