#include "checkers/verdict.h"

namespace faultline::checkers {
namespace {

int64_t Detail(const CheckerResult& c, const char* name) {
  auto it = c.details.find(name);
  return it != c.details.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// A window result wrong in the direction the mode forbids: at-least-once may count a record
// twice but never lose one, at-most-once the other way round.
bool WindowsFail(Mode mode, const CheckerResult& c) {
  const int64_t extra = Detail(c, "extra");
  switch (mode) {
    case Mode::kExactlyOnce:
      return true;
    case Mode::kAtLeastOnce:
      return extra + Detail(c, "missing") + Detail(c, "undercounted") > 0;
    case Mode::kAtMostOnce:
      return extra + Detail(c, "overcounted") > 0;
  }
  return true;
}

}  // namespace

bool AnomalyFails(std::optional<Mode> mode, const CheckerResult& c, const Anomaly& a) {
  if (a.count == 0 || !c.applicable || !c.selected) return false;
  if (!mode) return true;
  switch (c.id) {
    case CheckerId::kDelivery:
      if (a.name == "lost") return *mode != Mode::kAtMostOnce;
      if (a.name == "duplicated") return *mode != Mode::kAtLeastOnce;
      return true;  // unexpected, delivered-after-fail: records that should not exist
    case CheckerId::kWindows:
      return WindowsFail(*mode, c);
    case CheckerId::kState:
    case CheckerId::kOrder:
    case CheckerId::kVisibility:
      // The expected consequences of replay (at-least-once) or of lost state (at-most-once).
      return *mode == Mode::kExactlyOnce;
    case CheckerId::kAvailability:
      return false;
  }
  return true;
}

void JudgeChecker(std::optional<Mode> mode, CheckerResult* c) {
  c->valid = true;
  for (Anomaly& a : c->anomalies) {
    a.fails = AnomalyFails(mode, *c, a);
    c->valid = c->valid && !a.fails;
  }
}

bool NeedsACompleteRun(const CheckerResult& c, const Anomaly& a) {
  switch (c.id) {
    case CheckerId::kDelivery:
      return a.name == "lost";
    case CheckerId::kState:
      return a.name == "count-gap";
    case CheckerId::kWindows:
      return true;  // a missing or undercounted window may still have been on its way
    case CheckerId::kVisibility:
      return a.name == "aborted-reads";
    case CheckerId::kOrder:
    case CheckerId::kAvailability:
      return false;
  }
  return true;
}

void DecideVerdict(CheckResult* r) {
  bool valid = true;
  bool definitely_invalid = false;
  for (CheckerResult& c : r->checkers) {
    JudgeChecker(r->mode, &c);
    valid = valid && c.valid;
    for (const Anomaly& a : c.anomalies) {
      definitely_invalid = definitely_invalid || (a.fails && !NeedsACompleteRun(c, a));
    }
  }
  if (!r->unknown_reasons.empty()) {
    r->verdict =
        definitely_invalid && !r->request_unjudgeable ? Verdict::kInvalid : Verdict::kUnknown;
  } else {
    r->verdict = valid ? Verdict::kValid : Verdict::kInvalid;
  }
}

int ExitCodeFor(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid:
      return 0;
    case Verdict::kInvalid:
      return 1;
    case Verdict::kUnknown:
      return 2;
  }
  return 2;
}

bool MeetsExpectation(Verdict verdict, std::string_view expected) {
  if (expected == "any") return verdict != Verdict::kUnknown;
  auto want = ParseVerdict(expected);
  return want.has_value() && *want != Verdict::kUnknown && verdict == *want;
}

}  // namespace faultline::checkers
