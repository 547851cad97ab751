// Test support: writes a scenario into a temporary directory, runs `faultline run` on it as a
// user would, and reads back what the run stored. Tests only.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/test_util.h"

namespace faultline {

struct ScenarioRun {
  int exit_code = -1;
  std::string out;      // what faultline printed
  std::string run_dir;  // store/latest (resolved), or "" when the run stored nothing

  // The run directory of one mode of a multi-mode run.
  std::string ModeDir(const std::string& mode) const { return JoinPath(run_dir, mode); }
};

class ScenarioRunner {
 public:
  // Writes `scenario` to <tmp>/<name>.json and runs it; `extra` are more flags.
  ScenarioRun Run(const nlohmann::json& scenario, const std::string& extra = "") {
    const std::string path = dir_.File(scenario.value("name", "s") + ".json");
    std::ofstream(path) << scenario.dump(2);
    return RunFile(path, extra);
  }

  ScenarioRun RunFile(const std::string& path, const std::string& extra = "") {
    ScenarioRun r;
    CommandResult c =
        RunCommand(BinPath("faultline") + " run " + path + " --store " + store() + " " + extra);
    r.exit_code = c.exit_code;
    r.out = c.out;
    char resolved[4096];
    std::string latest = JoinPath(store(), "latest");
    if (::realpath(latest.c_str(), resolved) != nullptr) r.run_dir = resolved;
    return r;
  }

  std::string store() const { return dir_.File("store"); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

inline std::vector<nlohmann::json> HistoryLines(const std::string& run_dir,
                                                const std::string& type = "") {
  std::vector<nlohmann::json> out;
  std::ifstream in(JoinPath(run_dir, "history.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (type.empty() || j.value("type", "") == type) out.push_back(std::move(j));
  }
  return out;
}

inline nlohmann::json Results(const std::string& run_dir) {
  auto text = ReadFileToString(JoinPath(run_dir, "results.json"));
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return nlohmann::json::parse(text.ok() ? *text : "{}");
}

// Processes whose command line mentions `needle` (a test's temporary directory, say), and
// `also` when it is given.
inline int CountProcessesMentioning(const std::string& needle, const std::string& also = "") {
  int n = 0;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream cmd(std::string("/proc/") + e->d_name + "/cmdline");
    std::string text((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (text.find(needle) != std::string::npos && text.find(also) != std::string::npos) ++n;
  }
  ::closedir(proc);
  return n;
}

}  // namespace faultline
