#include "runtime/task_io.h"

#include <poll.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/logging.h"

namespace faultline::runtime {
namespace {

constexpr int64_t kConnectTimeoutMs = 30'000;

}  // namespace

Status OutputChannel::ReadCredits() {
  RETURN_IF_ERROR(conn_->ReadAvailable());
  while (true) {
    ASSIGN_OR_RETURN(std::optional<Frame> f, conn_->NextFrame());
    if (!f) return Status::Ok();
    if (f->type != FrameType::kCredit) {
      return Status::Corruption("unexpected " + std::string(FrameTypeName(f->type)) +
                                " frame from downstream " + to_task_);
    }
    ASSIGN_OR_RETURN(uint64_t n, DecodeVarintBody(f->body));
    credits_ += static_cast<int64_t>(n);
  }
}

Status OutputChannel::Send(std::string_view frame, const std::atomic<bool>* cancel) {
  while (credits_ <= 0) {
    if (cancel->load()) return Status::Aborted("cancelled");
    WaitFd(conn_->fd(), false, 50);
    RETURN_IF_ERROR(ReadCredits().WithContext("channel to " + to_task_));
  }
  --credits_;
  conn_->Queue(frame);
  // Cancellable, without a fixed deadline: a partitioned peer holds us until the failover
  // cancels this attempt, exactly like backpressure.
  return conn_->FlushBlocking(Deadline::Never(), cancel).WithContext("channel to " + to_task_);
}

Status InputChannel::Start() {
  conn_->Queue(MakeCreditFrame(static_cast<uint64_t>(credits_)));
  return conn_->FlushBlocking(Deadline::AfterMillis(10'000));
}

Result<std::optional<Frame>> InputChannel::Next() {
  ASSIGN_OR_RETURN(std::optional<Frame> f, conn_->NextFrame());
  if (!f) return f;
  if (++consumed_ >= std::max(1, credits_ / 2)) {
    conn_->Queue(MakeCreditFrame(static_cast<uint64_t>(consumed_)));
    consumed_ = 0;
    // A credit frame is tiny and the upstream always reads them: this cannot block for long.
    RETURN_IF_ERROR(conn_->FlushBlocking(Deadline::AfterMillis(10'000)));
  }
  return f;
}

TaskBase::TaskBase(TaskId id, TaskEnv env)
    : id_(id), env_(std::move(env)), store_(env_.config->checkpoint_dir) {}

Status TaskBase::ConnectOutputs(const std::vector<TaskId>& targets) {
  for (const TaskId& target : targets) {
    std::string to = target.Name();
    auto where = deployment().placement.find(to);
    if (where == deployment().placement.end()) return Status::Internal("no placement for " + to);
    std::string address = env_.config->DialAddress(env_.worker_id, where->second);
    Deadline deadline = Deadline::AfterMillis(kConnectTimeoutMs);
    std::unique_ptr<FrameConn> conn;
    uint64_t initial_credits = 0;
    Status last;
    while (conn == nullptr) {
      if (cancelled()) return Status::Aborted("cancelled");
      if (deadline.Expired()) {
        return Status::Timeout("connecting " + name() + " -> " + to + " at " + address + ": " +
                               last.ToString());
      }
      auto sock = Connect(address, Deadline::AfterMillis(1000));
      if (!sock.ok()) {
        last = sock.status();
        SleepMillis(50);
        continue;
      }
      auto c = std::make_unique<FrameConn>(std::move(*sock), to);
      nlohmann::json hello = {
          {"kind", "data"}, {"attempt", deployment().attempt}, {"from", name()}, {"to", to}};
      c->QueueFrame(FrameType::kHello, hello.dump());
      last = c->FlushBlocking(Deadline::AfterMillis(1000), env_.cancel);
      if (!last.ok()) continue;
      // The receiver's first credit grant is its acceptance; a close means it does not know
      // this attempt yet (or any more): try again until the deadline.
      auto first = c->ReadFrameBlocking(deadline, env_.cancel);
      if (!first.ok()) {
        last = first.status();
        if (last.code() == Status::Code::kAborted) return last;
        SleepMillis(50);
        continue;
      }
      if (first->type != FrameType::kCredit) {
        return Status::Corruption("expected credits from " + to + ", got a " +
                                  FrameTypeName(first->type) + " frame");
      }
      ASSIGN_OR_RETURN(initial_credits, DecodeVarintBody(first->body));
      conn = std::move(c);
    }
    outputs_.push_back(std::make_unique<OutputChannel>(to, std::move(conn),
                                                       static_cast<int64_t>(initial_credits)));
  }
  return Status::Ok();
}

Status TaskBase::AwaitInputs(size_t count) {
  Deadline deadline = Deadline::AfterMillis(kConnectTimeoutMs);
  while (inputs_.size() < count) {
    if (cancelled()) return Status::Aborted("cancelled");
    if (deadline.Expired()) {
      return Status::Timeout(name() + " got " + std::to_string(inputs_.size()) + " of " +
                             std::to_string(count) + " upstream connections");
    }
    WaitFd(env_.mailbox->fd(), false, 50);
    for (TaskMessage& m : env_.mailbox->Drain()) {
      if (m.type != TaskMessage::Type::kInputConnection) {
        held_messages_.push_back(std::move(m));
        continue;
      }
      auto channel = std::make_unique<InputChannel>(m.from_task, m.conn, job().credits);
      RETURN_IF_ERROR(channel->Start());
      // A retried connect may arrive twice: the upstream uses the last one it said hello on.
      auto same = std::find_if(inputs_.begin(), inputs_.end(),
                               [&](const auto& in) { return in->from_task() == m.from_task; });
      if (same != inputs_.end()) {
        *same = std::move(channel);
      } else {
        inputs_.push_back(std::move(channel));
      }
    }
  }
  aligner_.emplace(inputs_.size(), job().mode == Mode::kExactlyOnce);
  return Status::Ok();
}

Status TaskBase::WaitForInput(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<InputChannel*> polled;
  fds.push_back({env_.mailbox->fd(), POLLIN, 0});
  for (size_t c = 0; c < inputs_.size(); ++c) {
    if (aligner_ && !aligner_->Readable(c)) continue;
    fds.push_back({inputs_[c]->fd(), POLLIN, 0});
    polled.push_back(inputs_[c].get());
  }
  int r = ::poll(fds.data(), fds.size(), timeout_ms);
  if (r <= 0) return Status::Ok();
  for (size_t i = 0; i < polled.size(); ++i) {
    if (fds[i + 1].revents == 0) continue;
    Status s = polled[i]->ReadAvailable();
    if (!s.ok()) return s.WithContext("input from " + polled[i]->from_task());
  }
  return Status::Ok();
}

Status TaskBase::ProcessInputs(
    const std::function<Status(size_t input, const Frame& frame)>& on_frame,
    const BarrierAligner::SnapshotFn& on_checkpoint) {
  for (int round = 0; round < 64; ++round) {
    bool any = false;
    for (size_t c = 0; c < inputs_.size(); ++c) {
      if (!aligner_->Readable(c)) continue;
      InputChannel& in = *inputs_[c];
      ASSIGN_OR_RETURN(std::optional<Frame> f, in.Next());
      if (!f) continue;
      any = true;
      Status s;
      if (f->type == FrameType::kBarrier) {
        Result<uint64_t> id = DecodeVarintBody(f->body);
        s = id.ok() ? aligner_->OnBarrier(c, static_cast<int64_t>(*id), on_checkpoint)
                    : id.status();
      } else if (f->type == FrameType::kEndOfStream) {
        s = aligner_->OnEndOfStream(c, on_checkpoint);
      } else {
        s = on_frame(c, *f);
      }
      RETURN_IF_ERROR(s.WithContext("frame from " + in.from_task()));
    }
    if (!any) break;
  }
  return Status::Ok();
}

Status TaskBase::DrainMailbox() {
  std::vector<TaskMessage> messages = std::move(held_messages_);
  held_messages_.clear();
  for (TaskMessage& m : env_.mailbox->Drain()) messages.push_back(std::move(m));
  for (const TaskMessage& m : messages) {
    if (m.type == TaskMessage::Type::kInputConnection) {
      // A late duplicate connection (a retry of a connect that did get through): unused.
      continue;
    }
    RETURN_IF_ERROR(OnMessage(m));
  }
  return Status::Ok();
}

void TaskBase::ReportAck(int64_t checkpoint_id, std::vector<SnapshotFile> files) {
  TaskReport r{TaskReport::Type::kAck, name(),           deployment().attempt,
               checkpoint_id,          std::move(files), ""};
  env_.reports->Push(std::move(r));
}

void TaskBase::ReportRunning() {
  env_.reports->Push(
      TaskReport{TaskReport::Type::kRunning, name(), deployment().attempt, 0, {}, ""});
}

Status TaskBase::Broadcast(const std::string& frame) {
  for (auto& out : outputs_) RETURN_IF_ERROR(out->Send(frame, env_.cancel));
  return Status::Ok();
}

}  // namespace faultline::runtime
