#include "base/flags.h"

#include <charconv>

namespace faultline {

Status Flags::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (switches_.count(name) > 0) {
      if (inline_value) return Status::InvalidArgument("--" + name + " takes no value");
      parsed_[name] = "true";
    } else if (values_.count(name) > 0) {
      if (inline_value) {
        parsed_[name] = *inline_value;
      } else if (i + 1 < args.size()) {
        parsed_[name] = args[++i];
      } else {
        return Status::InvalidArgument("--" + name + " needs a value");
      }
    } else {
      return Status::InvalidArgument("unknown flag --" + name);
    }
  }
  return Status::Ok();
}

std::optional<std::string> Flags::Get(std::string_view name) const {
  auto it = parsed_.find(std::string(name));
  if (it == parsed_.end()) return std::nullopt;
  return it->second;
}

std::string Flags::GetOr(std::string_view name, std::string_view fallback) const {
  auto v = Get(name);
  return v ? *v : std::string(fallback);
}

Result<std::optional<int64_t>> Flags::GetInt(std::string_view name) const {
  auto v = Get(name);
  if (!v) return std::optional<int64_t>();
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size()) {
    return Status::InvalidArgument("--" + std::string(name) + " expects an integer, got '" + *v +
                                   "'");
  }
  return std::optional<int64_t>(out);
}

}  // namespace faultline
