#pragma once

#include <string>

namespace faultline {

// A fresh directory under $TMPDIR (or /tmp) that is removed with the object. Tests only.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code;    // -1 if the command did not exit normally
  std::string out;  // stdout and stderr together
};
// Runs `cmd` through /bin/sh and captures its output. Tests only.
CommandResult RunCommand(const std::string& cmd);

// Path of a built executable: $FAULTLINE_BIN_DIR/name (set by CTest).
std::string BinPath(const std::string& name);

}  // namespace faultline
