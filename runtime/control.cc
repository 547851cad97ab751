#include "runtime/control.h"

#include "base/failpoint.h"

namespace faultline::runtime {

std::string ControlFrame(const nlohmann::json& message) {
  return MakeFrame(FrameType::kControl, message.dump());
}

Result<nlohmann::json> ParseControlFrame(const Frame& frame) {
  if (frame.type != FrameType::kControl && frame.type != FrameType::kHello) {
    return Status::Corruption(std::string("expected a control frame, got ") +
                              FrameTypeName(frame.type));
  }
  nlohmann::json j = nlohmann::json::parse(frame.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("malformed control message");
  return j;
}

void ConnectionIntake::AddPollFds(std::vector<pollfd>* fds) const {
  fds->push_back({listener_.get(), POLLIN, 0});
  for (const auto& p : pending_) fds->push_back({p.conn->fd(), POLLIN, 0});
  for (const auto& a : admin_) fds->push_back({a->fd(), POLLIN, 0});
}

std::vector<std::pair<std::shared_ptr<FrameConn>, nlohmann::json>> ConnectionIntake::Poll(
    const AdminHandler& extra) {
  while (true) {
    auto accepted = Accept(listener_.get());
    if (!accepted.ok() || !accepted->has_value()) break;
    pending_.push_back(
        {std::make_shared<FrameConn>(std::move(**accepted), "peer"), Deadline::AfterMillis(5000)});
  }
  std::vector<std::pair<std::shared_ptr<FrameConn>, nlohmann::json>> ready;
  for (auto it = pending_.begin(); it != pending_.end();) {
    Status s = it->conn->ReadAvailable();
    auto frame = s.ok() ? it->conn->NextFrame() : Result<std::optional<Frame>>(s);
    if (frame.ok() && frame->has_value()) {
      auto hello = ParseControlFrame(**frame);
      if (hello.ok() && (*frame)->type == FrameType::kHello) {
        if (hello->value("kind", "") == "admin") {
          admin_.push_back(it->conn);
        } else {
          ready.emplace_back(it->conn, *hello);
        }
      }
      it = pending_.erase(it);
    } else if (!frame.ok() || it->deadline.Expired()) {
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  ServeAdmin(extra);
  return ready;
}

void ConnectionIntake::ServeAdmin(const AdminHandler& extra) {
  for (auto it = admin_.begin(); it != admin_.end();) {
    auto& conn = *it;
    Status s = conn->ReadAvailable();
    auto frame = conn->NextFrame();
    if (frame.ok() && frame->has_value()) {
      auto request = ParseControlFrame(**frame);
      nlohmann::json reply =
          request.ok() ? HandleAdminRequest(*request, extra)
                       : nlohmann::json{{"ok", false}, {"error", request.status().message()}};
      conn->Queue(ControlFrame(reply));
      (void)conn->FlushBlocking(Deadline::AfterMillis(1000));
      it = admin_.erase(it);
    } else if (!s.ok() || !frame.ok()) {
      it = admin_.erase(it);
    } else {
      ++it;
    }
  }
}

nlohmann::json HandleAdminRequest(const nlohmann::json& request, const AdminHandler& extra) {
  std::string type = request.value("type", "");
  if (type == "failpoint") {
    std::string name = request.value("name", "");
    std::string spec = request.value("spec", "off");
    Status s = failpoint::Arm(name, spec);
    if (!s.ok()) return {{"ok", false}, {"error", s.message()}};
    return {{"ok", true}};
  }
  if (type == "failpoints-off") {
    failpoint::DisarmAll();
    return {{"ok", true}};
  }
  nlohmann::json reply = extra ? extra(request) : nlohmann::json();
  if (reply.is_null()) return {{"ok", false}, {"error", "unknown admin request '" + type + "'"}};
  return reply;
}

Result<nlohmann::json> AdminCall(const std::string& address, const nlohmann::json& request,
                                 int64_t timeout_ms) {
  Deadline deadline = Deadline::AfterMillis(timeout_ms);
  ASSIGN_OR_RETURN(Socket sock, Connect(address, deadline));
  return AdminCallOn(std::move(sock), address, request, deadline);
}

Result<nlohmann::json> AdminCallOn(Socket socket, const std::string& address,
                                   const nlohmann::json& request, Deadline deadline) {
  FrameConn conn(std::move(socket), address);
  conn.QueueFrame(FrameType::kHello, nlohmann::json{{"kind", "admin"}}.dump());
  conn.Queue(ControlFrame(request));
  RETURN_IF_ERROR(conn.FlushBlocking(deadline));
  ASSIGN_OR_RETURN(Frame reply, conn.ReadFrameBlocking(deadline));
  return ParseControlFrame(reply);
}

}  // namespace faultline::runtime
