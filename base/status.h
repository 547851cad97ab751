#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace faultline {

// Status is the outcome of an operation that may fail: ok, or a code with a message that
// names what failed (a file, a JSON path, an offset) and what was expected.
// Statuses are values; copying one is cheap enough for error paths. Thread-compatible.
class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input: a config, a scenario, a flag
    kNotFound,
    kAlreadyExists,
    kCorruption,     // a CRC mismatch, a torn frame, a malformed history line
    kIoError,        // the OS said no; errno() says why
    kTimeout,        // a deadline passed
    kUnavailable,    // a peer is gone or not yet there
    kAborted,        // cancelled on purpose (a failover, a shutdown)
    kUnimplemented,  // asked of something that cannot do it (a fault a system lacks)
    kInternal,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status Unimplemented(std::string msg) { return {Code::kUnimplemented, std::move(msg)}; }
  // An I/O error: `context` says what was being done ("fsync /x/y"); the message gets
  // strerror(err) appended and errno() keeps the number.
  static Status IoError(std::string context, int err);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  int error_number() const { return errno_; }

  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsTimeout() const { return code_ == Code::kTimeout; }

  // Returns a copy with `prefix: ` in front of the message; used to add context on the way up.
  Status WithContext(std::string_view prefix) const;

  // "IO error: fsync /a/b: Input/output error"
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
  int errno_ = 0;
};

std::string_view CodeName(Status::Code code);

// Result<T> holds a T or a non-ok Status. GCC 12 has no std::expected in C++20.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace faultline

#define FL_CONCAT_INNER(a, b) a##b
#define FL_CONCAT(a, b) FL_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the calling function if it is not ok.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::faultline::Status fl_status_ = (expr); \
    if (!fl_status_.ok()) return fl_status_; \
  } while (false)

// ASSIGN_OR_RETURN(auto x, Compute()): binds the value of a Result, or returns its Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(FL_CONCAT(fl_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
