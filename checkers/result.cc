#include "checkers/result.h"

#include <algorithm>

#include "checkers/verdict.h"

namespace faultline::checkers {

CheckerResult CheckerResult::Make(std::string checker_name,
                                  std::initializer_list<const char*> kinds) {
  CheckerResult r;
  r.name = std::move(checker_name);
  for (const char* kind : kinds) r.anomalies.push_back({kind, 0, {}});
  return r;
}

const Anomaly* CheckerResult::Find(std::string_view anomaly_name) const {
  for (const Anomaly& a : anomalies) {
    if (a.name == anomaly_name) return &a;
  }
  return nullptr;
}

Anomaly* CheckerResult::Find(std::string_view anomaly_name) {
  return const_cast<Anomaly*>(std::as_const(*this).Find(anomaly_name));
}

int64_t CheckerResult::Count(std::string_view anomaly_name) const {
  const Anomaly* a = Find(anomaly_name);
  return a == nullptr ? 0 : a->count;
}

bool CheckerResult::clean() const {
  return std::all_of(anomalies.begin(), anomalies.end(),
                     [](const Anomaly& a) { return a.count == 0; });
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kInvalid:
      return "invalid";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<Verdict> ParseVerdict(std::string_view name) {
  for (Verdict v : {Verdict::kValid, Verdict::kInvalid, Verdict::kUnknown}) {
    if (VerdictName(v) == name) return v;
  }
  return std::nullopt;
}

const CheckerResult* CheckResult::Find(std::string_view checker) const {
  for (const CheckerResult& c : checkers) {
    if (c.name == checker) return &c;
  }
  return nullptr;
}

int64_t CheckResult::Figure(std::string_view dotted) const {
  size_t dot = dotted.find('.');
  if (dot == std::string_view::npos) return 0;
  const CheckerResult* c = Find(dotted.substr(0, dot));
  if (c == nullptr) return 0;
  std::string_view name = dotted.substr(dot + 1);
  if (const Anomaly* a = c->Find(name)) return a->count;
  auto it = c->details.find(std::string(name));
  return it != c->details.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

int CheckResult::ExitCode() const { return ExitCodeFor(verdict); }

}  // namespace faultline::checkers
