#include "base/json.h"

#include "base/file.h"

namespace faultline {

Result<nlohmann::json> ParseJson(std::string_view text, std::string_view source) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument(std::string(source) + ": invalid JSON at byte " +
                                   std::to_string(e.byte) + ": " + e.what());
  }
}

Result<nlohmann::json> ReadJsonFile(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("reading " + path);
  return ParseJson(*text, path);
}

std::string JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

JsonObject::JsonObject(const nlohmann::json& value, std::string path, std::string source)
    : value_(&value), path_(std::move(path)), source_(std::move(source)) {
  if (!value.is_object()) {
    not_object_ = Status::InvalidArgument(source_ + ": " + path_ + ": expected an object, got " +
                                          JsonTypeName(value));
  }
}

std::string JsonObject::PathOf(std::string_view key) const {
  return path_ + "." + std::string(key);
}

Status JsonObject::Error(std::string_view key, std::string_view what) const {
  return Status::InvalidArgument(source_ + ": " + PathOf(key) + ": " + std::string(what));
}

bool JsonObject::Has(std::string_view key) const {
  return not_object_.ok() && value_->contains(key);
}

const nlohmann::json* JsonObject::Raw(std::string_view key) {
  known_.insert(std::string(key));
  if (!Has(key)) return nullptr;
  return &(*value_)[std::string(key)];
}

const nlohmann::json* JsonObject::Find(std::string_view key, Need need, Status* status) {
  known_.insert(std::string(key));
  if (!not_object_.ok()) {
    *status = not_object_;
    return nullptr;
  }
  auto it = value_->find(key);
  if (it == value_->end()) {
    if (need == Need::kRequired) *status = Error(key, "missing (required)");
    return nullptr;
  }
  return &*it;
}

Status JsonObject::Int(std::string_view key, int64_t* out, IntLimits limits, Need need) {
  Status s;
  const nlohmann::json* v = Find(key, need, &s);
  if (v == nullptr) return s;
  bool is_int = v->is_number_integer() || v->is_number_unsigned();
  if (!is_int && v->is_number_float()) {
    double d = v->get<double>();
    is_int = d == static_cast<double>(static_cast<int64_t>(d));
  }
  if (!is_int) return Error(key, "expected an integer, got " + JsonTypeName(*v) + " " + v->dump());
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return Error(key, "integer " + v->dump() + " is too large");
  }
  int64_t x = v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>();
  if (x < limits.min || x > limits.max) {
    std::string range = limits.max == INT64_MAX ? ">= " + std::to_string(limits.min)
                                                : "in [" + std::to_string(limits.min) + ", " +
                                                      std::to_string(limits.max) + "]";
    return Error(key, "expected an integer " + range + ", got " + std::to_string(x));
  }
  *out = x;
  return Status::Ok();
}

Status JsonObject::Int(std::string_view key, int* out, IntLimits limits, Need need) {
  limits.min = std::max<int64_t>(limits.min, INT32_MIN);
  limits.max = std::min<int64_t>(limits.max, INT32_MAX);
  int64_t wide = *out;
  RETURN_IF_ERROR(Int(key, &wide, limits, need));
  *out = static_cast<int>(wide);
  return Status::Ok();
}

Status JsonObject::Double(std::string_view key, double* out, Need need) {
  Status s;
  const nlohmann::json* v = Find(key, need, &s);
  if (v == nullptr) return s;
  if (!v->is_number()) return Error(key, "expected a number, got " + JsonTypeName(*v));
  *out = v->get<double>();
  return Status::Ok();
}

Status JsonObject::Bool(std::string_view key, bool* out, Need need) {
  Status s;
  const nlohmann::json* v = Find(key, need, &s);
  if (v == nullptr) return s;
  if (!v->is_boolean()) return Error(key, "expected true or false, got " + JsonTypeName(*v));
  *out = v->get<bool>();
  return Status::Ok();
}

Status JsonObject::String(std::string_view key, std::string* out, Need need) {
  Status s;
  const nlohmann::json* v = Find(key, need, &s);
  if (v == nullptr) return s;
  if (!v->is_string()) return Error(key, "expected a string, got " + JsonTypeName(*v));
  *out = v->get<std::string>();
  return Status::Ok();
}

Status JsonObject::Enum(std::string_view key, std::string* out,
                        const std::vector<std::string>& choices, Need need) {
  std::string value = *out;
  RETURN_IF_ERROR(String(key, &value, need));
  if (!Has(key)) return Status::Ok();
  for (const auto& c : choices) {
    if (c == value) {
      *out = value;
      return Status::Ok();
    }
  }
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + ("\"" + c + "\"");
  return Error(key, "expected one of " + list + ", got \"" + value + "\"");
}

Result<std::optional<JsonObject>> JsonObject::Object(std::string_view key, Need need) {
  Status s;
  const nlohmann::json* v = Find(key, need, &s);
  if (v == nullptr) {
    if (!s.ok()) return s;
    return std::optional<JsonObject>();
  }
  if (!v->is_object()) return Error(key, "expected an object, got " + JsonTypeName(*v));
  return std::optional<JsonObject>(JsonObject(*v, PathOf(key), source_));
}

Result<std::optional<std::vector<const nlohmann::json*>>> JsonObject::Array(std::string_view key,
                                                                            Need need) {
  using Out = std::optional<std::vector<const nlohmann::json*>>;
  Status s;
  const nlohmann::json* v = Find(key, need, &s);
  if (v == nullptr) {
    if (!s.ok()) return s;
    return Out();
  }
  if (!v->is_array()) return Error(key, "expected an array, got " + JsonTypeName(*v));
  std::vector<const nlohmann::json*> items;
  for (const auto& item : *v) items.push_back(&item);
  return Out(std::move(items));
}

Status JsonObject::Finish() const {
  if (!not_object_.ok()) return not_object_;
  for (auto it = value_->begin(); it != value_->end(); ++it) {
    if (known_.count(it.key()) == 0) {
      std::string expected;
      for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
      return Error(it.key(), "unknown key (expected one of: " + expected + ")");
    }
  }
  return Status::Ok();
}

}  // namespace faultline
