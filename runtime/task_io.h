#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/barrier_aligner.h"
#include "runtime/net.h"
#include "runtime/task.h"

namespace faultline::runtime {

// OutputChannel is the sending end of one data channel (one upstream task -> one downstream
// task), with credit-based flow control: the receiver grants credits, each frame costs one, and
// Send() waits (cancellably) for a credit. Memory is bounded by the credits, never by the rate.
// Used by its task's thread only.
class OutputChannel {
 public:
  OutputChannel(std::string to_task, std::unique_ptr<FrameConn> conn, int64_t credits)
      : to_task_(std::move(to_task)), conn_(std::move(conn)), credits_(credits) {}

  Status Send(std::string_view frame, const std::atomic<bool>* cancel);
  const std::string& to_task() const { return to_task_; }

 private:
  Status ReadCredits();

  std::string to_task_;
  std::unique_ptr<FrameConn> conn_;
  int64_t credits_ = 0;
};

// InputChannel is the receiving end: it hands out the frames it has buffered and grants
// credits back as frames are consumed. Whether a frame may be taken now (barrier alignment
// blocks a channel) is for the task's BarrierAligner to say. Used by its task's thread only.
class InputChannel {
 public:
  InputChannel(std::string from_task, std::shared_ptr<FrameConn> conn, int credits)
      : from_task_(std::move(from_task)), conn_(std::move(conn)), credits_(credits) {}

  // Grants the initial credits.
  Status Start();
  // The next buffered frame, if any; counts it as consumed for credit purposes.
  Result<std::optional<Frame>> Next();
  Status ReadAvailable() { return conn_->ReadAvailable(); }
  int fd() const { return conn_->fd(); }
  const std::string& from_task() const { return from_task_; }

  int64_t watermark = INT64_MIN;  // the newest watermark received (operators)

 private:
  std::string from_task_;
  std::shared_ptr<FrameConn> conn_;
  int credits_;
  int consumed_ = 0;
};

// OutputBatches collects records per output channel and sends a channel's records as one
// frame when the batch is full or on Flush. Used by its task's thread only.
template <typename Record>
class OutputBatches {
 public:
  using Encoder = std::string (*)(const std::vector<Record>&);
  OutputBatches(FrameType type, Encoder encode) : type_(type), encode_(encode) {}

  // Call once the output channels are connected.
  void Bind(std::vector<std::unique_ptr<OutputChannel>>* outputs, const std::atomic<bool>* cancel,
            size_t batch_size) {
    outputs_ = outputs;
    cancel_ = cancel;
    batch_size_ = batch_size;
    pending_.assign(outputs->size(), {});
  }
  Status Add(size_t channel, Record record) {
    pending_[channel].push_back(std::move(record));
    return pending_[channel].size() >= batch_size_ ? Flush(channel) : Status::Ok();
  }
  Status Flush(size_t channel) {
    if (pending_[channel].empty()) return Status::Ok();
    std::string frame = MakeFrame(type_, encode_(pending_[channel]));
    pending_[channel].clear();
    return (*outputs_)[channel]->Send(frame, cancel_);
  }
  Status FlushAll() {
    for (size_t i = 0; i < pending_.size(); ++i) RETURN_IF_ERROR(Flush(i));
    return Status::Ok();
  }

 private:
  FrameType type_;
  Encoder encode_;
  std::vector<std::unique_ptr<OutputChannel>>* outputs_ = nullptr;
  const std::atomic<bool>* cancel_ = nullptr;
  size_t batch_size_ = 1;
  std::vector<std::vector<Record>> pending_;
};

// Shared plumbing of the three task kinds: connecting to downstream tasks, waiting for
// upstream ones, reporting to the worker, and waiting on inputs and the mailbox together.
class TaskBase : public Task {
 protected:
  TaskBase(TaskId id, TaskEnv env);

  const JobConfig& job() const { return env_.deployment->job; }
  const Deployment& deployment() const { return *env_.deployment; }
  bool cancelled() const { return env_.cancel->load(); }
  std::string name() const { return id_.Name(); }
  const CheckpointStore& checkpoints() const { return store_; }

  // Connects to every task of `targets` (through the dial address of its worker), says hello
  // and keeps the channels in outputs_, in the order of `targets`.
  Status ConnectOutputs(const std::vector<TaskId>& targets);
  // Waits for `count` upstream connections to arrive in the mailbox (other messages that
  // arrive meanwhile are kept for DrainMailbox), then sets up aligner_ over them: aligned in
  // exactly-once mode, unaligned otherwise.
  Status AwaitInputs(size_t count);
  // Waits until a readable input or the mailbox is ready or `timeout_ms` passes, then reads
  // what the ready inputs have. A closed or failing input is an error (the upstream task is
  // gone). Blocked and ended inputs are not waited for.
  Status WaitForInput(int timeout_ms);
  // Takes the frames buffered on the readable inputs, one per input per round, for at most 64
  // rounds (bounded, so that the mailbox and timers are served). Barriers and ends of stream
  // go to aligner_, which calls `on_checkpoint` once a checkpoint's barriers are all in; every
  // other frame goes to `on_frame` with the index of its input.
  Status ProcessInputs(const std::function<Status(size_t input, const Frame& frame)>& on_frame,
                       const BarrierAligner::SnapshotFn& on_checkpoint);
  // Handles every waiting mailbox message through OnMessage.
  Status DrainMailbox();
  virtual Status OnMessage(const TaskMessage& message) = 0;

  void ReportAck(int64_t checkpoint_id, std::vector<SnapshotFile> files);
  void ReportRunning();
  // Sends `frame` on every output channel.
  Status Broadcast(const std::string& frame);

  TaskId id_;
  TaskEnv env_;
  CheckpointStore store_;
  std::vector<std::unique_ptr<OutputChannel>> outputs_;
  std::vector<std::unique_ptr<InputChannel>> inputs_;
  std::vector<TaskMessage> held_messages_;
  std::optional<BarrierAligner> aligner_;  // over inputs_, once AwaitInputs has returned
};

}  // namespace faultline::runtime
