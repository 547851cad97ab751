#pragma once

#include <poll.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/net.h"

namespace faultline::runtime {

// Control messages are JSON objects in kControl frames; the first frame of every connection is
// a kHello JSON object whose "kind" says what the connection is for:
//   "worker" (worker -> coordinator control link), "data" (task -> task), "admin" (a tool).
std::string ControlFrame(const nlohmann::json& message);
// Parses a kControl or kHello frame body; anything else is Corruption.
Result<nlohmann::json> ParseControlFrame(const Frame& frame);

using AdminHandler = std::function<nlohmann::json(const nlohmann::json&)>;

// ConnectionIntake is a node's listening socket and what arrives on it: it accepts
// connections, waits (bounded) for each one's hello, answers admin connections itself, and
// hands every other hello to its owner. Used by the event loop of one thread only.
class ConnectionIntake {
 public:
  explicit ConnectionIntake(Socket listener) : listener_(std::move(listener)) {}

  // The fds to poll for readability: the listener and every connection awaiting a hello.
  void AddPollFds(std::vector<struct pollfd>* fds) const;
  // Accepts what is waiting, answers admin requests (node-specific ones via `extra`), and
  // returns the connections whose non-admin hello arrived, with it.
  std::vector<std::pair<std::shared_ptr<FrameConn>, nlohmann::json>> Poll(
      const AdminHandler& extra);

 private:
  struct Pending {
    std::shared_ptr<FrameConn> conn;
    Deadline deadline;
  };
  void ServeAdmin(const AdminHandler& extra);

  Socket listener_;
  std::vector<Pending> pending_;
  std::vector<std::shared_ptr<FrameConn>> admin_;
};

// Handles one admin request (`failpoint` arm/disarm); returns the reply. `extra` answers
// requests specific to the node (e.g. "status"), returning null when it does not know them.
nlohmann::json HandleAdminRequest(const nlohmann::json& request, const AdminHandler& extra);

// Sends one admin request to the node at `address` and returns its reply (tools and harness).
Result<nlohmann::json> AdminCall(const std::string& address, const nlohmann::json& request,
                                 int64_t timeout_ms = 5000);
// The same over `socket`, already connected to the node at `address` (e.g. from inside the
// node's network namespace).
Result<nlohmann::json> AdminCallOn(Socket socket, const std::string& address,
                                   const nlohmann::json& request, Deadline deadline);

}  // namespace faultline::runtime
