#include "base/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "base/logging.h"
#include "base/rng.h"

namespace faultline::failpoint {
namespace {

enum class ActionKind { kOff, kCrash, kError, kSleep, kPause, kTorn, kLie };

// One term of a spec: [P%][N*]ACTION.
struct Spec {
  ActionKind action = ActionKind::kOff;
  int arg = 0;               // errno for kError, ms for kSleep
  double probability = 1.0;  // P%
  int64_t remaining = -1;    // N*; -1 = unlimited
};

// An armed site: its terms in order ("2*off->1*crash": pass twice, then crash once). Each
// evaluation is the first term whose count is not spent.
struct Armed {
  std::vector<Spec> chain;
  uint64_t generation = 0;  // bumps on every (re)arm so that paused threads notice
};

struct Registry {
  std::mutex mu;
  std::condition_variable changed;
  std::map<std::string, std::string, std::less<>> sites;  // name -> description
  std::map<std::string, Armed, std::less<>> armed;
  std::atomic<int> armed_count{0};
  Rng rng{ChooseSeed(std::nullopt)};
};

Registry& Reg() {
  static auto* r = new Registry();  // never destroyed: sites may be evaluated during exit
  return *r;
}

void RegisterStorageSites(Registry& r) {
  r.sites.emplace("storage.fsync",
                  "before every fsync/fdatasync of a durable file or directory (lie: report "
                  "success without syncing)");
  r.sites.emplace("storage.write",
                  "before every write of a durable file (torn: write half, crash)");
}

struct ErrnoName {
  const char* name;
  int value;
};
constexpr ErrnoName kErrnoNames[] = {{"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT},
                                     {"EROFS", EROFS},   {"EACCES", EACCES}, {"EINTR", EINTR},
                                     {"EAGAIN", EAGAIN}, {"ENOMEM", ENOMEM}, {"EBADF", EBADF}};

std::optional<int> ParseInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

Result<Spec> ParseTerm(std::string_view name, std::string_view text, std::string_view term) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(
        "failpoint " + std::string(name) + "=" + std::string(text) + ": " + std::string(why) +
        " (expected [P%][N*]off|crash|error(ERRNO)|sleep(MS)|pause|torn|lie, terms joined by "
        "->)");
  };
  Spec spec;
  std::string_view rest = term;
  if (rest.empty()) return bad("empty term");
  if (auto pct = rest.find('%'); pct != std::string_view::npos) {
    double p = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + pct, p);
    if (ec != std::errc() || ptr != rest.data() + pct || p < 0 || p > 100) {
      return bad("probability must be 0..100");
    }
    spec.probability = p / 100.0;
    rest.remove_prefix(pct + 1);
  }
  if (auto star = rest.find('*'); star != std::string_view::npos) {
    auto n = ParseInt(rest.substr(0, star));
    if (!n) return bad("count before '*' must be a whole number");
    spec.remaining = *n;
    rest.remove_prefix(star + 1);
  }
  std::string_view verb = rest;
  std::string_view arg;
  if (auto open = rest.find('('); open != std::string_view::npos) {
    if (rest.back() != ')') return bad("missing ')'");
    verb = rest.substr(0, open);
    arg = rest.substr(open + 1, rest.size() - open - 2);
  }
  if (verb == "off") {
    spec.action = ActionKind::kOff;
  } else if (verb == "crash") {
    spec.action = ActionKind::kCrash;
  } else if (verb == "pause") {
    spec.action = ActionKind::kPause;
  } else if (verb == "torn") {
    spec.action = ActionKind::kTorn;
  } else if (verb == "lie") {
    spec.action = ActionKind::kLie;
  } else if (verb == "sleep") {
    auto ms = ParseInt(arg);
    if (!ms) return bad("sleep needs milliseconds, e.g. sleep(100)");
    spec.action = ActionKind::kSleep;
    spec.arg = *ms;
  } else if (verb == "error") {
    spec.action = ActionKind::kError;
    if (auto n = ParseInt(arg); n && *n > 0) {
      spec.arg = *n;
    } else {
      auto it = std::find_if(std::begin(kErrnoNames), std::end(kErrnoNames),
                             [&](const ErrnoName& e) { return arg == e.name; });
      if (it == std::end(kErrnoNames))
        return bad("error needs an errno number or name, e.g. error(EIO)");
      spec.arg = it->value;
    }
  } else {
    return bad("unknown action '" + std::string(verb) + "'");
  }
  if (!arg.empty() && (spec.action == ActionKind::kOff || spec.action == ActionKind::kCrash ||
                       spec.action == ActionKind::kPause || spec.action == ActionKind::kTorn ||
                       spec.action == ActionKind::kLie)) {
    return bad("action takes no argument");
  }
  return spec;
}

// "TERM->TERM->...": the terms in order.
Result<std::vector<Spec>> ParseSpec(std::string_view name, std::string_view text) {
  std::vector<Spec> chain;
  std::string_view rest = text;
  while (true) {
    size_t arrow = rest.find("->");
    ASSIGN_OR_RETURN(Spec term, ParseTerm(name, text, rest.substr(0, arrow)));
    chain.push_back(term);
    if (arrow == std::string_view::npos) break;
    if (term.remaining < 0) {
      return Status::InvalidArgument("failpoint " + std::string(name) + "=" + std::string(text) +
                                     ": a term without N* never ends, so the terms after it "
                                     "would never fire (write 1*off->1*crash)");
    }
    rest.remove_prefix(arrow + 2);
  }
  return chain;
}

}  // namespace

void RegisterSite(std::string_view name, std::string_view description) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.sites.empty()) RegisterStorageSites(r);
  r.sites.emplace(std::string(name), std::string(description));
}

std::vector<Site> Sites() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.sites.empty()) RegisterStorageSites(r);
  std::vector<Site> out;
  for (const auto& [name, desc] : r.sites) out.push_back({name, desc});
  return out;
}

Status ValidateSpec(std::string_view spec) { return ParseSpec("spec", spec).status(); }

Status Arm(std::string_view name, std::string_view spec_text) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.sites.empty()) RegisterStorageSites(r);
  if (r.sites.find(name) == r.sites.end()) {
    return Status::InvalidArgument("unknown failpoint '" + std::string(name) +
                                   "' (`faultline-node failpoints` lists them)");
  }
  ASSIGN_OR_RETURN(std::vector<Spec> chain, ParseSpec(name, spec_text));
  auto it = r.armed.find(name);
  uint64_t generation = it == r.armed.end() ? 1 : it->second.generation + 1;
  if (chain.size() == 1 && chain[0].action == ActionKind::kOff) {
    if (it != r.armed.end()) r.armed.erase(it);
  } else {
    r.armed[std::string(name)] = Armed{std::move(chain), generation};
  }
  r.armed_count = static_cast<int>(r.armed.size());
  r.changed.notify_all();
  return Status::Ok();
}

Status ArmList(std::string_view list) {
  while (!list.empty()) {
    size_t semi = list.find(';');
    std::string_view item = list.substr(0, semi);
    list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("failpoint list item '" + std::string(item) +
                                     "': expected NAME=SPEC");
    }
    RETURN_IF_ERROR(Arm(item.substr(0, eq), item.substr(eq + 1)));
  }
  return Status::Ok();
}

Status ArmFromEnv() {
  const char* env = std::getenv("FAULTLINE_FAILPOINTS");
  if (env == nullptr) return Status::Ok();
  return ArmList(env).WithContext("FAULTLINE_FAILPOINTS");
}

void Disarm(std::string_view name) { (void)Arm(name, "off"); }

void DisarmAll() {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  r.armed.clear();
  r.armed_count = 0;
  r.changed.notify_all();
}

void CrashNow(std::string_view name) {
  LogLine(LogLevel::kError, "failpoint " + std::string(name) + ": crash");
  ::kill(::getpid(), SIGKILL);
  std::abort();  // not reached
}

Hit Eval(std::string_view name) {
  Registry& r = Reg();
  if (r.armed_count.load(std::memory_order_relaxed) == 0) return {};
  std::unique_lock<std::mutex> lock(r.mu);
  auto it = r.armed.find(name);
  if (it == r.armed.end()) return {};
  auto term = std::find_if(it->second.chain.begin(), it->second.chain.end(),
                           [](const Spec& t) { return t.remaining != 0; });
  if (term == it->second.chain.end()) return {};  // every count spent: armed, never fires
  Spec& spec = *term;
  if (spec.probability < 1.0 && !r.rng.Bernoulli(spec.probability)) return {};
  if (spec.remaining > 0) --spec.remaining;
  Spec fired = spec;
  const uint64_t generation = it->second.generation;
  switch (fired.action) {
    case ActionKind::kOff:
      return {};
    case ActionKind::kCrash:
      lock.unlock();
      CrashNow(name);
    case ActionKind::kSleep:
      lock.unlock();
      SleepMillis(fired.arg);
      return {};
    case ActionKind::kPause: {
      LogLine(LogLevel::kWarning, "failpoint " + std::string(name) + ": paused");
      std::string key(name);
      r.changed.wait_for(lock, std::chrono::minutes(10), [&] {
        auto cur = r.armed.find(key);
        return cur == r.armed.end() || cur->second.generation != generation;
      });
      return {};
    }
    case ActionKind::kError:
      return {Hit::Kind::kError, fired.arg};
    case ActionKind::kTorn:
      return {Hit::Kind::kTorn, 0};
    case ActionKind::kLie:
      return {Hit::Kind::kLie, 0};
  }
  return {};
}

Status Check(std::string_view name) {
  Hit hit = Eval(name);
  switch (hit.kind) {
    case Hit::Kind::kNone:
      return Status::Ok();
    case Hit::Kind::kError:
      return Status::IoError("failpoint " + std::string(name), hit.error_number);
    case Hit::Kind::kTorn:
      CrashNow(name);
    case Hit::Kind::kLie:  // only storage.fsync gives it a meaning; elsewhere: nothing happens
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace faultline::failpoint
