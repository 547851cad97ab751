#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faultline {

// Flags parses a subcommand's arguments: `--name value`, `--name=value`, boolean `--name`, and
// positional arguments. Only declared flags are accepted, so a typo is an error that names it.
// Thread-compatible.
class Flags {
 public:
  // Declares a flag that takes a value / a boolean switch.
  Flags& Value(std::string name) {
    values_.insert(std::move(name));
    return *this;
  }
  Flags& Switch(std::string name) {
    switches_.insert(std::move(name));
    return *this;
  }

  Status Parse(const std::vector<std::string>& args);

  bool Has(std::string_view name) const { return parsed_.count(std::string(name)) > 0; }
  std::optional<std::string> Get(std::string_view name) const;
  std::string GetOr(std::string_view name, std::string_view fallback) const;
  // The flag as an integer; InvalidArgument naming the flag if it is not one.
  Result<std::optional<int64_t>> GetInt(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string, std::less<>> values_;
  std::set<std::string, std::less<>> switches_;
  std::map<std::string, std::string> parsed_;
  std::vector<std::string> positional_;
};

}  // namespace faultline
