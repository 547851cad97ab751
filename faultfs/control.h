#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "faultfs/faultfs.h"

namespace faultline::faultfs {

// The control protocol of faultline-faultfs (docs/faultfs.md): one JSON object per line on a
// UNIX socket, one reply line per request, {"ok": true, ...} or {"ok": false, "error": ...}.
//   {"op":"lose-unsynced","pgids":[1234],"torn":false}   undo what those groups did not sync
//                                                         (all groups when pgids is absent)
//   {"op":"error","pattern":"/data/*","ops":["fsync"],"errno":"EIO","count":3,
//    "probability":1.0}                                   calls fail
//   {"op":"clear-errors"}
//   {"op":"slow","fsync_ms":50}                           fsync and fsyncdir take that long
//   {"op":"status"}                                       unsynced ops and bytes per group
// Handle() answers one request; ControlServer serves a socket from its own thread.
nlohmann::json HandleControl(FaultFs* fs, const nlohmann::json& request);

// Serves HandleControl on a UNIX socket. Listen() on the caller's thread, then Serve() on a
// thread until Stop(). Thread-safe Stop().
class ControlServer {
 public:
  explicit ControlServer(FaultFs* fs) : fs_(fs) {}
  ~ControlServer();
  Status Listen(const std::string& path);
  void Serve();
  void Stop() { stop_ = true; }

 private:
  FaultFs* fs_;
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
};

// One request to the faultfs serving `socket_path`; its reply, or an error when it cannot be
// reached within the deadline or says !ok.
Result<nlohmann::json> CallControl(const std::string& socket_path, const nlohmann::json& request,
                                   Deadline deadline);

}  // namespace faultline::faultfs
