#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faultline {

// Parses `text` as JSON; a syntax error names `source` (a file name) and the byte offset.
Result<nlohmann::json> ParseJson(std::string_view text, std::string_view source);
Result<nlohmann::json> ReadJsonFile(const std::string& path);

// JsonObject reads the fields of one JSON object while tracking its path ("$.job.checkpoint"),
// so that every error names where it is and what was expected, and rejects keys nobody asked
// for: call Finish() after the last field. Getters leave `out` untouched when an optional field
// is absent, so defaults are set by initialising `out`. Not thread-safe; cheap to create.
//
//   JsonObject job(root, "$.job", source);
//   RETURN_IF_ERROR(job.Int("parallelism", &parallelism, {.min = 1}));
//   RETURN_IF_ERROR(job.Finish());
// Bounds for JsonObject::Int (outside the class so that `{}` works as a default argument).
struct JsonIntLimits {
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
};

class JsonObject {
 public:
  using IntLimits = JsonIntLimits;
  enum class Need { kOptional, kRequired };

  // `value` must outlive the reader. A non-object value makes every getter fail.
  JsonObject(const nlohmann::json& value, std::string path, std::string source);

  Status Int(std::string_view key, int64_t* out, IntLimits limits = {},
             Need need = Need::kOptional);
  Status Int(std::string_view key, int* out, IntLimits limits = {}, Need need = Need::kOptional);
  Status Double(std::string_view key, double* out, Need need = Need::kOptional);
  Status Bool(std::string_view key, bool* out, Need need = Need::kOptional);
  Status String(std::string_view key, std::string* out, Need need = Need::kOptional);
  // A string that must be one of `choices`.
  Status Enum(std::string_view key, std::string* out, const std::vector<std::string>& choices,
              Need need = Need::kOptional);
  // A nested object (nullptr-free: absent optional -> nullopt).
  Result<std::optional<JsonObject>> Object(std::string_view key, Need need = Need::kOptional);
  // An array; each element's path is "<path>.<key>[i]".
  Result<std::optional<std::vector<const nlohmann::json*>>> Array(std::string_view key,
                                                                  Need need = Need::kOptional);
  // Marks a key as known without reading it (read by other code).
  void Allow(std::string_view key) { known_.insert(std::string(key)); }
  bool Has(std::string_view key) const;
  const nlohmann::json* Raw(std::string_view key);  // nullptr if absent; marks it known

  // Fails on the first key that no getter asked for.
  Status Finish() const;
  // An error about `key` of this object: "<source>: <path>.<key>: <what>".
  Status Error(std::string_view key, std::string_view what) const;
  std::string PathOf(std::string_view key) const;
  const std::string& path() const { return path_; }
  const std::string& source() const { return source_; }

 private:
  const nlohmann::json* Find(std::string_view key, Need need, Status* status);

  const nlohmann::json* value_;
  std::string path_;
  std::string source_;
  std::set<std::string, std::less<>> known_;
  Status not_object_;
};

// A JSON value's type in words ("a string", "an integer", ...), for error messages.
std::string JsonTypeName(const nlohmann::json& value);

}  // namespace faultline
